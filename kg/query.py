"""SPARQL over the Dataset: parse with the project's prefixes, refuse unsafe features, run with a deadline.

Safe by default: SERVICE is refused, FROM / FROM NAMED select graphs already in the dataset (never
dereferenced), SPARQL Update and LOAD are refused, and while a query runs an audit hook blocks
any socket connection the engine might still attempt. ``allow_network=True`` lifts all of this
for users who explicitly want federation.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from kg.errors import KGError, QueryError, QueryTimeout
from kg.namespaces import PREFIXES, bind_prefixes
from kg.netguard import NetworkBlocked, no_network

DEFAULT_TIMEOUT = 30.0


def _position(exc: Exception) -> str:
    line, col = getattr(exc, "lineno", None), getattr(exc, "column", None)
    return f"line {line}, column {col}: " if line is not None else ""


def _walk(node: object) -> Iterable[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)


def _translate_error(exc: Exception) -> QueryError:
    msg = str(exc)
    if msg.startswith("Unknown namespace prefix"):
        prefix = msg.split(":", 1)[1].strip()
        known = ", ".join(f"{p}:" for p in PREFIXES)
        return QueryError(f"unknown prefix '{prefix}:'; predeclared prefixes are {known}")
    return QueryError(f"invalid query: {msg}")


def is_update(text: str) -> bool:
    """Whether the text is SPARQL Update (INSERT, DELETE, LOAD, CLEAR ...) rather than a query."""
    try:
        parseUpdate(text)
    except Exception:
        return False
    return True


def parse_query(text: str, allow_network: bool = False) -> Query:
    """Parse and translate a query with the project's prefixes predeclared; refuse unsafe features."""
    try:
        tree = parseQuery(text)
    except Exception as exc:  # pyparsing ParseException and friends
        if is_update(text):
            raise QueryError(
                "SPARQL Update is refused: the graph is read-only (use --update-copy OUT to change a copy)"
            ) from None
        found = getattr(exc, "found", None)
        token = f" near {found}" if found else ""
        raise QueryError(f"malformed query: {_position(exc)}syntax error{token}") from None
    try:
        query = translateQuery(tree, initNs=dict(PREFIXES))
    except Exception as exc:
        raise _translate_error(exc) from None
    if not allow_network and any(node.name == "ServiceGraphPattern" for node in _walk(query.algebra)):
        raise QueryError("SERVICE is refused: queries never reach the network (use --allow-network to permit it)")
    return query


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
    for iri in named or [g for g in known if g != ds.default_graph.identifier]:
        target = view.graph(iri)
        for triple in known[iri]:
            target.add(triple)
    return view


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Stop the enclosed work after ``seconds`` by raising QueryTimeout from a timer signal.

    rdflib evaluates queries in pure Python, so the signal interrupts it between bytecodes.
    Signals only reach the main thread; elsewhere (e.g. a server's worker thread) the limit must
    be enforced by running the query in a separate process.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise QueryTimeout(f"query stopped after {seconds:g} s (time limit; raise it with --timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_query(
    ds: Dataset,
    text: str,
    bindings: Mapping[str, URIRef | Literal | BNode] | None = None,
    *,
    timeout: float | None = None,
    allow_network: bool = False,
) -> Result:
    """Run a query over ``ds`` (default graph = union of all sources) and return the finished result.

    The result is fully evaluated before returning, so ``timeout`` (seconds) bounds all the work.
    """
    query = parse_query(text, allow_network=allow_network)
    clauses = None if allow_network else query.algebra.get("datasetClause")
    init = {Variable(k): v for k, v in (bindings or {}).items()}
    return execute(ds, query, init, text=text, clauses=clauses, timeout=timeout, allow_network=allow_network)


def is_oxigraph(ds: Dataset) -> bool:
    """Whether ``ds`` is held by Oxigraph (such a dataset exists only once oxrdflib is imported)."""
    if "oxrdflib" not in sys.modules:
        return False
    from kg.oxigraph_engine import store_of

    return store_of(ds) is not None


def execute(
    ds: Dataset,
    query: Query,
    init: Mapping[Variable, URIRef | Literal | BNode] | None = None,
    *,
    text: str | None = None,
    clauses: list | None = None,
    timeout: float | None = None,
    allow_network: bool = False,
) -> Result:
    """Evaluate a parsed query to the end, under the network guard and the deadline.

    ``clauses`` (FROM / FROM NAMED, or the protocol's graph parameters) select graphs of ``ds``;
    they replace the query's own dataset clause, which is never dereferenced. A dataset backed
    by Oxigraph is queried natively from ``text`` (the query as written), already checked by
    ``parse_query``.
    """
    if is_oxigraph(ds):
        from kg import oxigraph_engine

        if text is None:
            raise QueryError("the Oxigraph engine needs the query text")
        projected = {str(v) for v in query.algebra.get("PV") or ()}
        return oxigraph_engine.execute(ds, text, init, clauses=clauses, timeout=timeout, projected=projected)
    target = ds
    if clauses:
        target = dataset_view(ds, clauses)
        query.algebra["datasetClause"] = None
    why = "during a query; use --allow-network to permit it"
    try:
        with no_network(why, allowed=allow_network), deadline(timeout):
            result = target.query(query, initBindings=init or {})
            if result.type == "SELECT":
                result.bindings  # noqa: B018 - forces evaluation inside the deadline
            elif result.type in ("CONSTRUCT", "DESCRIBE"):
                result.graph  # noqa: B018
    except NetworkBlocked as exc:
        raise QueryError(str(exc)) from None
    except KGError:
        raise
    except RecursionError:
        raise QueryError("query too deeply nested to evaluate") from None
    except Exception as exc:  # evaluation errors from rdflib (type errors, bad functions)
        raise QueryError(f"query failed: {exc}") from None
    return result


def run_update_on_copy(ds: Dataset, text: str, *, timeout: float | None = None) -> Dataset:
    """Apply SPARQL Update to a copy of ``ds`` and return the copy; ``ds`` itself never changes.

    LOAD (which fetches from the web) stays refused.
    """
    try:
        update = translateUpdate(parseUpdate(text), initNs=dict(PREFIXES))
    except Exception as exc:
        if hasattr(exc, "lineno"):
            raise QueryError(f"malformed update: {_position(exc)}syntax error") from None
        raise _translate_error(exc) from None
    if any(node.name == "Load" for node in _walk(update.algebra)):
        raise QueryError("LOAD is refused: updates never fetch data from the network")
    copy = Dataset(default_union=True)
    for prefix, ns in ds.namespaces():
        copy.bind(prefix, ns)
    for s, p, o, g in ds.quads((None, None, None, None)):
        copy.graph(getattr(g, "identifier", g)).add((s, p, o))
    try:
        with no_network("during an update"), deadline(timeout):
            copy.update(update)
    except NetworkBlocked as exc:
        raise QueryError(str(exc)) from None
    except KGError:
        raise
    except Exception as exc:
        raise QueryError(f"update failed: {exc}") from None
    return copy


def construct_graph(result: Result) -> Graph:
    """The graph a CONSTRUCT or DESCRIBE query built."""
    if result.type not in ("CONSTRUCT", "DESCRIBE") or result.graph is None:
        raise QueryError(f"expected a CONSTRUCT or DESCRIBE query, got {result.type}")
    bind_prefixes(result.graph)
    return result.graph
