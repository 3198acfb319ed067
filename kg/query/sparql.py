"""SPARQL over the Dataset: the checked text (kg.engines.safety) run by the backend that holds the dataset,
with the project's prefixes, no network and bounded work.

Safe by default: SERVICE is refused, FROM / FROM NAMED select graphs already in the dataset (never
dereferenced), SPARQL Update and LOAD are refused, and while a query runs an audit hook blocks any
socket the engine might still open. ``allow_network=True`` lifts this for users who explicitly
want federation.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.query import Result

from kg.dataset.resolve import resolve_entity
from kg.engines.registry import backend_of
from kg.engines.safety import prepare
from kg.errors import QueryError, QueryTimeout
from kg.query import saved
from kg.vocab.namespaces import bind_prefixes

__all__ = ["QueryTimeout", "construct_graph", "run_query"]


def run_query(
    ds: Dataset,
    text: str,
    bindings: Mapping[str, URIRef | Literal | BNode] | None = None,
    *,
    timeout: float | None = None,
    memory_limit: int | None = None,
    allow_network: bool = False,
    **params: object,
) -> Result:
    """Run a query over ``ds`` (default graph = union of all sources) and return the finished result.

    ``text`` is SPARQL, or the name of a saved question (``"cluster-members"``) whose parameters are
    given as keywords (``entity="Haier Kaos"``, ``year=2019``): names are resolved to entities and
    values typed as the question declares. The result is fully evaluated before returning, so
    ``timeout`` (seconds) and ``memory_limit`` (bytes on top of what the process holds) bound all the work.
    """
    text, bindings = _saved_or_text(ds, text, bindings, params)
    prepared = prepare(text, bindings, allow_network=allow_network)
    return backend_of(ds).query(prepared, timeout=timeout, memory_limit=memory_limit, allow_network=allow_network)


def _saved_or_text(
    ds: Dataset, text: str, bindings: Mapping[str, URIRef | Literal | BNode] | None, params: Mapping[str, object]
) -> tuple[str, Mapping[str, URIRef | Literal | BNode] | None]:
    """The text to run and its bindings: a saved question's, when ``text`` names one (a bare word never is SPARQL)."""
    if not saved.looks_like_name(text):
        if params:
            names = ", ".join(sorted(params))
            raise QueryError(
                f"keyword parameters ({names}) are for saved questions; bind a query text's variables "
                "with bindings={'NAME': term}"
            )
        return text, bindings
    question = saved.lookup(text)
    typed = saved.saved_bindings(question, params, lambda name: resolve_entity(ds, name))
    return question.text, {**(bindings or {}), **typed}


def construct_graph(result: Result) -> Graph:
    """The graph a CONSTRUCT or DESCRIBE query built."""
    if result.type not in ("CONSTRUCT", "DESCRIBE") or result.graph is None:
        raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got {result.type}")
    bind_prefixes(result.graph)
    return result.graph
