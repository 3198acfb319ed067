"""The Oxigraph engine: the dataset held in pyoxigraph and queried by its native SPARQL evaluator.

Why: rdflib evaluates SPARQL in pure Python and slows badly with size; Oxigraph answers the same
questions orders of magnitude faster on large graphs. The dataset semantics stay those of the
rdflib engine: one named graph per source file, the default graph the union of all graphs, the
project's prefixes predeclared, and parameters bound as SEP-0007 substitutions (the variable is
replaced everywhere, which is what rdflib's initial bindings do for our saved queries).

The store is also seen as an rdflib ``Dataset`` (oxrdflib's store), so code written against
rdflib's triple API (resolver, ``kg entity``, ``kg stats``, graph views) runs unchanged on it.

Safety: queries reach ``OxigraphBackend.query`` only as text kg.engines.safety.prepare normalised and
checked; updates, LOAD included, never reach it. They are evaluated in the store's worker process
(kg.engines.worker running kg.engines.oxigraph_worker), which has no network, is killed at the
deadline and runs under the memory ceiling, unless this process is itself such a worker (`kg serve`'s).
Every write through the backend or its rdflib view retires the worker, whose snapshot is then stale.
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Identifier

from kg.engines import limits
from kg.engines.backend import ANY, Capabilities, GraphSelection, Quad, Triple
from kg.engines.oxigraph_worker import ERROR, TABLE, Snapshot, answer, evaluate, open_snapshot
from kg.engines.results import result_from_bytes, to_result
from kg.engines.safety import Prepared, prepare
from kg.engines.terms import (
    NATIVE_FORMATS,
    QUAD_FORMATS,
    oxigraph_quads,
    to_ox,
    to_ox_iri,
    to_ox_resource,
    to_rdflib,
)
from kg.engines.worker import Worker
from kg.errors import InputError, QueryError
from kg.vocab.namespaces import PREFIXES, bind_prefixes

if TYPE_CHECKING:
    from rdflib.graph import _QuadType, _TriplePatternType, _TripleType

log = logging.getLogger("kg.oxigraph")
_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}
#: Objects that may be what rdflib cannot hold (see kg.engines.terms.unsupported_problem): a cheap filter in Rust.
_SUSPECT_OBJECTS = (
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ASK { ?s ?p ?o "
    'FILTER(isTRIPLE(?o) || LANGDIR(?o) != "" || DATATYPE(?o) IN (xsd:token, xsd:normalizedString)) }'
)


# --- filling a store -----------------------------------------------------------------------------


def _native_format(path: Path) -> ox.RdfFormat:
    fmt = NATIVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: not a format the Oxigraph loader reads natively")
    return fmt


def load_file(store: ox.Store, path: Path, graph: URIRef | None = None) -> None:
    """Parse one file into ``store`` with Oxigraph's own parser; triples go to ``graph`` (else the file's URI)
    and into the store's default graph, which holds the merge of all graphs (see ``merge_into_default``).

    In memory, Oxigraph's plain loader is faster than its bulk loader (measured); on-disk stores are
    filled by ``bulk_load_files``. A file is refused exactly as the rdflib engine refuses it: a syntax
    error names the file and line, and what rdflib cannot hold (kg.engines.terms.unsupported_problem) is refused.
    """
    fmt = _native_format(path)
    if fmt in QUAD_FORMATS:
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
    store.bulk_extend(quad for path, graph in files for quad in _file_quads(path, graph))


def _file_quads(path: Path, graph: URIRef | None) -> Iterator[ox.Quad]:
    base = path.resolve().as_uri()
    own = ox.NamedNode(str(graph) if graph else base)
    for q in oxigraph_quads(path, _native_format(path), base):
        yield ox.Quad(q.subject, q.predicate, q.object, _named(q.graph_name, own))
        yield ox.Quad(q.subject, q.predicate, q.object)


def _named(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph, fallback: ox.NamedNode) -> ox.NamedNode | ox.BlankNode:
    return fallback if isinstance(graph, ox.DefaultGraph) else graph


def merge_into_default(store: ox.Store) -> None:
    """Add every named graph to the default graph, which holds their RDF merge.

    Why a materialised merge: pyoxigraph 0.5's union default graph is a bag, so a triple stated by
    three articles would match three times (oxigraph/oxigraph#1919, fixed after 0.5). A real
    default graph is a set, which gives rdflib's answers; the price is loading each triple twice.
    """
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


# --- rdflib's view of a store --------------------------------------------------------------------


class _MergedStore(OxigraphStore):
    """oxrdflib's store, minus the materialised merge: rdflib's view of the dataset sees each triple in the
    named graphs that state it, as with rdflib's own store, and not a second time in the default graph."""

    def __init__(self, backend: OxigraphBackend) -> None:
        super().__init__(store=backend.store)
        self.backend = backend

    def triples(
        self, triple_pattern: _TriplePatternType, context: Graph | None = None
    ) -> Iterator[tuple[_TripleType, Iterator[Graph | None]]]:
        if context is not None and getattr(context, "identifier", context) == DATASET_DEFAULT_GRAPH_ID:
            return iter(())
        found = super().triples(triple_pattern, context)
        return found if context is not None else self._named_only(found)

    @staticmethod
    def _named_only(
        found: Iterator[tuple[_TripleType, Iterator[Graph | None]]],
    ) -> Iterator[tuple[_TripleType, Iterator[Graph | None]]]:
        for triple, contexts in found:
            graph = next(contexts)
            assert graph is not None  # oxrdflib names the graph of every quad it lists
            if graph.identifier != DATASET_DEFAULT_GRAPH_ID:
                yield triple, iter((graph,))

    def __len__(self, context: Graph | None = None) -> int:
        if context is not None and getattr(context, "identifier", context) == DATASET_DEFAULT_GRAPH_ID:
            return 0
        return super().__len__(context)

    def contexts(self, triple: _TripleType | None = None) -> Generator[Graph, None, None]:
        return (g for g in super().contexts(triple) if g.identifier != DATASET_DEFAULT_GRAPH_ID)

    # Writes through rdflib's API keep the merge in step with the named graphs, and retire the query
    # worker, whose snapshot is stale afterwards.
    def add(self, triple: _TripleType, context: Graph, quoted: bool = False) -> None:
        self.backend.retire()
        super().add(triple, context, quoted)
        if not _is_default(context):
            s, p, o = triple
            self._inner.add(ox.Quad(to_ox_resource(s), to_ox_iri(p), to_ox(o)))

    def addN(self, quads: Iterable[_QuadType]) -> None:
        self.backend.retire()
        quads = list(quads)
        super().addN(quads)
        self._inner.extend(
            [ox.Quad(to_ox_resource(s), to_ox_iri(p), to_ox(o)) for s, p, o, g in quads if not _is_default(g)]
        )

    def remove(self, triple: _TriplePatternType, context: Graph | None = None) -> None:
        self.backend.retire()
        if context is None or _is_default(context):
            super().remove(triple, None if context is None else context)
            return
        pattern = _ox_pattern((*triple, getattr(context, "identifier", context)))
        gone = [q.triple for q in self._inner.quads_for_pattern(*pattern)]
        super().remove(triple, context)
        self._unmerge(gone)

    def remove_graph(self, graph: Graph) -> None:
        self.backend.retire()
        name = to_ox_resource(getattr(graph, "identifier", graph))
        gone = [q.triple for q in self._inner.quads_for_pattern(None, None, None, name)]
        super().remove_graph(graph)
        self._unmerge(gone)

    def _unmerge(self, triples: list[ox.Triple]) -> None:
        """Drop from the merge the triples no named graph states any more."""
        for t in triples:
            named = self._inner.quads_for_pattern(t.subject, t.predicate, t.object, None)
            if all(isinstance(q.graph_name, ox.DefaultGraph) for q in named):
                self._inner.remove(ox.Quad(t.subject, t.predicate, t.object))

    def query(
        self,
        query: Query | str,
        initNs: Mapping[str, Any],
        initBindings: Mapping[str, Identifier],
        queryGraph: str,
        **kwargs: object,
    ) -> Result:
        """rdflib's ``Dataset.query`` with a text goes through kg's check and worker, as ``kg.run_query`` does:
        oxrdflib would hand it to Oxigraph in this process, SERVICE and all."""
        if not isinstance(query, str) or kwargs:
            raise NotImplementedError("rdflib evaluates parsed queries itself over this store's triples")
        return self.backend.query(prepare(query, {str(k): v for k, v in (initBindings or {}).items()}))

    def update(self, *args: object, **kwargs: object) -> NoReturn:
        raise QueryError(
            "SPARQL Update is refused on an Oxigraph dataset: kg.query.update.run_update_on_copy changes a copy"
        )


def _is_default(context: object) -> bool:
    return getattr(context, "identifier", context) in (None, DATASET_DEFAULT_GRAPH_ID)


def _ox_pattern(
    pattern: tuple[object, object, object, object],
) -> tuple[
    ox.NamedNode | ox.BlankNode | None,
    ox.NamedNode | None,
    ox.NamedNode | ox.BlankNode | ox.Literal | None,
    ox.NamedNode | ox.BlankNode | None,
]:
    """A pattern of rdflib terms (None matching anything) as the arguments of ``Store.quads_for_pattern``."""
    s, p, o, g = pattern
    return (
        None if s is None else to_ox_resource(s),
        None if p is None else to_ox_iri(p),
        None if o is None else to_ox(o),
        None if g is None else to_ox_resource(g),
    )


class _ReadOnlyStore(_MergedStore):
    """oxrdflib's store over a read-only Oxigraph store: naming a graph (rdflib's ``Dataset.graph``) must not
    start a write transaction, which a read-only store refuses."""

    def add_graph(self, graph: Graph) -> None:
        """Graphs exist by their quads; nothing to record."""


# --- the backend ---------------------------------------------------------------------------------


class OxigraphBackend:
    """A dataset held in a pyoxigraph store: in memory, or on disk at ``path`` (kg.dataset.store)."""

    title = "Oxigraph"
    capabilities = Capabilities(persistent=True, cached=False)

    def __init__(self, store: ox.Store, *, read_only: bool = False, path: Path | None = None) -> None:
        self.store = store
        self._read_only = read_only
        self._path = path
        self._lock = threading.Lock()  # guards the worker's start and retirement
        self._busy = threading.Lock()  # held while a query runs in the worker
        self._worker: Worker | None = None
        self._ended: weakref.finalize | None = None
        self._view = (_ReadOnlyStore if read_only else _MergedStore)(self)

    @classmethod
    def empty(cls) -> OxigraphBackend:
        return cls(ox.Store())

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def dataset(self) -> Dataset:
        ds = Dataset(store=self._view, default_union=True)
        bind_prefixes(ds)
        return ds

    # --- queries ---

    def query(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
        allow_network: bool = False,
    ) -> Result:
        """Evaluate the checked text natively, in the store's worker: no network there even when ``allow_network``
        lets SERVICE past the check."""
        args = self._query_args(prepared, graphs)
        if limits.in_worker:
            return to_result(evaluate(self.store, args))
        kind, payload = self._answer(args, timeout, memory_limit)
        return result_from_bytes(payload, kind)

    def query_json(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
    ) -> bytes:
        """Oxigraph writes the JSON itself: no rdflib term is built, which at Oxigraph's speed would cost more than
        the evaluation."""
        args = self._query_args(prepared, graphs)
        kind, payload = answer(self.store, args) if limits.in_worker else self._answer(args, timeout, memory_limit)
        if kind == ERROR:
            raise QueryError(payload.decode("utf-8", "replace"))
        if kind != TABLE:
            raise QueryError("a CONSTRUCT or DESCRIBE answer is a graph, not SPARQL JSON results")
        return payload

    def _query_args(self, prepared: Prepared, graphs: GraphSelection | None) -> dict[str, object]:
        return {
            "query": prepared.text,
            "prefixes": _PREFIXES,
            "substitutions": {ox.Variable(str(k)): to_ox(v) for k, v in prepared.bindings.items()},
            **self._dataset_args(GraphSelection.chosen(prepared, graphs)),
        }

    def _answer(self, args: dict[str, object], timeout: float | None, memory_limit: int | None) -> tuple[bytes, bytes]:
        """The worker's serialized answer; QueryError carrying its message when it could not answer."""
        kind, payload = self._ask(args, limits.budget(timeout), memory_limit)
        if kind == ERROR:
            raise QueryError(payload.decode("utf-8", "replace"))
        return kind, payload

    def _dataset_args(self, graphs: GraphSelection | None) -> dict[str, object]:
        """The query's dataset: the store's default graph (the merge), or the graphs a selection names."""
        if graphs is None:
            return {}
        graphs.require(lambda iris: {i for i in iris if self.store.contains_named_graph(ox.NamedNode(str(i)))})
        return {
            "default_graph": [ox.NamedNode(str(i)) for i in graphs.default],
            "named_graphs": [ox.NamedNode(str(i)) for i in graphs.named],
        }

    def _ask(self, args: dict[str, object], seconds: float | None, memory: int | None) -> tuple[bytes, bytes]:
        """The reply of the store's worker (started on first use); while another thread's query runs there, of a
        worker of its own."""
        if not self._busy.acquire(blocking=False):
            single = self._start_worker()
            try:
                return single.ask(args, seconds, memory)
            finally:
                single.stop()
        try:
            with self._lock:
                if self._worker is None:
                    self._worker = self._start_worker()
                    self._ended = weakref.finalize(self, self._worker.stop)  # the worker ends with the dataset
                worker = self._worker
            return worker.ask(args, seconds, memory)
        except BaseException:
            self.retire()  # stopped at a limit, dead, or interrupted mid-query: the next query starts a fresh one
            raise
        finally:
            self._busy.release()

    def _start_worker(self) -> Worker:
        if self._read_only and self._path is not None:
            snapshot = Snapshot(path=str(self._path))
        else:
            nquads = self.store.dump(format=ox.RdfFormat.N_QUADS)
            assert nquads is not None  # dump without an output returns the bytes
            snapshot = Snapshot(nquads=nquads)
        worker = Worker(functools.partial(open_snapshot, snapshot))
        ready = worker.wait_ready()
        log.info("Oxigraph worker %d: %s", worker.pid, limits.describe_isolation(ready.isolation))
        return worker

    def retire(self) -> None:
        """Stop the worker, if any: the store changed (or a query overran a limit), so its snapshot is stale."""
        with self._lock:
            ended, self._worker, self._ended = self._ended, None, None
        if ended is not None:
            ended()

    @property
    def worker(self) -> Worker | None:
        """The worker now serving the store's queries, if any."""
        return self._worker

    # --- statements ---

    def quads(self, pattern: Quad = ANY) -> Iterator[Quad]:
        for q in self.store.quads_for_pattern(*_ox_pattern(pattern)):
            if not isinstance(q.graph_name, ox.DefaultGraph):
                yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object), to_rdflib(q.graph_name)

    def add_graph(self, name: URIRef, triples: Iterable[Triple]) -> None:
        self._writable()
        graph = to_ox_resource(name)
        quads = [ox.Quad(to_ox_resource(s), to_ox_iri(p), to_ox(o), graph) for s, p, o in triples]
        self.store.extend(quads)
        self.store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)

    def load_file(self, path: Path, graph: URIRef | None) -> None:
        self._writable()
        load_file(self.store, path, graph)

    def load_quads(self, quads: list[Quad], own: URIRef) -> None:
        """Default-graph statements go to ``own``, as ``load_file`` puts those of TriG and N-Quads (in the merge
        alone, rdflib's view of the store would miss them). Blank nodes get fresh Oxigraph identifiers: rdflib's
        labels (whatever a JSON-LD ``_:`` id said) need not be valid ones."""
        self._writable()
        blanks: dict[BNode, ox.BlankNode] = {}

        def term(t: object) -> Any:
            if not isinstance(t, BNode):
                return to_ox(t)
            if t not in blanks:
                blanks[t] = ox.BlankNode()
            return blanks[t]

        fallback = ox.NamedNode(str(own))
        named = [
            ox.Quad(term(s), term(p), term(o), fallback if g in (None, DATASET_DEFAULT_GRAPH_ID) else term(g))
            for s, p, o, g in quads
        ]
        self.store.bulk_extend(named)
        self.store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in named)

    def _writable(self) -> None:
        if self._read_only:
            raise QueryError("the store is open read-only: nothing can be added to it")
        self.retire()
