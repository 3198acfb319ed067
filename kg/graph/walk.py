"""The part of a big graph a focus view needs, fetched by walking out from the centre.

Converting a whole million-triple dataset to networkx to show twenty nodes would take minutes, and
a remote endpoint cannot be converted at all. So `kg graph --focus` walks out from the centre
with a few lookups per level, keeping the neighbourhood rule of ``kg.graph.views.neighbourhood``
(links followed both ways; a hub, other than the centre, with more than ``hub_limit``
neighbours is shown but not walked through) and, given a node budget, choosing what to keep as it goes
(``kg.graph.budget``: the links of a node left out are never read). Then it gathers what drawing the
nodes kept needs: their statements (less their links to nodes not kept), the graphs mentioning each
(its sources), the labels of their classes and of the indicators their records name, the reifications
carrying the evidence of links among them, the short names of the source graphs, the ontology (for
class and property labels) and how common the classes of nodes with several are (to pick a node's
most specific class as the whole graph would).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

import networkx as nx
import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.dataset.resolve import curie, expand_name
from kg.engines.oxigraph import OxigraphBackend
from kg.engines.registry import backend_of
from kg.engines.terms import to_ox, to_rdflib
from kg.graph.budget import NO_CLASS, Selection, select
from kg.graph.convert import is_ontology_iri, is_ontology_term, rdf_to_nx
from kg.graph.views import neighbourhood
from kg.vocab.namespaces import DATA_BASE, ONTOLOGY_BASE, ONTOLOGY_IRI, QDO, STANDARD_VOCABULARIES, bind_prefixes
from kg.vocab.terms import LABEL_PROPERTIES, NAME_PROPERTIES

if TYPE_CHECKING:
    from kg.engines.remote import Endpoint

#: Subject, predicate, object and graph name; a remote result's row may leave one unbound (None).
Quad = tuple[Node | None, Node | None, Node | None, Node | None]
_NOT_LINKS = frozenset({RDF.type, RDF.subject, RDF.predicate, RDF.object})
_BATCH = 200
#: Links whose far end's label a node kept shows though that end is not kept: its classes (as its class label) and
#: a record's indicator (in the record's label, kg.graph.convert). Ontology terms are labelled by the ontology.
_NAMING = frozenset({RDF.type, QDO.indicator})


class QuadSource(Protocol):
    """Where the walk reads from: a local Dataset (either engine) or a remote endpoint."""

    def links(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, dict[Node, int] | None]:
        """Each node's distinct neighbours (links either way, reifications and ontology terms aside), with how
        many statements link them, each counted once per named graph stating it; None for a node with more than
        ``limit`` neighbours (a hub), whose neighbours are not all read."""
        ...

    def types(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]: ...
    def outgoing(self, nodes: Sequence[Node]) -> Iterable[Quad]: ...
    def reifications(self, nodes: Sequence[Node]) -> Iterable[Quad]:
        """Every statement about the reifications of links among ``nodes`` (their evidence, rationale, sources)."""
        ...

    def values(self, nodes: Sequence[Node], props: Sequence[URIRef]) -> Iterable[Quad]: ...

    def about(self, nodes: Sequence[Node], kept: Collection[Node]) -> tuple[list[Quad], dict[Node, set[Node]]]:
        """The statements about each node that a view of ``kept`` draws (``_drawn``), and the named graphs
        mentioning each node: stating something about it, or linking to it (reifications aside)."""
        ...

    def ontology(self) -> Iterable[Quad]: ...
    def class_counts(self, classes: Sequence[Node]) -> Counter[Node]: ...


def _linked(o: Node | None, p: Node | None) -> TypeGuard[URIRef | BNode]:
    """Whether a statement with predicate ``p`` links its subject to the node ``o`` (not to a value or a class)."""
    return p not in _NOT_LINKS and isinstance(o, (URIRef, BNode)) and not is_ontology_term(o)


def local_source(ds: Dataset) -> LocalSource | OxigraphSource:
    """The walk's reader of a local dataset: Oxigraph's store read directly when it holds the dataset."""
    backend = backend_of(ds)
    return OxigraphSource(backend.store) if isinstance(backend, OxigraphBackend) else LocalSource(ds)


@dataclass
class LocalSource:
    """A Dataset read through rdflib's triple API."""

    ds: Dataset
    _statement: dict[Node, bool] = field(default_factory=dict, repr=False)

    def outgoing(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for n in nodes:
            yield from self.ds.quads((n, None, None, None))

    def links(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, dict[Node, int] | None]:
        return {n: self._links_of(n, limit) for n in nodes}

    def _links_of(self, node: Node, limit: int | None) -> dict[Node, int] | None:
        found: dict[Node, int] = {}
        for pattern, end in (((node, None, None, None), 2), ((None, None, node, None), 0)):
            for quad in self.ds.quads(pattern):
                other = quad[end]
                if _linked(other, quad[1]) and not self._is_statement(other):
                    found[other] = found.get(other, 0) + 1
                    if limit is not None and len(found) > limit:
                        return None  # a hub: the rest is not read
        return found

    def _is_statement(self, node: Node) -> bool:
        known = self._statement.get(node)
        if known is None:
            known = self._statement[node] = (node, RDF.type, RDF.Statement) in self.ds
        return known

    def types(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]:
        return {n: list(self.ds.objects(n, RDF.type)) for n in nodes}

    def reifications(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        """Those whose subject is one of ``nodes`` and whose object is one (two reads a node, rather than one a
        reification of any link of theirs)."""
        ends = [{st for n in nodes for st in self.ds.subjects(part, n)} for part in (RDF.subject, RDF.object)]
        return self.outgoing(sorted(ends[0] & ends[1], key=str))

    def values(self, nodes: Sequence[Node], props: Sequence[URIRef]) -> Iterator[Quad]:
        for n in nodes:
            for prop in props:
                yield from self.ds.quads((n, prop, None, None))

    def about(self, nodes: Sequence[Node], kept: Collection[Node]) -> tuple[list[Quad], dict[Node, set[Node]]]:
        return _drawn(list(self.outgoing(nodes)), self._linking(nodes), kept)

    def _linking(self, nodes: Sequence[Node]) -> dict[Node, set[Node]]:
        """The named graphs in which something other than a reification links to each node."""
        found: dict[Node, set[Node]] = {}
        for n in nodes:
            graphs = found[n] = set()
            for s, p, _, g in self.ds.quads((None, None, n, None)):
                if p not in _NOT_LINKS and isinstance(g, URIRef) and g not in graphs and not self._is_statement(s):
                    graphs.add(g)
        return found

    def ontology(self) -> Iterator[Quad]:
        # rdflib takes a graph's name here (ConjunctiveGraph._graph resolves it), though its stub asks for a Graph
        return self.ds.quads((None, None, None, ONTOLOGY_IRI))  # type: ignore[arg-type]

    def class_counts(self, classes: Sequence[Node]) -> Counter[Node]:
        """Instances of each class, counted here rather than by a SPARQL query over every class, which rdflib's
        evaluator takes seconds to answer at a million triples."""
        return Counter({c: len(set(self.ds.subjects(RDF.type, c))) for c in classes})


#: The pyoxigraph terms the walk compares with.
_OX_TYPE, _OX_STATEMENT, _OX_SUBJECT, _OX_OBJECT = (
    ox.NamedNode(str(t)) for t in (RDF.type, RDF.Statement, RDF.subject, RDF.object)
)
_OX_NOT_LINKS = frozenset(ox.NamedNode(str(p)) for p in _NOT_LINKS)


@dataclass
class OxigraphSource:
    """An Oxigraph store read through pyoxigraph itself, with the answers of ``LocalSource``.

    Why: through rdflib's view every quad passed over becomes rdflib terms and a Graph object, which at a
    million triples is most of the walk's time (a hub such as Qingdao is the object of 28,000 quads); here
    only what the walk keeps is converted. Nor is a SPARQL query asked: the engine evaluates those in a
    worker process, whose start copies the whole store. The store's default graph holds the merge of the
    named graphs (kg.engines.oxigraph), read where a triple counts once; the named graphs where each
    graph stating it counts."""

    store: ox.Store
    _statement: dict[ox.NamedNode | ox.BlankNode, bool] = field(default_factory=dict, repr=False)
    _terms: dict[Any, Node] = field(default_factory=dict, repr=False)

    def _term(self, term: Any) -> Node:
        """``to_rdflib``, once per term: the walk meets the same predicates, graphs and subjects thousands of times."""
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = to_rdflib(term)
        return found

    def _triple(self, quad: ox.Quad) -> tuple[Node, Node, Node]:
        return self._term(quad.subject), self._term(quad.predicate), self._term(quad.object)

    def _quad(self, quad: ox.Quad) -> Quad:
        return (
            self._term(quad.subject),
            self._term(quad.predicate),
            self._term(quad.object),
            self._term(quad.graph_name),
        )

    def _named(self, s: Any, p: Any, o: Any) -> list[ox.Quad]:
        """The quads matching in the named graphs, read in full (an open iterator slows other reads down)."""
        return [q for q in self.store.quads_for_pattern(s, p, o, None) if not isinstance(q.graph_name, ox.DefaultGraph)]

    def _merged(self, s: Any, p: Any, o: Any) -> list[ox.Quad]:
        return list(self.store.quads_for_pattern(s, p, o, ox.DefaultGraph()))

    def _is_statement(self, node: ox.NamedNode | ox.BlankNode) -> bool:
        known = self._statement.get(node)
        if known is None:
            known = self._statement[node] = bool(self._merged(node, _OX_TYPE, _OX_STATEMENT))
        return known

    def _is_link(self, p: ox.NamedNode, other: object) -> TypeGuard[ox.NamedNode | ox.BlankNode]:
        """``_linked`` in pyoxigraph's terms, reifications aside."""
        return (
            p not in _OX_NOT_LINKS
            and isinstance(other, (ox.NamedNode, ox.BlankNode))
            and not (isinstance(other, ox.NamedNode) and is_ontology_iri(other.value))
            and not self._is_statement(other)
        )

    def outgoing(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for n in nodes:
            yield from map(self._quad, self._named(to_ox(n), None, None))

    def links(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, dict[Node, int] | None]:
        return {n: self._links_of(n, limit) for n in nodes}

    def _links_of(self, node: Node, limit: int | None) -> dict[Node, int] | None:
        found: dict[ox.NamedNode | ox.BlankNode, int] = {}
        start = to_ox(node)
        for pattern, end in (((start, None, None), "object"), ((None, None, start), "subject")):
            for quad in self._named(*pattern):
                other = getattr(quad, end)
                if self._is_link(quad.predicate, other):
                    found[other] = found.get(other, 0) + 1
                    if limit is not None and len(found) > limit:
                        return None  # a hub: the rest is not read
        return {self._term(m): k for m, k in found.items()}

    def types(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]:
        return {n: [self._term(q.object) for q in self._merged(to_ox(n), _OX_TYPE, None)] for n in nodes}

    def reifications(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        inside = [to_ox(n) for n in nodes]
        ends = [{q.subject for n in inside for q in self._merged(None, part, n)} for part in (_OX_SUBJECT, _OX_OBJECT)]
        return self.outgoing(sorted(map(self._term, ends[0] & ends[1]), key=str))

    def values(self, nodes: Sequence[Node], props: Sequence[URIRef]) -> Iterator[Quad]:
        for n in nodes:
            for prop in props:
                yield from map(self._quad, self._named(to_ox(n), to_ox(prop), None))

    def about(self, nodes: Sequence[Node], kept: Collection[Node]) -> tuple[list[Quad], dict[Node, set[Node]]]:
        return _drawn(list(self.outgoing(nodes)), self._linking(nodes), kept)

    def _linking(self, nodes: Sequence[Node]) -> dict[Node, set[Node]]:
        found: dict[Node, set[Node]] = {}
        for n in nodes:
            graphs: set[Any] = set()
            for q in self._named(None, None, to_ox(n)):
                subject = q.subject
                if q.predicate in _OX_NOT_LINKS or q.graph_name in graphs:
                    continue
                if isinstance(subject, (ox.NamedNode, ox.BlankNode)) and not self._is_statement(subject):
                    graphs.add(q.graph_name)
            found[n] = {self._term(g) for g in graphs}
        return found

    def ontology(self) -> Iterator[Quad]:
        return map(self._quad, self.store.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_IRI))))

    def names(self, name: str) -> Graph:
        """The few triples kg.dataset.resolve needs to resolve ``name``, as ``lookup_graph`` gives them for an
        endpoint: the labels equal to it as the resolver compares them (case and spacing aside), and a triple
        about each IRI it may spell. Reading every label through rdflib's view takes a second at 1M triples."""
        wanted = " ".join(name.casefold().split())
        found = Graph()
        for prop in NAME_PROPERTIES:
            for q in self._merged(None, to_ox(prop), None):
                if isinstance(q.object, ox.Literal) and " ".join(q.object.value.casefold().split()) == wanted:
                    found.add(self._triple(q))
        for iri in (expand_name(name.strip()), URIRef(DATA_BASE + name.strip())):
            try:
                about = self._merged(to_ox(iri), None, None)[:1] if iri is not None else []
            except ValueError:  # not an IRI pyoxigraph takes, so none of the store's
                continue
            found += [self._triple(q) for q in about]
        return found

    def class_counts(self, classes: Sequence[Node]) -> Counter[Node]:
        return Counter({c: len(self._merged(None, _OX_TYPE, to_ox(c))) for c in classes})


@dataclass
class RemoteSource:
    """A SPARQL endpoint read with a handful of queries per level of the walk."""

    endpoint: Endpoint

    def _select(self, text: str) -> list[tuple[Any, ...]]:
        """A SELECT's rows: rdflib terms, None where unbound, as many as the query has variables."""
        result = self.endpoint.query(text)
        names = result.vars or []
        return [tuple(row.get(v) for v in names) for row in result.bindings]

    def outgoing(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        for values in self._batches(nodes):
            yield from self._select(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")

    def links(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, dict[Node, int] | None]:
        """A query or two per batch of nodes (not per node: a level can hold thousands): with a ``limit``, first
        how many neighbours each has, so that a hub's thousands are not sent only to be dropped."""
        found: dict[Node, dict[Node, int] | None] = {n: {} for n in nodes}
        if limit is not None:
            for values in self._batches(nodes):
                pattern = _neighbours(values, "?n ?p ?m", "?m ?p ?n")
                text = f"SELECT ?n (COUNT(DISTINCT ?m) AS ?d) WHERE {{ {pattern} }} GROUP BY ?n"
                found.update((n, None) for n, d in self._select(text) if int(d) > limit)
        for values in self._batches([n for n, near in found.items() if near is not None]):
            text = (
                "SELECT ?n ?m (COUNT(*) AS ?k) WHERE { "
                f"{_neighbours(values, 'GRAPH ?g { ?n ?p ?m }', 'GRAPH ?g { ?m ?p ?n }')} }} GROUP BY ?n ?m"
            )
            for n, m, k in self._select(text):
                near = found.get(n)
                if near is not None:
                    near[m] = int(k)
        return found

    def types(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]:
        found: dict[Node, list[Node]] = {n: [] for n in nodes}
        for values in self._batches(nodes):
            for s, t in self._select(f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}"):
                found[s].append(t)
        return found

    def reifications(self, nodes: Sequence[Node]) -> Iterator[Quad]:
        """Their subject, predicate and object come with the query finding them (both ends joined as VALUES: a
        FILTER IN list would be quadratic); the rest of what they say with a second query, half the rows."""
        ends = " ".join(n.n3() for n in nodes if isinstance(n, URIRef))
        found: dict[Node, None] = {}
        for values in self._batches(nodes):
            text = (
                f"SELECT ?st ?a ?p ?b ?g WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {ends} }} "
                "GRAPH ?g { ?st rdf:subject ?a ; rdf:object ?b ; rdf:predicate ?p } }"
            )
            for st, a, p, b, g in self._select(text):
                found[st] = None
                yield from ((st, RDF.subject, a, g), (st, RDF.predicate, p, g), (st, RDF.object, b, g))
        for values in self._batches(list(found)):
            yield from self._select(
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
                "FILTER(?p NOT IN (rdf:subject, rdf:predicate, rdf:object)) }"
            )

    def values(self, nodes: Sequence[Node], props: Sequence[URIRef]) -> Iterator[Quad]:
        wanted = ", ".join(p.n3() for p in props)
        for values in self._batches(nodes):
            yield from self._select(
                f"SELECT ?s ?p ?o ?g {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN ({wanted})) }}"
            )

    def about(self, nodes: Sequence[Node], kept: Collection[Node]) -> tuple[list[Quad], dict[Node, set[Node]]]:
        """The statements as they are: leaving links to nodes not kept to the server (a FILTER) takes it longer
        than sending them. The graphs linking to each node come as one string a node (IRIs hold no space): a
        hub is mentioned by thousands, and a row costs more to read than its text."""
        found: dict[Node, set[Node]] = {n: set() for n in nodes}
        for values in self._batches(nodes):
            text = (
                f'SELECT ?o (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?gs) {{ VALUES ?o {{ {values} }} '
                f"GRAPH ?g {{ ?x ?q ?o }} FILTER(?q NOT IN ({_SKIP})) MINUS {{ ?x a rdf:Statement }} }} GROUP BY ?o"
            )
            for o, graphs in self._select(text):
                found[o].update(URIRef(g) for g in str(graphs).split())
        return _drawn(list(self.outgoing(nodes)), found, kept)

    @staticmethod
    def _batches(nodes: Sequence[Node]) -> Iterator[str]:
        iris = [n for n in nodes if isinstance(n, URIRef)]
        for i in range(0, len(iris), _BATCH):
            yield " ".join(n.n3() for n in iris[i : i + _BATCH])

    def ontology(self) -> Iterator[Quad]:
        for s, p, o in self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?s ?p ?o }} }}"):
            yield s, p, o, ONTOLOGY_IRI

    def class_counts(self, classes: Sequence[Node]) -> Counter[Node]:
        counts: Counter[Node] = Counter()
        for values in self._batches(classes):
            text = f"SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?t {{ {values} }} ?s a ?t }} GROUP BY ?t"
            counts.update({t: int(n) for t, n in self._select(text)})
        return counts


_SKIP = ", ".join(p.n3() for p in sorted(_NOT_LINKS))


def _not_ontology(var: str) -> str:
    """A SPARQL condition: ``var`` is no ontology term (``is_ontology_term``)."""
    return " && ".join(f"!STRSTARTS(STR({var}), {Literal(b).n3()})" for b in (ONTOLOGY_BASE, *STANDARD_VOCABULARIES))


def _neighbours(values: str, out: str, back: str) -> str:
    """The group pattern binding each node ``?n`` of ``values`` to its neighbours ``?m``, as ``_linked`` says."""
    return (
        f"VALUES ?n {{ {values} }} {{ {out} }} UNION {{ {back} }} "
        f"FILTER((isIRI(?m) || isBlank(?m)) && ?p NOT IN ({_SKIP}) && {_not_ontology('?m')}) "
        "MINUS { ?m a rdf:Statement }"
    )


@dataclass
class _Reader:
    """The walk's source as the node budget reads it (kg.graph.budget): links, and classes named by the ontology."""

    source: QuadSource
    names: dict[Node, str]

    def links(self, nodes: Sequence[Node], limit: int | None) -> dict[Node, dict[Node, int] | None]:
        return self.source.links(nodes, limit)

    def classes(self, nodes: Sequence[Node]) -> dict[Node, str]:
        return {
            n: ", ".join(sorted({self.names.get(t) or curie(t) for t in types if isinstance(t, URIRef)})) or NO_CLASS
            for n, types in self.source.types(nodes).items()
        }


def _class_names(ontology: list[Quad]) -> dict[Node, str]:
    """Each ontology term's label: the first label property that has one (as kg.graph.convert picks it)."""
    found: dict[Node, dict[Node, str]] = {}
    for s, p, o, _ in ontology:
        if s is not None and isinstance(p, URIRef) and p in LABEL_PROPERTIES and isinstance(o, Literal):
            by_prop = found.setdefault(s, {})
            by_prop[p] = min(by_prop.get(p, str(o)), str(o))
    return {s: next(by_prop[p] for p in LABEL_PROPERTIES if p in by_prop) for s, by_prop in found.items()}


@dataclass
class Walk:
    """What the walk found: the dataset to convert (the nodes kept, their statements and what drawing them
    needs), the graphs mentioning each node kept, the hubs not walked through, class frequencies, and which
    nodes the view keeps (all within the depth without a budget) with what it left out."""

    centre: URIRef
    depth: int
    dataset: Dataset
    sources: dict[Node, set[Node]]
    hubs: set[str]
    class_use: Counter[Node]
    selection: Selection[Node]
    hub_limit: int | None

    def view(self, literals: str = "attributes", ontology: bool = False, statements: bool = False) -> nx.MultiDiGraph:
        """The nodes kept as a graph (see kg.graph.convert for the options), saying what was left out if anything
        was (kg.graph.budget). Ontology terms and reifications shown as nodes are not chosen by the walk: then
        everything fetched is converted, and the neighbourhood rule keeps what lies within the depth."""
        graph = rdf_to_nx(
            self.dataset,
            literals=literals,
            ontology=ontology,
            statements=statements,
            class_use=self.class_use,
            nodes=None if ontology or statements else self.selection.nodes,
            sources=self.sources,
        )
        view = neighbourhood(graph, self.centre, self.depth, self.hub_limit, hubs=self.hubs)
        view.graph.update(self.selection.attributes(self.depth))
        return view


def walk(source: QuadSource, centre: URIRef, depth: int, hub_limit: int | None, max_nodes: int | None = None) -> Walk:
    """Fetch the neighbourhood of ``centre`` (``depth`` links, hubs not walked through) as a small Dataset:
    every node within the depth, or at most ``max_nodes`` of them chosen by kg.graph.budget while walking."""
    ontology = list(source.ontology())
    chosen = select(_Reader(source, _class_names(ontology)), centre, depth, hub_limit, max_nodes)
    kept = chosen.nodes
    nodes = list(kept)
    quads, sources = source.about(nodes, kept)
    quads += source.reifications(nodes)
    named = {q[2] for q in quads if q[1] in _NAMING and isinstance(q[2], URIRef) and q[2] not in kept}
    quads += source.values(sorted(named, key=str), LABEL_PROPERTIES)
    graphs = {q[3] for q in quads if isinstance(q[3], URIRef)}.union(*sources.values()) - {ONTOLOGY_IRI}
    quads += source.values(sorted(graphs, key=str), (QDO.shortId,))
    quads += ontology
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    for s, p, o, g in quads:
        if isinstance(s, (URIRef, BNode)) and isinstance(p, URIRef) and isinstance(o, (URIRef, BNode, Literal)):
            (ds.graph(g) if isinstance(g, URIRef) else ds.default_graph).add((s, p, o))
    class_use = source.class_counts(_shared_classes(ds))
    return Walk(centre, depth, ds, sources, {str(h) for h in chosen.hubs}, class_use, chosen, hub_limit)


def _drawn(
    own: list[Quad], mentioned: dict[Node, set[Node]], kept: Collection[Node]
) -> tuple[list[Quad], dict[Node, set[Node]]]:
    """Of the statements about the nodes kept, those a view of them draws: all but links to nodes not kept, bar
    links to the nodes' classes and to the indicators their records name (whose labels the view shows). The
    graphs of those left out still count among the sources of their subject, with the graphs in ``mentioned``."""
    classes = {q[2] for q in own if q[1] == RDF.type}
    drawn = []
    for quad in own:
        s, p, o, g = quad
        if s in mentioned and isinstance(g, URIRef):
            mentioned[s].add(g)
        if not _linked(o, p) or o in kept or p in _NAMING or o in classes:
            drawn.append(quad)
    return drawn, mentioned


def _shared_classes(ds: Dataset) -> list[Node]:
    """The classes of nodes with more than one: only for those does the view need to know how common each is
    (kg.graph.convert shows the rarer, more specific one)."""
    types: dict[Node, set[Node]] = {}
    for s, t in ds.subject_objects(RDF.type):
        if isinstance(t, URIRef):
            types.setdefault(s, set()).add(t)
    return sorted({t for ts in types.values() if len(ts) > 1 for t in ts}, key=str)
