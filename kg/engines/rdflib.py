"""The rdflib engine: the dataset in rdflib's own memory store, queried by rdflib's evaluator in this process.

Why in this process: rdflib is pure Python, so the command's timer signal (kg.engines.limits.deadline)
interrupts it between bytecodes and its allocations raise MemoryError under the ceiling; an audit
hook (kg.engines.guard) blocks any socket it would open. `kg serve` still runs it in killable workers,
where no signal reaches a request's thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import BNode, Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from kg.engines.backend import ANY, Capabilities, GraphSelection, Quad, Triple
from kg.engines.guard import NetworkBlocked, no_network
from kg.engines.limits import limited
from kg.engines.safety import Prepared, deep_recursion
from kg.engines.terms import NATIVE_FORMATS, QUAD_FORMATS, graph_from_ox, oxigraph_quads, term_from_ox
from kg.errors import InputError, KGError, QueryError
from kg.vocab.namespaces import bind_prefixes


def new_dataset() -> Dataset:
    """An empty Dataset with the project's prefixes bound and the default graph as the union."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    return ds


class RdflibBackend:
    """A dataset held in rdflib's memory store (any rdflib Dataset will do)."""

    title = "rdflib"
    capabilities = Capabilities(persistent=False, cached=True)
    read_only = False

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds

    @classmethod
    def empty(cls) -> RdflibBackend:
        return cls(new_dataset())

    @property
    def dataset(self) -> Dataset:
        return self._ds

    def query(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
        allow_network: bool = False,
    ) -> Result:
        """Evaluate to the end, under the network guard, the deadline and the memory ceiling."""
        selection = GraphSelection.chosen(prepared, graphs)
        target = self._ds if selection is None else self._view(selection)
        # FROM is served by the view above, never loaded by rdflib; the parse is shared (kg.engines.safety), so the
        # clause is dropped from a copy of its top node.
        algebra = prepared.query.algebra.clone()
        algebra["datasetClause"] = None
        query = Query(prepared.query.prologue, algebra)
        why = "during a query; use --allow-network to permit it"
        try:
            with no_network(why, allowed=allow_network), limited(timeout, memory_limit), deep_recursion():
                result = target.query(query, initBindings={str(k): v for k, v in prepared.bindings.items()})
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

    def query_json(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
    ) -> bytes:
        result = self.query(prepared, graphs=graphs, timeout=timeout, memory_limit=memory_limit)
        if result.type not in ("SELECT", "ASK"):
            raise QueryError(f"a {result.type} answer is a graph, not SPARQL JSON results")
        payload = result.serialize(format="json")
        assert payload is not None  # given no destination, rdflib returns the bytes
        return payload

    def _view(self, selection: GraphSelection) -> Dataset:
        """The dataset a selection describes, built from graphs already in the dataset.

        Hand-written because rdflib either dereferences FROM's IRIs over the network or, with loading
        off, adds the FROM graph's triples into the dataset's own default graph.
        """
        known = {g.identifier: g for g in self._ds.graphs()}
        selection.require(lambda iris: {i for i in iris if i in known})
        view = Dataset(default_union=False)
        for prefix, ns in self._ds.namespaces():
            view.bind(prefix, ns)
        for iri in selection.default:
            for triple in known[iri]:
                view.default_graph.add(triple)
        for iri in selection.named:
            target = view.graph(iri)
            for triple in known[iri]:
                target.add(triple)
        return view

    def quads(self, pattern: Quad = ANY) -> Iterator[Quad]:
        for s, p, o, context in self._ds.quads(pattern):
            name = getattr(context, "identifier", context)
            # rdflib lists every graph stating a matching triple, also when the pattern names one
            if name not in (None, DATASET_DEFAULT_GRAPH_ID) and pattern[3] in (None, name):
                yield s, p, o, name

    def add_graph(self, name: URIRef, triples: Iterable[Triple]) -> None:
        target = self._ds.graph(name)
        target.addN((s, p, o, target) for s, p, o in triples)

    def load_file(self, path: Path, graph: URIRef | None) -> None:
        """Quad files keep their default-graph statements in the dataset's default graph."""
        fmt = NATIVE_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"{path}: not a format Oxigraph's parser reads")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        base = path.resolve().as_uri()
        target = None if fmt in QUAD_FORMATS else (graph or URIRef(base))
        blanks: dict[str, BNode] = {}
        self._add(
            [
                (
                    term_from_ox(q.subject, blanks),
                    term_from_ox(q.predicate, blanks),
                    term_from_ox(q.object, blanks),
                    target or graph_from_ox(q.graph_name, blanks),
                )
                for q in oxigraph_quads(path, fmt, base, data)
            ]
        )

    def load_quads(self, quads: list[Quad], own: URIRef) -> None:
        """Statements the file put in no graph stay in the dataset's default graph."""
        self._add(quads)

    def _add(self, quads: list[Quad]) -> None:
        """Add quads all at once: nothing of a file that fails to parse reaches the dataset."""
        contexts = {g: self._ds.graph(g) for g in {q[3] for q in quads}}
        self._ds.addN((s, p, o, contexts[g]) for s, p, o, g in quads)
