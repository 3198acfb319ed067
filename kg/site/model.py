"""What the site's pages show, read from a Dataset once: labels, classes, sources, proofs, records, names.

``SiteData`` indexes the dataset in one pass per graph (labels, classes, which reified statement proves which
triple, which records concern which node), so that thousands of pages cost one dictionary look-up per fact
rather than one pattern search. The views (``entity_view`` …) are plain data for the templates; nothing here
writes HTML.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.dataset.paths import project_root
from kg.dataset.resolve import curie
from kg.graph.style import FAMILIES, OTHER, Family, family_of_class
from kg.site.paths import page_of
from kg.vocab.namespaces import CURATED_GRAPH, DATA_BASE, ONTOLOGY_BASE, ONTOLOGY_IRI, QDO, SCHEMA
from kg.vocab.terms import LABEL_PROPERTIES, RECORD_CLASSES

#: What the page header shows; not repeated among the statements.
_HEADER_PROPERTIES = frozenset({RDF.type, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, DCTERMS.description})
_REIFICATION = frozenset({RDF.subject, RDF.predicate, RDF.object})
#: A record's links that say what kind of record it is, not what it concerns.
_RECORD_PLUMBING = frozenset({RDF.type, DCTERMS.source, QDO.unit, QDO.qualifier})
_FIGURES = frozenset({QDO.Observation, QDO.Target, QDO.DerivedObservation})
#: A figure's period, in the order a reader wants it.
PERIOD_PROPERTIES = (
    QDO.year,
    QDO.yearMonth,
    QDO.periodStart,
    QDO.periodEnd,
    QDO.comparedWithYear,
    QDO.deadline,
    QDO.timeframe,
    QDO.periodText,
)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class Term:
    """A node as a page shows it: its text, and its IRI when it has a page of its own."""

    text: str
    iri: URIRef | None = None
    literal: bool = False


@dataclass(frozen=True)
class Fact:
    """One statement on a page: ``subject predicate object`` with its proof (a quote, or the curators' why)."""

    subject: Term
    predicate: Term
    object: Term
    evidence: tuple[str, ...] = ()  # every quote, sorted: a statement may be quoted from two sentences
    rationale: str = ""
    statement: URIRef | None = None  # the reified statement or record that carries the proof


@dataclass(frozen=True)
class Figure:
    """A figure or target as written, with its unit, qualifier, period and source."""

    node: URIRef
    kind: str
    indicator: Term
    about: Term
    value_text: str
    value: str
    unit: Term | None
    qualifier: Term | None
    period: str
    source: Term
    evidence: tuple[str, ...]
    rationale: str
    curated: bool

    @property
    def claim(self) -> tuple[str, str]:
        """What two sources must share to agree: the value and the unit."""
        return self.value, self.unit.text if self.unit else ""


@dataclass
class SourceSection:
    """Everything one source states about a node."""

    source: Term
    curated: bool
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Alias:
    name: str
    articles: list[Term]


@dataclass
class EntityView:
    """One entity's page."""

    iri: URIRef
    label: str
    classes: list[Term]
    aliases: list[Alias]
    hidden: list[str]
    description: str
    sections: list[SourceSection]
    figures: list[Figure]
    conflicts: list[list[Figure]]
    neighbours: list[tuple[Term, str, str]]  # (node, link label, colour)
    family: Family


@dataclass(frozen=True)
class ArticleMeta:
    iri: URIRef
    short_id: str
    title: str
    date: str
    publishers: tuple[str, ...]  # a syndicated release names several
    source_file: str


class SiteData:
    """The dataset indexed for pages. Build it once; every view reads these dictionaries."""

    def __init__(self, ds: Dataset, root: Path | None = None) -> None:
        self.ds = ds
        self.root = root or project_root()
        self.labels: dict[Node, str] = {}
        self.classes: dict[Node, list[URIRef]] = defaultdict(list)
        self.proofs: dict[tuple[Node, Node, Node, Node], list[tuple[URIRef | None, tuple[str, ...], str]]] = (
            defaultdict(list)
        )
        self.records: dict[Node, list[tuple[Node, Node, Node]]] = defaultdict(list)  # node -> (graph, rec, prop)
        self.record_nodes: set[Node] = set()
        self.statements: set[Node] = set()
        self.graphs = [g for g in ds.graphs() if g.identifier != ds.default_graph.identifier and len(g)]
        self._index()

    def _index(self) -> None:
        label_rank: dict[Node, int] = {p: i for i, p in enumerate(LABEL_PROPERTIES)}
        best: dict[Node, int] = {}
        for s, p, o, _ in self.ds.quads((None, None, None, None)):
            if (
                p in label_rank
                and isinstance(o, Literal)
                and (label_rank[p], str(o))
                < (
                    best.get(s, 99),
                    self.labels.get(s, "\U0010ffff"),
                )
            ):  # the best-ranked property's smallest value: the same label whatever order the engine gives
                best[s], self.labels[s] = label_rank[p], str(o)
            elif p == RDF.type and isinstance(o, URIRef) and isinstance(s, URIRef):
                if o not in self.classes[s]:
                    self.classes[s].append(o)
                if o in RECORD_CLASSES:
                    self.record_nodes.add(s)
                elif o == RDF.Statement:
                    self.statements.add(s)
        for g in self.graphs:
            for st, _, subject in g.triples((None, RDF.subject, None)):
                predicate, obj = g.value(st, RDF.predicate), g.value(st, RDF.object)
                if predicate is None or obj is None:
                    continue
                proof = (
                    st if isinstance(st, URIRef) else None,
                    quotes(g, st),
                    str(g.value(st, QDO.rationale) or ""),
                )
                self.proofs[(g.identifier, subject, predicate, obj)].append(proof)
        for classes in self.classes.values():
            classes.sort()
        ds_default = self.ds.default_graph.identifier
        for rec in self.record_nodes:
            for _, p, o, graph in self.ds.quads((rec, None, None, None)):
                if isinstance(o, URIRef) and p not in _RECORD_PLUMBING:
                    self.records[o].append((graph or ds_default, rec, p))

    # --- names -------------------------------------------------------------------------------------------------

    def label(self, node: Node) -> str:
        if node in self.labels:
            return self.labels[node]
        if node in self.record_nodes:
            return self._record_label(node)
        if node in self.statements:
            return self._statement_label(node)
        return curie(node) if isinstance(node, URIRef) else str(node)

    def _statement_label(self, node: Node) -> str:
        """A reified statement reads as the triple it is about: "Learning from Shenzhen … concerns Shenzhen"."""
        parts = [self.ds.value(node, prop) for prop in (RDF.subject, RDF.predicate, RDF.object)]
        if any(part is None for part in parts) or node in parts:
            return f"statement {curie(node)}"
        return "Statement: " + " ".join(self.label(part) for part in parts)  # type: ignore[arg-type]

    def _record_label(self, node: Node) -> str:
        """A record has no label of its own: it reads as what it records (a post's title, a figure's indicator and
        value as written, an award's recognition)."""
        ds = self.ds
        kind = self.label(self.classes[node][0]) if self.classes.get(node) else "record"
        if (title := ds.value(node, QDO.postTitle)) is not None:
            holder = ds.value(node, QDO.holder)
            return f"{self.label(holder)}: {title}" if holder is not None else str(title)
        if (value := ds.value(node, QDO.valueText)) is not None:
            indicator = ds.value(node, QDO.indicator)
            return f"{kind}: {self.label(indicator)}, {value}" if indicator is not None else f"{kind}: {value}"
        if (recognition := ds.value(node, QDO.recognition)) is not None:
            return f"{kind}: {self.label(recognition)}"
        return f"{kind} {curie(node)}"

    def term(self, node: Node) -> Term:
        if isinstance(node, Literal):
            return Term(str(node), literal=True)
        return Term(self.label(node), node if isinstance(node, URIRef) and has_page(node) else None)

    def family(self, node: Node) -> Family:
        found = [i for c in self.classes.get(node, []) if (i := family_of_class(c)) is not None]
        return FAMILIES[min(found)] if found else OTHER

    def colour(self, node: Node) -> str:
        return self.family(node).colour

    def colour_of_class(self, cls: URIRef) -> str:
        index = family_of_class(cls)
        return (FAMILIES[index] if index is not None else OTHER).colour

    def source_term(self, graph: Node) -> Term:
        if graph == CURATED_GRAPH:
            return Term("curators (inferred)", CURATED_GRAPH)
        meta = self.articles.get(graph)
        if meta is not None:
            return Term(f"{meta.short_id}: {meta.title}", meta.iri)
        return Term(self.label(graph), graph if isinstance(graph, URIRef) and has_page(graph) else None)

    # --- what has a page ---------------------------------------------------------------------------------------

    @cached_property
    def articles(self) -> dict[Node, ArticleMeta]:
        out: dict[Node, ArticleMeta] = {}
        for node in self.ds.subjects(RDF.type, QDO.Article, unique=True):
            if not isinstance(node, URIRef):
                continue
            out[node] = ArticleMeta(
                node,
                str(self.ds.value(node, QDO.shortId) or curie(node)),
                str(self.ds.value(node, DCTERMS.title) or ""),
                str(self.ds.value(node, DCTERMS.date) or self.ds.value(node, QDO.dateText) or ""),
                tuple(sorted({self.label(p) for p in self.ds.objects(node, DCTERMS.publisher)})),
                str(self.ds.value(node, QDO.sourceFile) or ""),
            )
        return dict(sorted(out.items(), key=lambda kv: kv[1].short_id))

    @cached_property
    def subjects(self) -> list[URIRef]:
        """Every IRI of the data namespace the dataset mentions: each gets a page."""
        seen: set[URIRef] = set()
        for s, p, o, _ in self.ds.quads((None, None, None, None)):
            for node in (s, p, o):
                if isinstance(node, URIRef) and node.startswith(DATA_BASE) and has_page(node):
                    seen.add(node)
        seen.update(g.identifier for g in self.graphs if isinstance(g.identifier, URIRef) and has_page(g.identifier))
        return sorted(seen)

    def is_entity(self, node: Node) -> bool:
        """A named thing (not a reified statement, a record or an article): listed in indexes and search."""
        return node not in self.statements and node not in self.record_nodes and node not in self.articles

    @cached_property
    def class_members(self) -> dict[URIRef, list[URIRef]]:
        members: dict[URIRef, list[URIRef]] = defaultdict(list)
        for node in self.subjects:
            if self.is_entity(node):
                for cls in self.classes.get(node, ()):
                    members[cls].append(node)
        return {c: sorted(m, key=lambda n: _norm(self.label(n))) for c, m in sorted(members.items(), key=str)}

    @cached_property
    def schema_types(self) -> dict[URIRef, URIRef]:
        """Our class -> its nearest schema.org superclass (breadth first through rdfs:subClassOf)."""
        onto = self.ds.graph(ONTOLOGY_IRI)
        out = {}
        for cls in set(onto.subjects(RDF.type, OWL.Class)):
            level, seen = [cls], {cls}
            while level and cls not in out:
                found = sorted(c for c in level if isinstance(c, URIRef) and c.startswith(str(SCHEMA)))
                if found:
                    out[cls] = found[0]
                    break
                level = [s for c in level for s in onto.objects(c, RDFS.subClassOf) if s not in seen]
                seen.update(level)
        return out  # type: ignore[return-value]

    # --- article texts -----------------------------------------------------------------------------------------

    def article_text(self, meta: ArticleMeta) -> str | None:
        """The article's text, read only from the project's data/articles folder (a data file names it, so a
        path elsewhere, or through ``..``, is not followed)."""
        if not meta.source_file:
            return None
        folder = (self.root / "data" / "articles").resolve()
        path = (self.root / meta.source_file).resolve()
        if path.parent != folder or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    @cached_property
    def _normalised_texts(self) -> dict[Node, str]:
        out = {}
        for iri, meta in self.articles.items():
            text = self.article_text(meta)
            if text is not None:
                out[iri] = _norm(text)
        return out

    def articles_using(self, name: str) -> list[Term]:
        """The articles whose text contains ``name`` as words (case and spacing aside). A plain substring test
        first, the word-boundary check only where it passes: at 100k triples that is 300 texts per alias."""
        wanted = _norm(name)
        pattern = re.compile(r"(?<!\w)" + re.escape(wanted) + r"(?!\w)")
        return [
            self.source_term(iri)
            for iri, text in self._normalised_texts.items()
            if wanted in text and pattern.search(text)
        ]


def quotes(g: Graph, node: Node) -> tuple[str, ...]:
    """Every qdo:evidence quote of ``node`` in ``g``, sorted (a set has no order of its own)."""
    return tuple(sorted(str(q) for q in g.objects(node, QDO.evidence)))


def has_page(iri: URIRef) -> bool:
    return page_of(iri) is not None and not str(iri).startswith(ONTOLOGY_BASE)


# --- views ---------------------------------------------------------------------------------------------------------


def _period(data: SiteData, graph: Node, rec: Node) -> str:
    g = data.ds.graph(graph)  # type: ignore[arg-type]
    parts = []
    for prop in PERIOD_PROPERTIES:
        for value in g.objects(rec, prop):
            parts.append(f"{data.label(prop)}: {data.label(value) if isinstance(value, URIRef) else value}")
    return "; ".join(parts)


def figure_of(data: SiteData, graph: Node, rec: Node) -> Figure | None:
    g = data.ds.graph(graph)  # type: ignore[arg-type]
    kinds = [c for c in g.objects(rec, RDF.type) if c in _FIGURES]
    if not kinds or not isinstance(rec, URIRef):
        return None

    def opt(prop: URIRef) -> Term | None:
        value = g.value(rec, prop)
        return data.term(value) if value is not None else None

    indicator, about = opt(QDO.indicator), opt(QDO.about)
    return Figure(
        node=rec,
        kind=data.label(min(kinds, key=str)),
        indicator=indicator or Term("(no indicator)"),
        about=about or Term("(not stated)"),
        value_text=str(g.value(rec, QDO.valueText) or g.value(rec, QDO.value) or ""),
        value=str(g.value(rec, QDO.value) or ""),
        unit=opt(QDO.unit),
        qualifier=opt(QDO.qualifier),
        period=_period(data, graph, rec),
        source=data.source_term(graph),
        evidence=quotes(g, rec),
        rationale=str(g.value(rec, QDO.rationale) or ""),
        curated=graph == CURATED_GRAPH,
    )


def conflicts(figures: list[Figure]) -> list[list[Figure]]:
    """Groups of figures on the same indicator, subject and period from different sources that disagree on the
    value or the unit: shown side by side."""
    groups: dict[tuple, list[Figure]] = defaultdict(list)
    for f in figures:
        if f.kind == "Observation" or not f.curated:
            groups[(f.indicator.iri, f.about.iri, f.period, f.kind)].append(f)
    return [
        group
        for group in groups.values()
        if len({f.claim for f in group}) > 1 and len({f.source.text for f in group}) > 1
    ]


def _facts(data: SiteData, node: URIRef) -> dict[Node, list[Fact]]:
    """The statements each graph makes with ``node`` as subject or object (not the header's names and classes,
    nor the reification and records, shown elsewhere), from the quads that name it: no graph is searched that
    does not mention it."""
    out: dict[Node, list[Fact]] = defaultdict(list)
    default = data.ds.default_graph.identifier
    for _, p, o, g in sorted(data.ds.quads((node, None, None, None)), key=_key):
        graph = g or default
        if p in _HEADER_PROPERTIES:
            continue
        out[graph].append(_fact(data, graph, node, p, o))
    for s, p, _, g in sorted(data.ds.quads((None, None, node, None)), key=_key):
        graph = g or default
        if s in data.statements or s in data.record_nodes or p in _REIFICATION or p == DCTERMS.source:
            continue
        out[graph].append(_fact(data, graph, s, p, node))
    return out


def _key(quad: tuple[Node, Node, Node, Node | None]) -> tuple[str, str, str, str]:
    return str(quad[3]), quad[0].n3(), quad[1].n3(), quad[2].n3()


def _fact(data: SiteData, graph: Node, s: Node, p: Node, o: Node) -> Fact:
    proofs = data.proofs.get((graph, s, p, o)) or [(None, (), "")]
    statement, evidence, rationale = proofs[0]
    return Fact(data.term(s), data.term(p), data.term(o), evidence, rationale, statement)


def _record_facts(data: SiteData, node: URIRef) -> tuple[dict[Node, list[Fact]], list[Figure]]:
    """Records that concern ``node`` (posts, awards, figures): non-figures as facts by graph, figures apart."""
    by_graph: dict[Node, list[Fact]] = defaultdict(list)
    figures = []
    seen = set()
    for graph, rec, prop in sorted(data.records.get(node, ()), key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
        if (graph, rec) in seen:
            continue
        seen.add((graph, rec))
        figure = figure_of(data, graph, rec)
        if figure is not None:
            if prop != QDO.indicator or figure.about.iri is None:
                figures.append(figure)
            continue
        g = data.ds.graph(graph)  # type: ignore[arg-type]
        evidence = quotes(g, rec)
        rationale = str(g.value(rec, QDO.rationale) or "")
        record = Term(data.label(rec), rec if isinstance(rec, URIRef) else None)
        by_graph[graph].append(Fact(record, data.term(prop), data.term(node), evidence, rationale, record.iri))
    return by_graph, figures


def _source_order(data: SiteData, graph: Node) -> tuple[int, str]:
    if graph in data.articles:
        return 0, data.articles[graph].short_id
    return (1, "") if graph == CURATED_GRAPH else (2, str(graph))


def neighbours(data: SiteData, node: URIRef, limit: int = 16) -> list[tuple[Term, str, str]]:
    """The entities linked to ``node`` directly or through a record (a post links a person and an
    organisation), the most often stated first (one count per link and source), at most ``limit``."""
    links: dict[Node, set[tuple[str, object]]] = defaultdict(set)

    def linkable(other: Node) -> bool:
        return isinstance(other, URIRef) and other != node and other.startswith(DATA_BASE) and data.is_entity(other)

    for _, p, o, g in data.ds.quads((node, None, None, None)):
        if linkable(o) and p not in _HEADER_PROPERTIES:
            links[o].add((data.label(p), g))
    for s, p, _, g in data.ds.quads((None, None, node, None)):
        if linkable(s) and p not in _REIFICATION:
            links[s].add((f"{data.label(p)} (of)", g))
        elif s in data.record_nodes:
            via = data.label(data.classes[s][0]) if data.classes.get(s) else "record"
            for _, p2, o2, g2 in data.ds.quads((s, None, None, None)):
                if linkable(o2) and p2 not in _RECORD_PLUMBING and p2 != QDO.indicator:
                    links[o2].add((f"{data.label(p2)} (via {via})", g2))
    ranked = sorted(links.items(), key=lambda kv: (-len(kv[1]), _norm(data.label(kv[0])), str(kv[0])))[:limit]
    return [(data.term(n), ", ".join(sorted({how for how, _ in ways})), data.colour(n)) for n, ways in ranked]


def entity_view(data: SiteData, node: URIRef) -> EntityView:
    """Everything a page about ``node`` shows."""
    ds = data.ds
    sections: dict[Node, SourceSection] = {}
    record_facts, figures = _record_facts(data, node)
    stated = _facts(data, node)
    for graph in set(stated) | set(record_facts):
        facts = stated.get(graph, []) + record_facts.get(graph, [])
        if graph == ONTOLOGY_IRI or not facts:
            continue
        sections[graph] = SourceSection(data.source_term(graph), graph == CURATED_GRAPH, facts)
    aliases = [
        Alias(str(a), data.articles_using(str(a))) for a in sorted({str(a) for a in ds.objects(node, SKOS.altLabel)})
    ]
    figures.sort(key=lambda f: (_norm(f.indicator.text), f.period, f.source.text))
    return EntityView(
        iri=node,
        label=data.label(node),
        classes=[Term(data.label(c), c) for c in data.classes.get(node, [])],
        aliases=aliases,
        hidden=sorted(str(h) for h in set(ds.objects(node, SKOS.hiddenLabel))),
        description=" ".join(str(d) for d in ds.objects(node, DCTERMS.description)),
        sections=[sections[k] for k in sorted(sections, key=lambda g: _source_order(data, g))],
        figures=figures,
        conflicts=conflicts(figures),
        neighbours=neighbours(data, node),
        family=data.family(node),
    )
