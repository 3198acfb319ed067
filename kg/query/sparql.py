"""SPARQL over the Dataset: the checked text (kg.engines.safety) run by the engine that holds the dataset,
with the project's prefixes, no network and bounded work.

Safe by default: SERVICE is refused, FROM / FROM NAMED select graphs already in the dataset (never
dereferenced), SPARQL Update and LOAD are refused, and while a query runs an audit hook blocks any
socket the engine might still open. ``allow_network=True`` lifts this for users who explicitly
want federation.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from kg.engines.guard import NetworkBlocked, no_network
from kg.engines.limits import deadline, memory_ceiling
from kg.engines.safety import Prepared, deep_recursion, prepare
from kg.errors import KGError, QueryError, QueryTimeout
from kg.vocab.namespaces import bind_prefixes

__all__ = ["QueryTimeout", "construct_graph", "execute", "run_query"]


def dataset_view(ds: Dataset, clauses: list[CompValue]) -> Dataset:
    """The dataset a FROM / FROM NAMED clause describes, built from graphs already in ``ds``.

    Hand-written because rdflib either dereferences the IRIs over the network or, with loading
    off, adds the FROM graph's triples into the dataset's own default graph.
    """
    known = {g.identifier: g for g in ds.graphs()}
    # CompValue.get returns the key itself for a missing key, hence the plain dicts.
    defaults = [dict(c)["default"] for c in clauses if "default" in dict(c)]
    named = [dict(c)["named"] for c in clauses if "named" in dict(c)]
    for iri in defaults + named:
        if iri not in known:
            raise QueryError(f"FROM <{iri}>: no such graph in the dataset (FROM never loads from the web)")
    view = Dataset(default_union=False)
    for prefix, ns in ds.namespaces():
        view.bind(prefix, ns)
    default = view.default_graph
    for iri in defaults:
        for triple in known[iri]:
            default.add(triple)
    for iri in named:  # FROM without FROM NAMED leaves no named graphs (SPARQL 1.1 §13.2)
        target = view.graph(iri)
        for triple in known[iri]:
            target.add(triple)
    return view


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
    clauses = None if allow_network else prepared.dataset_clauses
    return execute(
        ds, prepared, clauses=clauses, timeout=timeout, memory_limit=memory_limit, allow_network=allow_network
    )


def _saved_or_text(
    ds: Dataset, text: str, bindings: Mapping[str, URIRef | Literal | BNode] | None, params: Mapping[str, object]
) -> tuple[str, Mapping[str, URIRef | Literal | BNode] | None]:
    """The text to run and its bindings: a saved question's, when ``text`` names one (a bare word never is SPARQL)."""
    from kg.query import saved

    if not saved.looks_like_name(text):
        if params:
            names = ", ".join(sorted(params))
            raise QueryError(
                f"keyword parameters ({names}) are for saved questions; bind a query text's variables "
                "with bindings={'NAME': term}"
            )
        return text, bindings
    from kg.dataset.resolve import resolve_entity

    question = saved.lookup(text)
    typed = saved.saved_bindings(question, params, lambda name: resolve_entity(ds, name))
    return question.text, {**(bindings or {}), **typed}


def is_oxigraph(ds: Dataset) -> bool:
    """Whether ``ds`` is held by Oxigraph (such a dataset exists only once oxrdflib is imported)."""
    if "oxrdflib" not in sys.modules:
        return False
    from kg.engines.oxigraph import store_of

    return store_of(ds) is not None


def execute(
    ds: Dataset,
    prepared: Prepared,
    *,
    clauses: list | None = None,
    timeout: float | None = None,
    memory_limit: int | None = None,
    allow_network: bool = False,
) -> Result:
    """Evaluate a prepared query to the end, under the network guard, the deadline and the memory ceiling.

    ``clauses`` (FROM / FROM NAMED, or the protocol's graph parameters) select graphs of ``ds``;
    they replace the query's own dataset clause, which is never dereferenced. A dataset backed
    by Oxigraph runs ``prepared.text`` natively, in a process without network.
    """
    if is_oxigraph(ds):
        from kg.engines import oxigraph as oxigraph_engine

        return oxigraph_engine.execute(
            ds, prepared.text, prepared.bindings, clauses=clauses, timeout=timeout, memory_limit=memory_limit
        )
    target = ds
    if clauses:
        target = dataset_view(ds, clauses)
    prepared.query.algebra["datasetClause"] = None  # served by the view above, never loaded by rdflib
    why = "during a query; use --allow-network to permit it"
    try:
        with no_network(why, allowed=allow_network), memory_ceiling(memory_limit), deadline(timeout), deep_recursion():
            result = target.query(prepared.query, initBindings=prepared.bindings)
            if result.type == "SELECT":
                result.bindings  # noqa: B018 - forces evaluation inside the limits
            elif result.type in ("CONSTRUCT", "DESCRIBE"):
                result.graph  # noqa: B018
    except NetworkBlocked as exc:
        raise QueryError(str(exc)) from None
    except (KGError, MemoryError):
        raise
    except RecursionError:
        raise QueryError("query too deeply nested to evaluate") from None
    except Exception as exc:  # evaluation errors from rdflib (type errors, bad functions)
        raise QueryError(f"query failed: {exc}") from None
    return result


def construct_graph(result: Result) -> Graph:
    """The graph a CONSTRUCT or DESCRIBE query built."""
    if result.type not in ("CONSTRUCT", "DESCRIBE") or result.graph is None:
        raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got {result.type}")
    bind_prefixes(result.graph)
    return result.graph
