"""Qingdao industrial knowledge graph: load, validate, query and describe the graph.

The public API lives in the submodules; the most used entry points are re-exported here lazily
so that ``import kg`` stays cheap for the CLI.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_dataset", "resolve_entity", "run_query", "validate"]


def __getattr__(name: str):  # PEP 562: defer heavy imports (rdflib, pyshacl) until used
    if name == "load_dataset":
        from kg.loader import load_dataset

        return load_dataset
    if name == "run_query":
        from kg.query import run_query

        return run_query
    if name == "resolve_entity":
        from kg.resolve import resolve_entity

        return resolve_entity
    if name == "validate":
        from kg.validation import validate

        return validate
    raise AttributeError(name)
