"""Qingdao industrial knowledge graph: load, validate, query and describe the graph.

The public API for scripts and notebooks is re-exported here lazily, so that ``import kg``
stays cheap for the CLI:

- ``load_dataset(extra=())`` — the graph as an rdflib Dataset (default graph = union).
- ``run_query(ds, text, bindings=None, timeout=None, allow_network=False)`` — a finished rdflib Result.
- ``query_rows(result, ds)`` / ``to_dataframe(result, ds)`` — readable rows or a pandas DataFrame.
- ``construct_graph(result)`` — the rdflib Graph of a CONSTRUCT/DESCRIBE result.
- ``add_inferences(ds)`` / ``inferred_graph(ds)`` — what the ontology entails (OWL 2 RL, cached).
- ``resolve_entity(ds, name)`` — the IRI a label, alias, CURIE or IRI names.
- ``saved_queries()`` — the competency questions in ``queries/``.
- ``validate()`` — SHACL and the project's checks; ``report.ok``, ``report.findings``.
- ``project_root()`` — the checkout holding the data (articles' ``qdo:sourceFile`` is relative to it).
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "load_dataset": "kg.loader",
    "run_query": "kg.query",
    "construct_graph": "kg.query",
    "query_rows": "kg.results",
    "to_dataframe": "kg.results",
    "add_inferences": "kg.reasoning",
    "inferred_graph": "kg.reasoning",
    "resolve_entity": "kg.resolve",
    "saved_queries": "kg.saved",
    "validate": "kg.validation",
    "project_root": "kg.project",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str):  # PEP 562: defer heavy imports (rdflib, pyshacl) until used
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(name)
