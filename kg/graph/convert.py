"""RDF → networkx: a MultiDiGraph with one edge per triple, predicate and sources kept.

rdflib's ``external_graph_libs`` drops predicates and merges equal literals into one node, so the
conversion is our own. Conventions (all attribute values are plain strings, so GraphML and GEXF
take them unchanged):

- Node ids are stable strings: the IRI; ``lit:<hash>`` for a literal node (one per subject,
  predicate and value, so equal values of different subjects never merge); ``_:<hash>`` for a
  blank node (hashed from its own statements, so the id survives a re-parse).
- Node attributes: ``label``, ``iri`` (CURIE), ``class`` and ``class_label`` (every type),
  ``group`` (the most specific type's label, for colouring), ``kind`` (entity, record, article,
  statement, literal, ontology, resource), ``description``, ``sources`` (the articles, or
  "curated", stating something about it) and, by default, every literal value under its
  predicate's CURIE.
- Edges: one per distinct triple, keyed by a hash of the triple (unique across the whole graph,
  so exported edge ids never collide); ``predicate`` (IRI), ``label`` (the predicate's label),
  ``sources``, and the ``evidence`` / ``rationale`` of the triple's rdf:Statement.
- rdf:Statement reifications are left out by default: everything they say (the quote, the
  rationale, the source) is already on the edge of the triple they describe, and as nodes they
  would double the graph with hubs that hide the real links. ``statements=True`` keeps them.
- The ontology's own terms (classes, properties, units and qualifiers), those of the standard
  vocabularies, and anything used as a class are left out by default (``ontology=True`` keeps them):
  a type becomes the ``class`` attribute, a link to a term (``qdo:unit qdo:Percent``) an attribute
  holding the term's label. Records (observations, targets, posts) stay nodes with their figure
  as label, because they are what links an indicator to what it measures.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

import networkx as nx
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.dataset.resolve import curie
from kg.errors import KGError
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, INFERRED_GRAPH, ONTOLOGY_BASE, QDO, STANDARD_VOCABULARIES
from kg.vocab.terms import LABEL_PROPERTIES, RECORD_CLASSES

_DESCRIPTION_PROPS = (DCTERMS.description, SKOS.definition, QDO.evidence)
_SEP = " | "


@dataclass(frozen=True)
class Options:
    """How to convert: see the module docstring for what each choice means."""

    literals: str = "attributes"  # or "nodes"
    classes: frozenset[URIRef] = frozenset()  # keep only nodes of these classes (and their subclasses)
    predicates: frozenset[URIRef] = frozenset()  # keep only edges with these predicates
    ontology: bool = False  # include the ontology's own terms as nodes
    statements: bool = False  # include rdf:Statement reifications as nodes
    nodes: frozenset[Node] | None = None  # only these nodes (a focus walk's part of a bigger graph); None: all


class ConvertOptions(TypedDict, total=False):
    """``rdf_to_nx``'s choices of what to keep, as the views pass them on."""

    literals: str
    classes: Iterable[URIRef]
    predicates: Iterable[URIRef]
    ontology: bool
    statements: bool


def is_ontology_term(node: Node) -> bool:
    """True for the project ontology's IRIs and those of the standard vocabularies it builds on."""
    return isinstance(node, URIRef) and is_ontology_iri(str(node))


def is_ontology_iri(iri: str) -> bool:
    """``is_ontology_term`` for an IRI's text."""
    return iri.startswith(ONTOLOGY_BASE) or iri.startswith(STANDARD_VOCABULARIES)


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _graph_name(ds: Graph, graph_id: Node) -> str | None:
    """Short name of a named graph: an article's short id, "curated", or None for shared graphs."""
    if graph_id == CURATED_GRAPH:
        return "curated"
    if graph_id == INFERRED_GRAPH:
        return "inferred"
    if graph_id in (ENTITIES_GRAPH, DATASET_DEFAULT_GRAPH_ID) or str(graph_id).startswith(ONTOLOGY_BASE):
        return None
    short = ds.value(URIRef(str(graph_id)), QDO.shortId)
    return str(short) if short is not None else curie(URIRef(str(graph_id)))


class _Converter:
    def __init__(
        self,
        graph: Graph,
        options: Options,
        context: Graph | None,
        class_use: Counter[Node] | None = None,
        sources: Mapping[Node, Iterable[Node]] | None = None,
    ) -> None:
        self.g = graph
        self.opt = options
        # labels, types and sources are looked up in the context (the whole dataset) when converting
        # a query result, which carries neither.
        self.ctx = context if context is not None else graph
        self.ids: dict[Node, str] = {}
        self.names: dict[Node, str | None] = {}  # each graph's short name, as found
        self.triple_sources: dict[tuple[Node, Node, Node], set[str]] = defaultdict(set)
        self._index_sources()
        self.types: dict[Node, set[URIRef]] = defaultdict(set)
        for s, o in self.ctx.subject_objects(RDF.type):
            if isinstance(o, URIRef):
                self.types[s].add(o)
        self.class_use: Counter[Node] = Counter(t for ts in self.types.values() for t in ts)
        self.classes = set(self.class_use)
        if class_use is not None:  # how common each class is in the whole graph this part was taken from
            self.class_use = class_use
        self.statement_info = self._fold_statements()
        self.sources = sources or {}

    def graph_name(self, graph_id: Node) -> str | None:
        """``_graph_name``, looked up once per graph."""
        if graph_id not in self.names:
            self.names[graph_id] = _graph_name(self.ctx, graph_id)
        return self.names[graph_id]

    def _index_sources(self) -> None:
        ctx = self.ctx
        if isinstance(ctx, Dataset):
            # converting part of a graph, only the triples of the nodes converted are drawn (their own statements)
            patterns = [(n, None, None, None) for n in self.opt.nodes] if self.opt.nodes is not None else [(None,) * 4]
            for pattern in patterns:
                for s, p, o, g in ctx.quads(pattern):
                    name = self.graph_name(g) if g is not None else None  # a Dataset names the graph (None: default)
                    if name:
                        self.triple_sources[(s, p, o)].add(name)

    def _fold_statements(self) -> dict[tuple[Node, Node, Node], dict[str, set[str]]]:
        """Evidence, rationale and sources of each reified triple, to put on the triple's edge."""
        info: dict[tuple[Node, Node, Node], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for st in self.ctx.subjects(RDF.type, RDF.Statement):
            said: dict[Node, list[Node]] = defaultdict(list)  # read at once: a lookup per property costs six
            for prop, value in self.ctx.predicate_objects(st):
                said[prop].append(value)
            s, p, o = (said[part][0] if said[part] else None for part in (RDF.subject, RDF.predicate, RDF.object))
            if s is None or p is None or o is None:
                continue
            entry = info[(s, p, o)]
            entry["statements"].add(curie(st) if isinstance(st, URIRef) else str(st))
            entry["evidence"].update(str(v) for v in said[QDO.evidence])
            entry["rationale"].update(str(v) for v in said[QDO.rationale])
            entry["sources"].update(name for name in map(self.graph_name, said[DCTERMS.source]) if name)
        return info

    # --- node naming and description -------------------------------------------------------------

    def node_id(self, node: Node) -> str:
        if node not in self.ids:
            if isinstance(node, BNode):
                own = sorted(f"{p.n3()} {o.n3() if not isinstance(o, BNode) else '[]'}" for p, o in self.g[node])
                base = "_:" + _hash("\n".join(own))
                taken = set(self.ids.values())
                n, candidate = 1, base
                while candidate in taken:
                    n += 1
                    candidate = f"{base}-{n}"
                self.ids[node] = candidate
            else:
                self.ids[node] = str(node)
        return self.ids[node]

    def term_label(self, node: Node) -> str:
        for prop in LABEL_PROPERTIES:
            for value in self.ctx.objects(node, prop):
                return str(value)
        if isinstance(node, URIRef):
            return curie(node)
        return str(node)

    def kind(self, node: Node) -> str:
        types = self.types.get(node, set())
        if RDF.Statement in types:
            return "statement"
        if types & RECORD_CLASSES:
            return "record"
        if QDO.Article in types:
            return "article"
        if is_ontology_term(node) or node in self.classes:
            return "ontology"
        return "entity" if types else "resource"

    def primary_class(self, types: Iterable[URIRef]) -> URIRef | None:
        """The rarest of a node's types: rarer classes are the more specific ones (Platform before Enterprise)."""
        ordered = sorted(types, key=lambda t: (self.class_use[t], curie(t)))
        return ordered[0] if ordered else None

    def node_label(self, node: Node, kind: str) -> str:
        for prop in LABEL_PROPERTIES:
            for value in self.ctx.objects(node, prop):
                return str(value)
        if kind == "record":
            figure = self.ctx.value(node, QDO.valueText) or self.ctx.value(node, QDO.postTitle)
            indicator = self.ctx.value(node, QDO.indicator)
            parts = [str(figure)] if figure is not None else []
            if indicator is not None:
                parts.append(f"({self.term_label(indicator)})")
            if parts:
                return " ".join(parts)
        return self.term_label(node)

    def node_attributes(self, node: Node) -> dict[str, str]:
        kind = self.kind(node)
        types = sorted(self.types.get(node, set()), key=curie)
        primary = self.primary_class(types)
        attrs = {
            "label": self.node_label(node, kind),
            "iri": curie(node) if isinstance(node, URIRef) else self.node_id(node),
            "kind": kind,
            "class": " ".join(curie(t) for t in types),
            "class_label": ", ".join(self.term_label(t) for t in types),
            "group": self.term_label(primary) if primary is not None else kind,
        }
        for prop in _DESCRIPTION_PROPS:
            value = self.ctx.value(node, prop)
            if value is not None:
                attrs["description"] = str(value)
                break
        return attrs

    # --- conversion ------------------------------------------------------------------------------

    def allowed_classes(self) -> set[URIRef]:
        """The requested classes and every subclass of them (via the ontology's rdfs:subClassOf)."""
        wanted: set[URIRef] = set(self.opt.classes)
        frontier = list(wanted)
        while frontier:
            cls = frontier.pop()
            for sub in self.ctx.subjects(RDFS.subClassOf, cls):
                if isinstance(sub, URIRef) and sub not in wanted:
                    wanted.add(sub)
                    frontier.append(sub)
        return wanted

    def keep_node(self, node: Node, allowed: set[URIRef] | None) -> bool:
        if isinstance(node, Literal):
            return True
        if not self.opt.statements and RDF.Statement in self.types.get(node, set()):
            return False
        if not self.opt.ontology and (is_ontology_term(node) or node in self.classes):
            return False
        return allowed is None or bool(self.types.get(node, set()) & allowed)

    def convert(self) -> nx.MultiDiGraph:
        allowed = self.allowed_classes() if self.opt.classes else None
        out: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        literal_attrs: dict[Node, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        touched: dict[Node, set[str]] = defaultdict(set)
        only = self.opt.nodes
        if only is None:
            triples = self.g.triples((None, None, None))
        else:  # part of a graph: only the statements about the nodes converted are drawn
            triples = (t for n in only for t in self.g.triples((n, None, None)))
        for s, p, o in sorted(triples):
            if not self.keep_node(s, allowed):
                continue
            sources = self.triple_sources.get((s, p, o), set())
            touched[s].update(sources)
            out_of_graph = not isinstance(o, Literal) and not self.keep_node(o, allowed)
            if p == RDF.type and out_of_graph:
                continue  # the type is the node's class attribute
            if isinstance(o, Literal) and self.opt.literals == "attributes":
                literal_attrs[s][curie(p)].add(str(o))
                continue
            if out_of_graph:
                if allowed is None or is_ontology_term(o) or o in self.classes:
                    literal_attrs[s][curie(p)].add(self.term_label(o))
                continue
            if (only is not None and not isinstance(o, Literal) and o not in only) or (
                self.opt.predicates and p not in self.opt.predicates
            ):
                continue
            touched[o].update(sources)
            self._add_edge(out, s, p, o, sources)
        for node, sources in touched.items():
            if isinstance(node, Literal) or (self.opt.predicates and node not in self.ids):
                continue
            nid = self.node_id(node)
            attrs = self.node_attributes(node)
            named = (self.graph_name(g) for g in self.sources.get(node, ()))
            attrs["sources"] = " ".join(sorted(sources.union(name for name in named if name)))
            for key, values in literal_attrs.get(node, {}).items():
                if key not in attrs:
                    attrs[key] = _SEP.join(sorted(values))
            out.add_node(nid, **attrs)
        return out

    def _add_edge(self, out: nx.MultiDiGraph, s: Node, p: Node, o: Node, sources: set[str]) -> None:
        folded = self.statement_info.get((s, p, o), {})
        all_sources = sources | folded.get("sources", set())
        if isinstance(o, Literal):
            target = "lit:" + _hash(f"{s.n3()} {p.n3()} {o.n3()}")
            out.add_node(
                target,
                label=str(o),
                iri="",
                kind="literal",
                **{"class": curie(o.datatype) if o.datatype else ""},
                class_label=o.language or "",
                group="literal",
                sources=" ".join(sorted(all_sources)),
            )
        else:
            target = self.node_id(o)
        attrs = {"predicate": str(p), "label": self.term_label(p), "sources": " ".join(sorted(all_sources))}
        for field in ("evidence", "rationale", "statements"):
            if folded.get(field):
                attrs[field] = _SEP.join(sorted(folded[field]))
        key = "t" + _hash(f"{s.n3()} {p.n3()} {o.n3()}")
        out.add_edge(self.node_id(s), target, key=key, **attrs)


def rdf_to_nx(
    graph: Graph,
    *,
    literals: str = "attributes",
    classes: Iterable[URIRef] = (),
    predicates: Iterable[URIRef] = (),
    ontology: bool = False,
    statements: bool = False,
    context: Graph | None = None,
    class_use: Counter[Node] | None = None,
    nodes: Iterable[Node] | None = None,
    sources: Mapping[Node, Iterable[Node]] | None = None,
) -> nx.MultiDiGraph:
    """Convert an rdflib Graph or Dataset (or a CONSTRUCT result, with ``context`` the dataset it came from).

    ``literals``: "attributes" (default) or "nodes". ``classes``/``predicates`` restrict the result;
    ``ontology`` and ``statements`` include the ontology's terms and rdf:Statement reifications.
    When ``graph`` is only part of a bigger graph (a focus walk's), ``class_use`` counts each class's instances
    in the whole, ``nodes`` names the nodes to convert (no other is made a node only to be dropped, and links to
    them are left out) and ``sources`` names, for some nodes, the graphs mentioning them that the part leaves out.
    """
    if literals not in ("attributes", "nodes"):
        raise KGError(f"literals must be 'attributes' or 'nodes', not {literals!r}")
    only = frozenset(nodes) if nodes is not None else None
    options = Options(literals, frozenset(classes), frozenset(predicates), ontology, statements, only)
    ctx = _union(context) if context is not None else None
    return _Converter(_union(graph), options, ctx, class_use, sources).convert()


def _union(graph: Graph) -> Graph:
    """A Dataset whose default graph is not the union is read through a union view of the same store."""
    if isinstance(graph, Dataset) and not graph.default_union:
        return Dataset(store=graph.store, default_union=True)
    return graph
