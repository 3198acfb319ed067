"""What kg asks of an engine: the ``Backend`` protocol that rdflib (kg.engines.rdflib), embedded Oxigraph
(kg.engines.oxigraph) and a remote SPARQL endpoint (kg.engines.remote) each implement.

Why one protocol: the code above the engines (loading, querying, reasoning, serving, pushing) asks the
backend holding its data to do a thing, never which engine that is; kg.engines.registry finds a
dataset's backend. The rules every backend keeps are written once, here and beside it: the query it
runs is the one text kg.engines.safety.prepare checked (parameters written in as validated terms,
projected ones as substitutions); FROM / FROM NAMED only ever select graphs the dataset holds
(``GraphSelection``); time and memory are bounded by kg.engines.limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rdflib import Dataset, URIRef
from rdflib.query import Result

from kg.engines.safety import Prepared
from kg.errors import QueryError

#: (subject, predicate, object, graph); None in a pattern matches anything.
Quad = tuple[Any, Any, Any, Any]
Triple = tuple[Any, Any, Any]
ANY: Quad = (None, None, None, None)


@dataclass(frozen=True)
class Capabilities:
    """What an engine offers beyond answering queries, for the code that must choose."""

    persistent: bool  # it can hold a dataset in an on-disk store (`kg build --store`)
    cached: bool  # a dataset it holds can be kept in the parse cache (kg.dataset.cache writes its terms out)


@dataclass(frozen=True)
class GraphSelection:
    """The dataset a query reads (SPARQL 1.1 §13.2): FROM graphs merged as its default graph, FROM NAMED ones as
    its named graphs; one without the other leaves the other empty. Only graphs already in the dataset count:
    FROM never loads anything from the web."""

    default: tuple[URIRef, ...] = ()
    named: tuple[URIRef, ...] = ()

    @classmethod
    def of(cls, clauses: Iterable[Mapping[str, Any]] | None) -> GraphSelection | None:
        """The selection of FROM / FROM NAMED clauses (rdflib's algebra, or ``{"default": iri}`` and
        ``{"named": iri}`` from the protocol's graph parameters); None when there are none."""
        if not clauses:
            return None
        items = [dict(c) for c in clauses]  # CompValue.get returns the key itself for a missing key
        return cls(
            tuple(URIRef(c["default"]) for c in items if "default" in c),
            tuple(URIRef(c["named"]) for c in items if "named" in c),
        )

    @classmethod
    def chosen(cls, prepared: Prepared, graphs: GraphSelection | None) -> GraphSelection | None:
        """The graphs a run of ``prepared`` reads: ``graphs`` when given, else the query's own FROM / FROM NAMED."""
        return graphs if graphs is not None else cls.of(prepared.dataset_clauses)

    def require(self, present: Callable[[list[URIRef]], set[URIRef]]) -> None:
        """Refuse a selection naming a graph the dataset lacks; ``present`` tells which of some graphs it holds."""
        wanted = list(dict.fromkeys(self.default + self.named))
        found = present(wanted)
        for iri in wanted:
            if iri not in found:
                raise QueryError(f"FROM <{iri}>: no such graph in the dataset (FROM never loads from the web)")


class Backend(Protocol):
    """An engine holding a dataset: one named graph per source, the default graph their merge."""

    title: str  # the engine's name in messages
    capabilities: Capabilities

    @property
    def read_only(self) -> bool:
        """Whether ``add_graph`` is refused (an on-disk store opened for reading, an endpoint without a store)."""
        ...

    def query(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
        allow_network: bool = False,
    ) -> Result:
        """The finished answer to ``prepared`` (kg.engines.safety.prepare's text, run exactly as checked).

        ``graphs`` replaces the query's own FROM / FROM NAMED (as the SPARQL Protocol's graph parameters
        do); a graph the dataset lacks is an error. The work stops after ``timeout`` seconds (QueryTimeout)
        or past ``memory_limit`` bytes (MemoryLimitExceeded), where the engine can bound it.
        """
        ...

    def quads(self, pattern: Quad = ANY) -> Iterator[Quad]:
        """The statements of the named graphs matching ``pattern`` (the merge is not listed again)."""
        ...

    def add_graph(self, name: URIRef, triples: Iterable[Triple]) -> None:
        """Add ``triples`` to the named graph ``name`` and so to the merge. Blank nodes keep their identity in a local
        dataset (an inferred triple about a blank node is about that node); a server reads them as new ones."""
        ...


class LocalBackend(Backend, Protocol):
    """A backend holding its dataset in this process, seen through rdflib's API too."""

    @property
    def dataset(self) -> Dataset:
        """The data as an rdflib Dataset (default graph = the union), for code written against rdflib's triple API."""
        ...

    def load_file(self, path: Path, graph: URIRef | None) -> None:
        """Read one Turtle, N-Triples, N-Quads or TriG file with Oxigraph's parser (kg.engines.terms), into
        ``graph`` (None: the file's URI; quad files name their own graphs)."""
        ...

    def query_json(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
    ) -> bytes:
        """A SELECT or ASK answer as W3C SPARQL JSON results, written by the engine's own serializer, for callers
        that pass the bytes on (`kg serve`); QueryError for a CONSTRUCT or DESCRIBE."""
        ...

    def load_quads(self, quads: list[Quad], own: URIRef) -> None:
        """Add what a guarded rdflib parser read from one file (kg.dataset.load): its blank nodes are the
        file's own; ``own`` is the file's graph, for statements the file put in no graph."""
        ...
