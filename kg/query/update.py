"""SPARQL Update on a copy of the dataset: the shipped graph itself is never written.

What an update means on our dataset (one named graph per source file, plus an unnamed default
graph that starts empty; queries read the default graph as the union of all graphs), in the
manner of RDF4J and GraphDB:

================================  =============================================================
operation                         effect on the copy
================================  =============================================================
WHERE, DELETE WHERE patterns      read the default graph as the union of every graph
INSERT DATA / INSERT {…} WHERE    triples outside GRAPH go into the unnamed default graph
DELETE DATA / DELETE {…} WHERE    triples outside GRAPH are removed from *every* graph (they are
/ DELETE WHERE                    all "in" the union the update read)
… GRAPH <g> {…}                   that graph only; GRAPH ?g takes the graph WHERE bound ?g to
WITH <g>                          <g> is the default graph for WHERE and for templates
USING <g> / USING NAMED <g>       WHERE reads only those graphs of the dataset (never fetched)
CLEAR / DROP DEFAULT              empty the unnamed default graph only
CLEAR / DROP NAMED | ALL          every named graph / every graph
CLEAR / DROP GRAPH <g>            that graph; fails if it holds nothing (unless SILENT)
CREATE GRAPH <g>                  fails if <g> holds triples (unless SILENT), else no effect:
                                  empty graphs are not kept, as the TriG copy cannot carry them
ADD / MOVE / COPY a TO b          as SPARQL says, DEFAULT naming the unnamed default graph;
                                  a missing source graph fails (unless SILENT)
LOAD                              refused: updates never fetch anything
================================  =============================================================

A request runs its operations in order; a failed one (not SILENT) fails the whole request and
nothing is written. Each DELETE/INSERT first finds every solution of WHERE, then deletes, then
inserts; template triples with an unbound variable or a literal as subject or predicate are
skipped. INSERT DATA blank nodes are fresh; blank nodes in DELETE are refused (SPARQL 1.1 §19.6).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from rdflib import BNode, Dataset, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, ConjunctiveGraph
from rdflib.namespace import XSD
from rdflib.plugins.sparql.algebra import BGP, Graph, Join, translateUpdate
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.evalutils import _fillTemplate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import FrozenBindings, QueryContext, Update
from rdflib.plugins.sparql.update import (
    evalAdd,
    evalClear,
    evalCopy,
    evalDeleteData,
    evalDrop,
    evalInsertData,
    evalMove,
)
from rdflib.term import IdentifiedNode, Node

from kg.engines.guard import NetworkBlocked, no_network
from kg.engines.limits import deadline
from kg.engines.safety import _position, _translate_error, _walk, normalise
from kg.errors import KGError, QueryError
from kg.vocab.namespaces import PREFIXES

Quad = tuple[Node, Node, Node, URIRef | None]


class _Failed(QueryError):
    """An operation SPARQL says fails, which SILENT turns into doing nothing."""


def run_update_on_copy(ds: Dataset, text: str, *, timeout: float | None = None) -> Dataset:
    """Apply SPARQL Update to a copy of ``ds`` and return the copy; ``ds`` itself never changes."""
    update = _parse(text)
    copy = Dataset(default_union=True)
    for prefix, ns in ds.namespaces():
        copy.bind(prefix, ns)
    for s, p, o, g in ds.quads((None, None, None, None)):
        copy.graph(getattr(g, "identifier", g)).add((s, p, _plain(o)))
    try:
        with no_network("during an update"), deadline(timeout):
            for op in update.algebra:
                ctx = QueryContext(copy, initBindings={})  # rdflib's evaluator expects a mapping here
                ctx.prologue = op.prologue
                try:
                    _OPERATIONS[op.name](ctx, op)
                except _Failed:
                    if not op.silent:
                        raise
    except NetworkBlocked as exc:
        raise QueryError(str(exc)) from None
    except KGError:
        raise
    except Exception as exc:
        raise QueryError(f"update failed: {exc}") from None
    return copy


def _plain(term: Node) -> Node:
    """``"x"^^xsd:string`` as ``"x"``: an Oxigraph store's rdflib view spells plain literals so, and rdflib's
    memory store would then not match them with the ``"x"`` an update writes."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _parse(text: str) -> Update:
    text = normalise(text)
    if not re.sub(r"#[^\n]*", "", text).strip():
        raise QueryError("empty update: write INSERT DATA, DELETE WHERE, CLEAR ... (nothing was written)")
    try:
        update = translateUpdate(parseUpdate(text), initNs=dict(PREFIXES))
    except Exception as exc:
        if hasattr(exc, "lineno"):
            raise QueryError(f"malformed update: {_position(exc)}syntax error") from None
        raise _translate_error(exc) from None
    if not hasattr(update, "algebra"):  # rdflib returns a bare list for a prologue with no operation
        raise QueryError("empty update: a prologue (PREFIX, BASE) but no operation")
    for node in _walk(update.algebra):
        if node.name == "Load":
            raise QueryError("LOAD is refused: updates never fetch data from the network")
        if node.name in ("DeleteData", "DeleteWhere", "DeleteClause") and any(
            isinstance(term, BNode) for _, triple in _templates(node) for term in triple
        ):
            raise QueryError("blank nodes cannot be deleted by label (SPARQL 1.1 §19.6): match them with a variable")
        if node.name in ("InsertData", "DeleteData"):
            for _, (s, p, _o) in _templates(node):
                if isinstance(s, Literal) or not isinstance(p, URIRef):
                    raise QueryError(f"{s.n3()} {p.n3()} … is not an RDF triple: a subject is an IRI or blank node")
    return update


def _templates(node: CompValue) -> Iterator[tuple[URIRef | Variable | None, tuple]]:
    """(graph or None, triple) for every triple of a template or data block."""
    for triple in node.triples or ():
        yield None, triple
    for graph, triples in (node.quads or {}).items():
        for triple in triples:
            yield graph, triple


# --- the operations rdflib gets wrong with a union default graph ----------------------------------------
#
# rdflib's QueryContext makes the Dataset itself the default graph when the default graph is the union.
# That is right for reading, but its update code writes to that "graph" as if it were one: INSERT DATA
# adds triples to a Dataset (which takes quads: "not enough values to unpack"), CLEAR DEFAULT empties
# every graph, DROP DEFAULT removes nothing, COPY … TO DEFAULT wipes the dataset. Operations that only
# write are therefore run with the unnamed default graph as ``ctx.graph`` (``_on_default``), which makes
# rdflib's own code right. DELETE/INSERT WHERE and DELETE WHERE are evaluated here (``_modify``): rdflib
# deletes only from the unnamed default graph, interleaves each solution's deletions and insertions,
# matches GRAPH ?g in DELETE WHERE against a graph named by the variable, and loads USING graphs from
# the web or the file system.


def _on_default(ctx: QueryContext) -> QueryContext:
    return ctx.pushGraph(ctx.dataset.get_context(DATASET_DEFAULT_GRAPH_ID))


def _holds_triples(ds: ConjunctiveGraph, graph: IdentifiedNode | str | None) -> bool:
    return graph in ("DEFAULT", "NAMED", "ALL") or next(iter(ds.get_context(graph)), None) is not None


def _require(ds: ConjunctiveGraph, graph: IdentifiedNode | str | None) -> None:
    if not _holds_triples(ds, graph):
        raise _Failed(f"graph <{graph}> does not exist (write SILENT to ignore that)")


def _insert_data(ctx: QueryContext, op: CompValue) -> None:
    fresh: dict[BNode, BNode] = {}

    def renamed(triples: list) -> list:
        return [tuple(fresh.setdefault(t, BNode()) if isinstance(t, BNode) else t for t in tr) for tr in triples]

    data = CompValue("InsertData", triples=renamed(op.triples), quads={g: renamed(t) for g, t in op.quads.items()})
    evalInsertData(_on_default(ctx), data)


def _clear(ctx: QueryContext, op: CompValue) -> None:
    _require(ctx.dataset, op.graphiri)
    evalClear(_on_default(ctx), op)


def _drop(ctx: QueryContext, op: CompValue) -> None:
    _require(ctx.dataset, op.graphiri)
    evalDrop(_on_default(ctx), op)


def _create(ctx: QueryContext, op: CompValue) -> None:
    if _holds_triples(ctx.dataset, op.graphiri):
        raise _Failed(f"graph <{op.graphiri}> already exists (write SILENT to ignore that)")


def _transfer(rdflib_op: Callable[[QueryContext, CompValue], None]) -> Callable[[QueryContext, CompValue], None]:
    """ADD, MOVE or COPY: SPARQL fails them when the source graph does not exist."""

    def run(ctx: QueryContext, op: CompValue) -> None:
        _require(ctx.dataset, op.graph[0])
        rdflib_op(_on_default(ctx), op)

    return run


def _delete_where(ctx: QueryContext, op: CompValue) -> None:
    """DELETE WHERE { P } is DELETE { P } WHERE { P }."""
    pattern = BGP(op.triples)
    for graph, triples in op.quads.items():
        pattern = Join(pattern, Graph(graph, BGP(triples)))
    _modify(ctx, CompValue("Modify", delete=op, where=pattern))


def _modify(ctx: QueryContext, op: CompValue) -> None:
    ds = ctx.dataset
    solutions = list(evalPart(_where_context(ctx, op), op.where))
    deletions = [q for c in solutions for q in _instances(op.delete, c, op.withClause)]
    insertions = [q for c in solutions for q in _instances(op.insert, c, op.withClause)]
    for s, p, o, g in deletions:
        (ds if g is None else ds.get_context(g)).remove((s, p, o))
    for s, p, o, g in insertions:
        ds.get_context(g or DATASET_DEFAULT_GRAPH_ID).add((s, p, o))


def _where_context(ctx: QueryContext, op: CompValue) -> QueryContext:
    """The dataset WHERE reads: USING graphs if any, else WITH's graph as default, else the union."""
    if op.using:
        where = QueryContext(_using_dataset(ctx.dataset, op.using), initBindings={})
        where.prologue = ctx.prologue
        return where
    if op.withClause:
        return ctx.pushGraph(ctx.dataset.get_context(op.withClause))
    return ctx


def _using_dataset(ds: ConjunctiveGraph, clauses: list[CompValue]) -> Dataset:
    """USING graphs merged as the default graph, USING NAMED graphs as the named ones (none without it).

    Not the rdflib engine's FROM view (kg.engines.rdflib): USING's graphs follow the update's rules, not a query's.
    """
    view = Dataset(default_union=False)
    for clause in clauses:
        # CompValue.get returns the key itself for a missing key, hence the plain dict.
        kind, iri = next(iter(dict(clause).items()))
        if not _holds_triples(ds, iri):
            raise QueryError(f"USING <{iri}>: no such graph in the dataset (updates never load from the web)")
        target = view.default_graph if kind == "default" else view.graph(iri)
        for triple in ds.get_context(iri):
            target.add(triple)
    return view


def _instances(clause: CompValue | None, solution: FrozenBindings, with_graph: URIRef | None) -> Iterator[Quad]:
    """The quads a template gives for one solution; a graph of None means "every graph" (a deletion)."""
    if clause is None:
        return
    groups = [(with_graph, clause.triples), *clause.quads.items()]
    for graph, triples in groups:
        name = solution.get(graph) if isinstance(graph, Variable) else graph
        if graph is not None and not isinstance(name, URIRef):
            continue
        for s, p, o in _fillTemplate(triples, solution):
            if not isinstance(s, Literal) and isinstance(p, URIRef):
                yield s, p, o, name


_OPERATIONS: dict[str, Callable[[QueryContext, CompValue], None]] = {
    "InsertData": _insert_data,
    "DeleteData": evalDeleteData,  # right as it is: removing a triple from the Dataset removes it from every graph
    "DeleteWhere": _delete_where,
    "Modify": _modify,
    "Clear": _clear,
    "Drop": _drop,
    "Create": _create,
    "Add": _transfer(evalAdd),
    "Move": _transfer(evalMove),
    "Copy": _transfer(evalCopy),
}
