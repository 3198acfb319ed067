"""The Oxigraph engine: the same dataset held in pyoxigraph and queried by its native SPARQL evaluator.

Why: rdflib evaluates SPARQL in pure Python and slows badly with size; Oxigraph answers the same
questions orders of magnitude faster on large graphs. The dataset semantics stay those of the
rdflib engine: one named graph per source file, the default graph the union of all graphs, the
project's prefixes predeclared, and parameters bound as SEP-0007 substitutions (the variable is
replaced everywhere, which is what rdflib's initial bindings do for our saved queries).

The store is also wrapped as an rdflib ``Dataset`` (oxrdflib's store), so code written against
rdflib's triple API (resolver, ``kg entity``, ``kg stats``, graph views) runs unchanged on it.

Safety: queries reach this module only as text kg.engines.safety.prepare normalised and checked (SERVICE
refused, parameters validated); updates, LOAD included, never reach it. They are evaluated in the
store's worker process (kg.engines.oxigraph_worker), which has no network, is killed at the deadline and
runs under the memory ceiling; it sends its result back serialized (SPARQL JSON or N-Triples) and
the parent reads it with pyoxigraph's parsers. Every write to a store here retires its worker, whose
copy of the store is then stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.query import Result

from kg.engines import limits, oxigraph_worker
from kg.engines.limits import check_timeout
from kg.engines.safety import prepare
from kg.engines.terms import oxigraph_quads
from kg.errors import InputError, KGError, QueryError
from kg.vocab.namespaces import PREFIXES, bind_prefixes

#: File suffix → pyoxigraph format, for the formats Oxigraph parses natively and safely. JSON-LD
#: (remote contexts) and RDF/XML (entity declarations) go through kg.dataset.load's guarded rdflib parsers.
NATIVE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
}
_QUAD_FORMATS = {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}
_XSD_STRING = str(XSD.string)


def load_file(store: ox.Store, path: Path, graph: URIRef | None = None) -> None:
    """Parse one file into ``store`` with Oxigraph's own parser; triples go to ``graph`` (else the file's URI)
    and into the store's default graph, which holds the merge of all graphs (see ``merge_into_default``).

    In memory, Oxigraph's plain loader is faster than its bulk loader (measured); on-disk stores are
    filled by ``bulk_load_files``. A file is refused exactly as the rdflib engine refuses it: a syntax
    error names the file and line, and what rdflib cannot hold (kg.engines.terms.unsupported_problem) is refused.
    """
    fmt = NATIVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: not a format the Oxigraph loader reads natively")
    oxigraph_worker.retire(store)
    if fmt in _QUAD_FORMATS:
        store.extend(_file_quads(path, graph))
        return
    base = path.resolve().as_uri()
    own = ox.NamedNode(str(graph) if graph else base)
    try:
        for target in (own, ox.DefaultGraph()):
            store.load(path=str(path), format=fmt, base_iri=base, to_graph=target)
    except (SyntaxError, OSError) as exc:
        _refuse_in_file_order(path, fmt, base)
        raise InputError(f"{path}: cannot load: {exc}") from None
    if store.query(_SUSPECT_OBJECTS, default_graph=own):
        _refuse_in_file_order(path, fmt, base)


#: Objects that may be what rdflib cannot hold (see kg.engines.terms.unsupported_problem): a cheap filter in Rust.
_SUSPECT_OBJECTS = (
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ASK { ?s ?p ?o "
    'FILTER(isTRIPLE(?o) || LANGDIR(?o) != "" || DATATYPE(?o) IN (xsd:token, xsd:normalizedString)) }'
)


def _refuse_in_file_order(path: Path, fmt: ox.RdfFormat, base: str) -> None:
    """Read the file again with the rdflib engine's checks, which raise at its first problem, in file order:
    the loader above runs in Rust, fast, but does not say which problem comes first."""
    for _ in oxigraph_quads(path, fmt, base):
        pass


def bulk_load_files(store: ox.Store, files: list[tuple[Path, URIRef | None]]) -> None:
    """Load many files into an on-disk store in one pass of Oxigraph's bulk loader, each triple into its
    graph (``None``: the file's URI) and into the merge, as ``load_file`` does.

    Why one pass: a bulk load per file writes and ingests its own sorted files, which made a store of
    4,000 articles take 130 s to build instead of 17 s.
    """
    oxigraph_worker.retire(store)
    store.bulk_extend(quad for path, graph in files for quad in _file_quads(path, graph))


def _file_quads(path: Path, graph: URIRef | None) -> Iterator[ox.Quad]:
    fmt = NATIVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: not a format the Oxigraph loader reads natively")
    base = path.resolve().as_uri()
    own = ox.NamedNode(str(graph) if graph else base)
    for q in oxigraph_quads(path, fmt, base):
        yield ox.Quad(q.subject, q.predicate, q.object, _named(q.graph_name, own))
        yield ox.Quad(q.subject, q.predicate, q.object)


def _named(graph: object, fallback: ox.NamedNode) -> object:
    return fallback if isinstance(graph, ox.DefaultGraph) else graph


def merge_into_default(store: ox.Store, graph: URIRef | None = None) -> None:
    """Add ``graph`` (None: every named graph) to the default graph, which holds their RDF merge.

    Why a materialised merge: pyoxigraph 0.5's union default graph is a bag, so a triple stated by
    three articles would match three times (oxigraph/oxigraph#1919, fixed after 0.5). A real
    default graph is a set, which gives rdflib's answers; the price is loading each triple twice.
    """
    oxigraph_worker.retire(store)
    where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph is not None else "GRAPH ?g { ?s ?p ?o }"
    store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ {where} }}")


def add_dataset(store: ox.Store, ds: Dataset, own: URIRef) -> None:
    """Copy an rdflib Dataset's quads (from a file only rdflib's guarded parsers read, its terms checked by
    kg.dataset.load) into ``store`` and into the merge; default-graph triples go to ``own``, the file's graph, as
    ``load_file`` puts those of TriG and N-Quads (in the merge alone, rdflib's view of the store missed them).

    Blank nodes get fresh Oxigraph identifiers: rdflib's labels (whatever a JSON-LD ``_:`` id said) need
    not be valid ones.
    """
    blanks: dict[BNode, ox.BlankNode] = {}

    def term(t: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if not isinstance(t, BNode):
            return to_ox(t)
        if t not in blanks:
            blanks[t] = ox.BlankNode()
        return blanks[t]

    fallback = ox.NamedNode(str(own))
    quads = [
        ox.Quad(term(s), term(p), term(o), _named(_graph_to_ox(getattr(g, "identifier", g), term), fallback))
        for s, p, o, g in ds.quads((None, None, None, None))
    ]
    oxigraph_worker.retire(store)
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)


def _graph_to_ox(graph: object, term: Callable[[object], object]) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
    if graph is None or graph == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    return term(graph)  # type: ignore[return-value]


class _MergedStore(OxigraphStore):
    """oxrdflib's store, minus the materialised merge: rdflib's view of the dataset sees each triple in the
    named graphs that state it, as with rdflib's own store, and not a second time in the default graph."""

    def triples(self, triple_pattern, context=None):  # type: ignore[no-untyped-def]
        if context is not None and getattr(context, "identifier", context) == DATASET_DEFAULT_GRAPH_ID:
            return iter(())
        found = super().triples(triple_pattern, context)
        return found if context is not None else self._named_only(found)

    @staticmethod
    def _named_only(found):  # type: ignore[no-untyped-def]
        for triple, contexts in found:
            graph = next(contexts)
            if graph.identifier != DATASET_DEFAULT_GRAPH_ID:
                yield triple, iter((graph,))

    def __len__(self, context=None) -> int:  # type: ignore[no-untyped-def]
        if context is not None and getattr(context, "identifier", context) == DATASET_DEFAULT_GRAPH_ID:
            return 0
        return super().__len__(context)

    def contexts(self, triple=None):  # type: ignore[no-untyped-def]
        return (g for g in super().contexts(triple) if g.identifier != DATASET_DEFAULT_GRAPH_ID)

    # Writes through rdflib's API keep the merge in step with the named graphs, and retire the query
    # worker, whose copy of the store is stale afterwards.
    def add(self, triple, context, quoted=False):  # type: ignore[no-untyped-def]
        oxigraph_worker.retire(self._inner)
        super().add(triple, context, quoted)
        if not _is_default(context):
            self._inner.add(ox.Quad(*(to_ox(t) for t in triple)))

    def addN(self, quads):  # type: ignore[no-untyped-def]
        oxigraph_worker.retire(self._inner)
        quads = list(quads)
        super().addN(quads)
        self._inner.extend([ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o, g in quads if not _is_default(g)])

    def remove(self, triple, context=None):  # type: ignore[no-untyped-def]
        oxigraph_worker.retire(self._inner)
        if context is None or _is_default(context):
            super().remove(triple, None if context is None else context)
            return
        graph = to_ox(getattr(context, "identifier", context))
        gone = [q.triple for q in self._inner.quads_for_pattern(*(_or_any(t) for t in triple), graph)]
        super().remove(triple, context)
        self._unmerge(gone)

    def remove_graph(self, graph):  # type: ignore[no-untyped-def]
        oxigraph_worker.retire(self._inner)
        name = to_ox(getattr(graph, "identifier", graph))
        gone = [q.triple for q in self._inner.quads_for_pattern(None, None, None, name)]
        super().remove_graph(graph)
        self._unmerge(gone)

    def _unmerge(self, triples: list[ox.Triple]) -> None:
        """Drop from the merge the triples no named graph states any more."""
        for t in triples:
            named = self._inner.quads_for_pattern(t.subject, t.predicate, t.object, None)
            if all(isinstance(q.graph_name, ox.DefaultGraph) for q in named):
                self._inner.remove(ox.Quad(t.subject, t.predicate, t.object))

    def query(self, query, initNs, initBindings, queryGraph, **kwargs):  # type: ignore[no-untyped-def]
        """rdflib's ``Dataset.query`` with a text goes through kg's check and worker, as ``kg.run_query`` does:
        oxrdflib would hand it to Oxigraph in this process, SERVICE and all."""
        if not isinstance(query, str) or kwargs:
            raise NotImplementedError("rdflib evaluates parsed queries itself over this store's triples")
        prepared = prepare(query, {str(k): v for k, v in (initBindings or {}).items()})
        view = Dataset(store=self, default_union=True)
        return execute(view, prepared.text, prepared.bindings, clauses=prepared.dataset_clauses)

    def update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise QueryError(
            "SPARQL Update is refused on an Oxigraph dataset: kg.query.sparql.run_update_on_copy changes a copy"
        )


def _is_default(context: object) -> bool:
    return getattr(context, "identifier", context) in (None, DATASET_DEFAULT_GRAPH_ID)


def _or_any(term: object) -> object:
    return None if term is None else to_ox(term)


class _ReadOnlyStore(_MergedStore):
    """oxrdflib's store over a read-only Oxigraph store: naming a graph (rdflib's ``Dataset.graph``) must not
    start a write transaction, which a read-only store refuses."""

    def add_graph(self, graph: Graph) -> None:
        """Graphs exist by their quads; nothing to record."""


def as_dataset(store: ox.Store, read_only: bool = False) -> Dataset:
    """``store`` seen through rdflib's API; the default graph is the union of all graphs."""
    ds = Dataset(store=(_ReadOnlyStore if read_only else _MergedStore)(store=store), default_union=True)
    bind_prefixes(ds)
    return ds


def is_read_only(ds: Dataset) -> bool:
    """Whether ``ds`` is an on-disk store opened read-only (as every command but `kg build` opens it)."""
    return isinstance(ds.store, _ReadOnlyStore)


def store_of(ds: Dataset) -> ox.Store | None:
    """The Oxigraph store behind ``ds``, or None for rdflib's own in-memory store."""
    return ds.store._inner if isinstance(ds.store, OxigraphStore) else None


# --- terms ---------------------------------------------------------------------------------------


def to_ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise QueryError(f"cannot use {term!r} as an RDF term")


def to_rdflib(term: object) -> URIRef | BNode | Literal:
    """A pyoxigraph term as the rdflib term rdflib's own parsers would have made (xsd:string → plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise QueryError(f"the result holds a term rdflib cannot represent: {term}")


# --- queries -------------------------------------------------------------------------------------


def _dataset_args(store: ox.Store, clauses: list | None) -> dict[str, object]:
    """The query's dataset: the union default graph, or the graphs FROM / FROM NAMED select (never fetched)."""
    if not clauses:
        return {}  # the store's default graph: the merge of all graphs (see merge_into_default)
    defaults = [dict(c)["default"] for c in clauses if "default" in dict(c)]
    named = [dict(c)["named"] for c in clauses if "named" in dict(c)]
    for iri in defaults + named:
        if not store.contains_named_graph(ox.NamedNode(str(iri))):
            raise QueryError(f"FROM <{iri}>: no such graph in the dataset (FROM never loads from the web)")
    return {  # FROM without FROM NAMED leaves no named graphs, and the reverse no default graph (§13.2)
        "default_graph": [ox.NamedNode(str(i)) for i in defaults],
        "named_graphs": [ox.NamedNode(str(i)) for i in named],
    }


def _query_args(
    store: ox.Store, text: str, bindings: Mapping[Variable, object], clauses: list | None
) -> dict[str, object]:
    """The arguments of ``Store.query``: the checked text as it is, projected parameters as substitutions,
    the project's prefixes and the query's dataset."""
    return {
        "query": text,
        "prefixes": {p: str(ns) for p, ns in PREFIXES.items()},
        "substitutions": {ox.Variable(str(k)): to_ox(v) for k, v in bindings.items()},
        **_dataset_args(store, clauses),
    }


def _evaluate(store: ox.Store, args: dict[str, object]) -> object:
    try:
        return store.query(**args)
    except SyntaxError as exc:
        raise QueryError(f"invalid query (Oxigraph): {exc}") from None
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None


def _to_result(answer: object) -> Result:
    if isinstance(answer, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(answer)
        return out
    if isinstance(answer, ox.QuerySolutions):
        out = Result("SELECT")
        out.vars = [Variable(v.value) for v in answer.variables]
        out.bindings = [
            {var: to_rdflib(value) for var, value in zip(out.vars, solution, strict=True) if value is not None}
            for solution in answer
        ]
        return out
    out = Result("CONSTRUCT")
    graph = Graph()
    for triple in answer:  # type: ignore[attr-defined]
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    bind_prefixes(graph)
    out.graph = graph
    return out


def _serialize(answer: object) -> tuple[bytes, bytes]:
    """(kind, payload) for the pipe: b"S" SPARQL JSON of a SELECT/ASK, b"G" N-Triples of a CONSTRUCT."""
    if isinstance(answer, (ox.QueryBoolean, ox.QuerySolutions)):
        return b"S", answer.serialize(format=ox.QueryResultsFormat.JSON)
    return b"G", answer.serialize(format=ox.RdfFormat.N_TRIPLES)  # type: ignore[attr-defined]


def _deserialize(kind: bytes, payload: bytes) -> object:
    if kind == b"S":
        return ox.parse_query_results(payload, format=ox.QueryResultsFormat.JSON)
    return (q.triple for q in ox.parse(payload, format=ox.RdfFormat.N_TRIPLES))


def result_from_bytes(payload: bytes, kind: str) -> Result:
    """A serialized answer (``json``: SPARQL JSON results, ``nt``: N-Triples) as a finished rdflib Result.

    Raises SyntaxError or ValueError when the payload is not complete.
    """
    return _to_result(_deserialize(b"S" if kind == "json" else b"G", payload))


def execute(
    ds: Dataset,
    text: str,
    bindings: Mapping[Variable, object] | None = None,
    *,
    clauses: list | None = None,
    timeout: float | None = None,
    memory_limit: int | None = None,
) -> Result:
    """Evaluate ``text`` (checked by kg.engines.safety.prepare) over the Oxigraph store behind ``ds``; a finished
    Result.

    ``bindings`` are the parameters the query projects (Oxigraph's substitutions). The query runs in
    the store's worker process (kg.engines.oxigraph_worker), which has no network and is stopped at the
    deadline or the memory ceiling, unless this process is itself such a worker (kg serve's).
    """
    store = store_of(ds)
    if store is None:
        raise QueryError("not an Oxigraph-backed dataset")
    args = _query_args(store, text, bindings or {}, clauses)
    if limits.in_worker:
        return _to_result(_evaluate(store, args))
    seconds = min((t for t in (check_timeout(timeout), limits.remaining()) if t is not None), default=None)

    def answer(request: dict[str, object]) -> tuple[bytes, bytes]:
        try:
            return _serialize(_evaluate(store, request["args"]))  # type: ignore[arg-type]
        except KGError as exc:
            return b"E", str(exc).encode("utf-8")

    kind, payload = oxigraph_worker.ask(store, ds.store, answer, {"args": args, "memory": memory_limit}, seconds)
    if kind == b"E":
        raise QueryError(payload.decode("utf-8", "replace"))
    return _to_result(_deserialize(kind, payload))


def new_store(path: Path | None = None) -> ox.Store:
    """An empty in-memory store, or a read-write on-disk one at ``path``."""
    return ox.Store(str(path)) if path is not None else ox.Store()
