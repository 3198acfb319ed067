"""The part of a big graph a focus view needs, fetched by walking out from the centre.

Converting a whole million-triple dataset to networkx to show twenty nodes would take minutes, and
a remote endpoint cannot be converted at all. So `kg graph --focus` walks out from the centre
with a few lookups per level, keeping the neighbourhood rule of ``kg.graph.views.neighbourhood``
(links followed both ways; a hub, other than the centre, with more than ``hub_limit``
neighbours is shown but not walked through), and gathers what the drawing needs: every statement
of each node reached, the labels of what those statements name, one incoming link per source graph
(so a node's sources are complete), the reifications carrying the evidence of links among them,
the short names of the source graphs, the ontology (for class and property labels) and how common
each class is (to pick a node's most specific class as the whole graph would).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.graph.convert import is_ontology_term
from kg.query.results import rows
from kg.query.sparql import run_query
from kg.vocab.namespaces import ONTOLOGY_IRI, QDO, bind_prefixes
from kg.vocab.terms import LABEL_PROPERTIES

if TYPE_CHECKING:
    from kg.engines.remote import Endpoint

#: Subject, predicate, object and graph name; a remote result's row may leave one unbound (None).
Quad = tuple[Node | None, Node | None, Node | None, Node | None]
_T = TypeVar("_T")
_NOT_LINKS = frozenset({RDF.type, RDF.subject, RDF.predicate, RDF.object})
_BATCH = 200
CLASS_COUNTS = "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t FILTER(isIRI(?t)) } GROUP BY ?t"


class QuadSource(Protocol):
    """Where the walk reads from: a local Dataset (either engine) or a remote endpoint."""

    def outgoing(self, nodes: Sequence[Node]) -> Iterable[Quad]: ...
    def neighbours(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, list[Node]]: ...
    def statements_between(self, nodes: Sequence[Node]) -> list[Node]: ...
    def labels(self, nodes: Sequence[Node]) -> Iterable[Quad]: ...
    def incoming_sample(self, nodes: Sequence[Node]) -> Iterable[Quad]: ...
    def ontology(self) -> Iterable[Quad]: ...
    def class_counts(self) -> Counter[Node]: ...


def _is_link(p: Node, o: Node) -> bool:
    return p not in _NOT_LINKS and isinstance(o, (URIRef, BNode)) and not is_ontology_term(o)


@dataclass
class LocalSource:
    """A Dataset read through rdflib's triple API (rdflib's own store or Oxigraph's)."""

    ds: Dataset

    def outgoing(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for n in nodes:
            yield from self.ds.quads((n, None, None, None))

    def neighbours(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, list[Node]]:
        """Each node's distinct neighbours; more than ``limit`` of them marks a hub, so the rest are not read."""
        return {n: self._neighbours_of(n, limit) for n in nodes}

    def _neighbours_of(self, node: Node, limit: int | None) -> list[Node]:
        found: dict[Node, None] = {}
        pairs = ((o, p) for _, p, o in self.ds.triples((node, None, None)))
        back = ((s, p) for s, p, _ in self.ds.triples((None, None, node)))
        for other, p in _chain(pairs, back):
            if _is_link(p, other) and not self._is_statement(other):
                found[other] = None
                if limit is not None and len(found) > limit:
                    break
        return list(found)

    def _is_statement(self, node: Node) -> bool:
        return (node, RDF.type, RDF.Statement) in self.ds

    def statements_between(self, nodes: Sequence[Node]) -> list[Node]:
        inside = set(nodes)
        found = []
        for n in nodes:
            for st in self.ds.subjects(RDF.subject, n):
                if any(o in inside for o in self.ds.objects(st, RDF.object)):
                    found.append(st)
        return found

    def labels(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for n in nodes:
            for prop in LABEL_PROPERTIES:
                yield from self.ds.quads((n, prop, None, None))

    def incoming_sample(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for n in nodes:
            graphs: set[Node | None] = set()
            for quad in self.ds.quads((None, None, n, None)):
                if quad[1] not in _NOT_LINKS and quad[3] not in graphs and not self._is_statement(quad[0]):
                    graphs.add(quad[3])
                    yield quad

    def ontology(self) -> Iterator[Quad]:
        # rdflib takes a graph's name here (ConjunctiveGraph._graph resolves it), though its stub asks for a Graph
        return self.ds.quads((None, None, None, ONTOLOGY_IRI))  # type: ignore[arg-type]

    def class_counts(self) -> Counter[Node]:

        counts = rows(run_query(self.ds, CLASS_COUNTS)).rows  # ?t and ?n are always bound
        return Counter({t: int(n) for t, n in counts if t is not None and n is not None})


def _chain(*parts: Iterable[_T]) -> Iterator[_T]:
    for part in parts:
        yield from part


@dataclass
class RemoteSource:
    """A SPARQL endpoint read with a handful of queries per level of the walk."""

    endpoint: Endpoint

    def _select(self, text: str) -> list[tuple[Any, ...]]:
        """A SELECT's rows: rdflib terms, None where unbound, as many as the query has variables."""

        return [tuple(r) for r in rows(self.endpoint.query(text)).rows]

    def outgoing(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for i in range(0, len(nodes), _BATCH):
            values = " ".join(n.n3() for n in nodes[i : i + _BATCH] if isinstance(n, URIRef))
            if values:
                yield from self._select(
                    f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
                )

    def neighbours(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, list[Node]]:
        """One query per batch of nodes (not per node: a level can hold thousands); a hub's neighbours
        beyond ``limit`` + 1 are dropped here rather than at the server, which cannot limit per node."""
        found: dict[Node, dict[Node, None]] = {n: {} for n in nodes}
        skip = ", ".join(p.n3() for p in _NOT_LINKS)
        for values in self._batches(nodes):
            text = (
                f"SELECT DISTINCT ?n ?m WHERE {{ VALUES ?n {{ {values} }} {{ ?n ?p ?m }} UNION {{ ?m ?p ?n }} "
                f"FILTER((isIRI(?m) || isBlank(?m)) && ?p NOT IN ({skip})) "
                "FILTER NOT EXISTS { ?m a rdf:Statement } }"
            )
            for n, m in self._select(text):
                near = found.get(n)
                if near is not None and not is_ontology_term(m) and (limit is None or len(near) <= limit):
                    near[m] = None
        return {n: list(near) for n, near in found.items()}

    def statements_between(self, nodes: Sequence[Node]) -> list[Node]:
        inside = set(nodes)
        found: dict[Node, None] = {}
        for values in self._batches(nodes):  # the far end is checked here: an IN list of every node is quadratic
            text = f"SELECT ?st ?b WHERE {{ VALUES ?a {{ {values} }} ?st rdf:subject ?a ; rdf:object ?b }}"
            found.update((st, None) for st, b in self._select(text) if b in inside)
        return list(found)

    def labels(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        props = ", ".join(p.n3() for p in LABEL_PROPERTIES)
        for values in self._batches(nodes):
            yield from self._select(
                f"SELECT ?s ?p ?o ?g {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN ({props})) }}"
            )

    def incoming_sample(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        skip = ", ".join(p.n3() for p in _NOT_LINKS)
        for values in self._batches(nodes):
            text = (  # one real triple per (node, graph): subject and predicate sampled together, as one string
                'SELECT ?o ?g (SAMPLE(CONCAT(STR(?x), " ", STR(?q))) AS ?xq) '
                f"{{ VALUES ?o {{ {values} }} GRAPH ?g {{ ?x ?q ?o }} FILTER(isIRI(?x) && ?q NOT IN ({skip})) "
                "FILTER NOT EXISTS { ?x a rdf:Statement } } GROUP BY ?o ?g"
            )
            for o, g, xq in self._select(text):
                x, q = str(xq).split(" ", 1)
                yield URIRef(x), URIRef(q), o, g

    @staticmethod
    def _batches(nodes: Sequence[Node]) -> Iterator[str]:
        iris = [n for n in nodes if isinstance(n, URIRef)]
        for i in range(0, len(iris), _BATCH):
            yield " ".join(n.n3() for n in iris[i : i + _BATCH])

    def ontology(self) -> Iterator[Quad]:
        for s, p, o in self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?s ?p ?o }} }}"):
            yield s, p, o, ONTOLOGY_IRI

    def class_counts(self) -> Counter[Node]:
        return Counter({t: int(n) for t, n in self._select(CLASS_COUNTS)})


@dataclass
class Walk:
    """What the walk found: the dataset to convert, the hubs it did not walk through, class frequencies."""

    dataset: Dataset
    hubs: set[str]
    class_use: Counter[Node]


def walk(source: QuadSource, centre: URIRef, depth: int, hub_limit: int | None) -> Walk:
    """Fetch the neighbourhood of ``centre`` (``depth`` links, hubs not walked through) as a small Dataset."""
    seen: dict[Node, None] = {centre: None}
    hubs: set[str] = set()
    frontier: list[Node] = [centre]
    for level in range(depth):
        nxt: list[Node] = []
        near = source.neighbours(frontier, None if level == 0 else hub_limit)  # level 0: the centre alone
        for n in frontier:
            found = near[n]
            if level and hub_limit is not None and len(found) > hub_limit:
                hubs.add(str(n))
                continue
            for m in found:
                if m not in seen:
                    seen[m] = None
                    nxt.append(m)
        frontier = nxt
    nodes = list(seen)
    quads = list(source.outgoing(nodes))
    statements = source.statements_between(nodes)
    quads += source.outgoing(statements)
    named = {q[2] for q in quads if isinstance(q[2], URIRef) and q[2] not in seen and not is_ontology_term(q[2])}
    quads += source.labels(sorted(named, key=str))  # what records and attributes name (indicators, ...)
    quads += source.incoming_sample(nodes)  # one link per source graph: which articles mention each node
    graphs = sorted({q[3] for q in quads if isinstance(q[3], URIRef)} - {ONTOLOGY_IRI}, key=str)
    quads += [q for q in source.outgoing(graphs) if q[1] == QDO.shortId]
    quads += list(source.ontology())
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    for s, p, o, g in quads:
        if isinstance(s, (URIRef, BNode)) and isinstance(p, URIRef) and isinstance(o, (URIRef, BNode, Literal)):
            (ds.graph(g) if isinstance(g, URIRef) else ds.default_graph).add((s, p, o))
    return Walk(ds, hubs, source.class_counts())
