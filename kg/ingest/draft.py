"""What ingestion found → the three graphs of a draft, in exactly the curated model.

The article graph holds reified statements and records, each with its sentence as ``qdo:evidence`` and marked
with the rule that drafted it (``qdo:draftRule``) and how sure that rule is (``qdo:confidence``); proposals of
new entities are ``qdo:EntityProposal`` records. New entities and aliases go to the entities part; readings the
curators must own (the year "last year" means, an alias that identifies rather than spells) to the curated part,
each with a rationale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD
from rdflib.term import Node

from kg.ingest.figures import Figure
from kg.ingest.mentions import Mention
from kg.ingest.relations import Post, Relation
from kg.ingest.text import Sentence, Text
from kg.ingest.vocabulary import Name, Vocabulary
from kg.quality.fidelity import WHOLE_UNITS, spells
from kg.vocab.namespaces import PREFIXES, QD, QDO, article_iri

#: The prefixes an article's file declares, as the curated files do.
ARTICLE_PREFIXES = ("qd", "art", "qdo", "rdf", "xsd", "skos", "dcterms", "prov")


@dataclass
class DraftGraphs:
    """A draft's three parts, and what the builder decided along the way."""

    article: Graph
    entities: Graph
    curated: Graph
    new_entities: dict[URIRef, Mention] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def new_graph() -> Graph:
    g = Graph(bind_namespaces="none")
    for prefix in ARTICLE_PREFIXES:
        g.bind(prefix, PREFIXES[prefix])
    return g


def camel(label: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", label)
    return "".join(w[:1].upper() + w[1:] for w in words)[:60] or "Entity"


def number_literal(value: Decimal, unit: URIRef) -> Literal:
    """The value in XSD canonical form: an integer for counts, ranks and years, else a decimal."""
    if unit in WHOLE_UNITS:
        return Literal(str(int(value)), datatype=XSD.integer)
    text = format(value.normalize(), "f")
    return Literal("0" if text in ("-0", "0") else text, datatype=XSD.decimal)


def _reify(g: Graph, node: URIRef, subject: URIRef, predicate: URIRef, obj: Node) -> None:
    """Assert a triple in ``g`` and describe it as the rdf:Statement ``node`` (the curated model's backing)."""
    g.add((subject, predicate, obj))
    g.add((node, RDF.type, RDF.Statement))
    g.add((node, RDF.subject, subject))
    g.add((node, RDF.predicate, predicate))
    g.add((node, RDF.object, obj))


class Builder:
    """Turns mentions, figures, relations and posts into the draft's graphs."""

    def __init__(
        self, vocabulary: Vocabulary, short_id: str, text: Text, main_place: URIRef | None, taken: set[URIRef]
    ) -> None:
        self.vocabulary = vocabulary
        self.short_id = short_id
        self.article = article_iri(short_id)
        self.text = text
        self.main_place = main_place
        self.out = DraftGraphs(new_graph(), new_graph(), new_graph())
        self._taken = set(vocabulary.entities) | taken
        self._by_label: dict[str, URIRef] = {}
        self._counters: dict[str, int] = {}

    def _next(self, kind: str) -> URIRef:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return URIRef(f"{QD}{self.short_id}-{kind}{self._counters[kind]:02d}")

    def _mark(self, node: URIRef, rule: str, confidence: float) -> None:
        g = self.out.article
        g.add((node, QDO.draftRule, Literal(rule)))
        g.add((node, QDO.confidence, Literal(f"{confidence:.2f}".rstrip("0").rstrip("."), datatype=XSD.decimal)))

    def _evidence(self, node: URIRef, sentence: Sentence) -> None:
        self.out.article.add((node, QDO.evidence, Literal(sentence.text)))
        self.out.article.add((node, DCTERMS.source, self.article))

    def entity(self, node: URIRef | Mention) -> URIRef:
        """The IRI of a known entity, or of the new entity a mention proposes (proposed once per label)."""
        if isinstance(node, URIRef):
            return node
        label = node.label or node.text
        key = label.casefold()
        if key in self._by_label:
            return self._by_label[key]
        cls = node.cls or QDO.Organization
        rule = f"entity:{'person' if cls == QDO.Person else 'name'}"
        iri = self._propose(key, "", label, cls, node.sentence, rule, node.confidence)
        self.out.new_entities[iri] = node
        return iri

    def _propose(
        self, key: str, prefix: str, label: str, cls: URIRef, sentence: Sentence, rule: str, confidence: float
    ) -> URIRef:
        """A new entity (an IRI no one uses yet, typed and labelled in the entities part) and the proposal record
        that puts it before the reviewer with the sentence that introduces it."""
        iri = URIRef(QD + prefix + camel(label))
        n = 2
        while iri in self._taken:
            iri, n = URIRef(f"{QD}{prefix}{camel(label)}{n}"), n + 1
        self._taken.add(iri)
        self._by_label[key] = iri
        self.out.entities.add((iri, RDF.type, cls))
        self.out.entities.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
        proposal = self._next("new")
        g = self.out.article
        g.add((proposal, RDF.type, QDO.EntityProposal))
        g.add((proposal, QDO.proposes, iri))
        self._evidence(proposal, sentence)
        self._mark(proposal, rule, confidence)
        return iri

    def alias(self, mention: Mention) -> None:
        """A known entity written another way: a spelling goes to the entities part, an identification (no word
        in common with the preferred label) to the curated part with a rationale."""
        assert mention.iri is not None
        entity = self.vocabulary.entities[mention.iri]
        if any(n.text.casefold() == mention.text.casefold() for n in entity.names):
            return
        label = Literal(mention.text, lang="en")
        if spells(mention.text, entity.label):
            self.out.entities.add((mention.iri, SKOS.altLabel, label))
            return
        self.out.curated.add((mention.iri, SKOS.altLabel, label))
        self._reading(
            mention.iri,
            SKOS.altLabel,
            label,
            f"{self.short_id} writes '{mention.text}', read by kg ingest as {entity.label} (fuzzy match, "
            f"confidence {mention.confidence}): an identification, not a spelling.",
        )
        entity.names.append(Name(mention.text, SKOS.altLabel, identification=True))

    def _reading(self, subject: URIRef, predicate: URIRef, obj: Node, rationale: str) -> None:
        cur = self._next("cur")
        _reify(self.out.curated, cur, subject, predicate, obj)
        self.out.curated.add((cur, QDO.rationale, Literal(rationale)))

    def statement(
        self, subject: URIRef, predicate: URIRef, obj: Node, sentence: Sentence, rule: str, conf: float
    ) -> URIRef:
        st = self._next("s")
        _reify(self.out.article, st, subject, predicate, obj)
        self._evidence(st, sentence)
        self._mark(st, rule, conf)
        return st

    def relation(self, r: Relation) -> None:
        obj: Node = self.entity(r.object) if isinstance(r.object, (URIRef, Mention)) else Literal(r.object)
        subject = self.entity(r.subject)
        self.statement(subject, r.predicate, obj, r.sentence, r.rule, r.confidence)
        if r.predicate == QDO.dateText:
            self._date_text(subject, str(obj))

    def _date_text(self, event: URIRef, written: str) -> None:
        """The curators' reading of a date written without its year ("On September 22"), from the article's date:
        that day in the article's year, or the year before when that day is later than the article."""
        published = self.text.date
        parsed = re.search(r"([A-Z][a-z]+)\.?\s+(\d{1,2})\b", written)
        if published is None or parsed is None:
            return
        try:
            day = datetime.strptime(f"{parsed.group(1)[:3]} {parsed.group(2)} {published.year}", "%b %d %Y").date()
        except ValueError:
            return
        if day > published:
            day = day.replace(year=published.year - 1)
        self._reading(
            event,
            QDO.date,
            Literal(day.isoformat(), datatype=XSD.date),
            f"'{written}' in an article dated {published.isoformat()} is read as {day.isoformat()}, the last such day "
            "on or before the article's date.",
        )

    def figure(self, fig: Figure, plan: URIRef | None, records: dict[int, URIRef]) -> None:
        record = self._next("tgt" if fig.target else "obs")
        records[id(fig)] = record
        g = self.out.article
        g.add((record, RDF.type, QDO.Target if fig.target else QDO.Observation))
        g.add((record, QDO.indicator, self._indicator(fig)))
        about = self.entity(fig.about) if fig.about is not None else self.main_place
        if about is not None:
            g.add((record, QDO.about, about))
        g.add((record, QDO.value, number_literal(fig.value, fig.unit)))
        g.add((record, QDO.unit, fig.unit))
        g.add((record, QDO.valueText, Literal(fig.value_text)))
        if fig.qualifier is not None:
            g.add((record, QDO.qualifier, fig.qualifier))
        if fig.year:
            g.add((record, QDO.year, Literal(fig.year, datatype=XSD.gYear)))
        if fig.compared_year:
            g.add((record, QDO.comparedWithYear, Literal(fig.compared_year, datatype=XSD.gYear)))
        if fig.reported_by is not None:
            g.add((record, QDO.reportedBy, self.entity(fig.reported_by)))
        if fig.converted_from is not None and id(fig.converted_from) in records:
            g.add((record, QDO.convertedFrom, records[id(fig.converted_from)]))
        if fig.period_text:
            g.add((record, QDO.periodText, Literal(fig.period_text)))
            self._date_period(record, fig.period_text)
        if fig.target:
            if fig.deadline:
                g.add((record, QDO.deadline, Literal(fig.deadline, datatype=XSD.gYear)))
            elif fig.timeframe:
                g.add((record, QDO.timeframe, Literal(fig.timeframe)))
            else:
                g.add((record, QDO.openEnded, Literal(True)))
            if plan is not None:
                g.add((record, QDO.setBy, plan))
                g.add((plan, QDO.sets, record))
        self._evidence(record, fig.sentence)
        self._mark(record, fig.rule, fig.confidence)

    def _indicator(self, fig: Figure) -> URIRef:
        if fig.indicator is not None:
            return fig.indicator
        label = fig.indicator_label or "Figure"
        key = "indicator:" + label.casefold()
        if key in self._by_label:
            return self._by_label[key]
        return self._propose(key, "ind-", label, QDO.Indicator, fig.sentence, "entity:indicator", 0.3)

    def _date_period(self, record: URIRef, period: str) -> None:
        """The curators' reading of a relative period, from the article's date (none for an undated article)."""
        published: date | None = self.text.date
        if published is None:
            return
        lowered = period.casefold()
        if re.search(r"\b(?:last|past|previous)\s+year\b", lowered):
            year = str(published.year - 1)
            self._reading(
                record,
                QDO.year,
                Literal(year, datatype=XSD.gYear),
                f"'{period}' in an article dated {published.isoformat()} is read as {year}.",
            )
        elif "this year" in lowered:
            self._reading(
                record,
                QDO.year,
                Literal(str(published.year), datatype=XSD.gYear),
                f"'{period}' in an article dated {published.isoformat()} is read as {published.year}.",
            )
        else:
            self._reading(
                record,
                QDO.asOf,
                Literal(published.isoformat(), datatype=XSD.date),
                f"'{period}' is read as of the article's date, {published.isoformat()}.",
            )

    def post(self, p: Post, event: URIRef | None) -> None:
        if event is None and self.text.date is None:
            self.out.notes.append(f"post {p.title!r} skipped: the article gives neither its date nor an event")
            return
        record = self._next("post")
        g = self.out.article
        g.add((record, RDF.type, QDO.PostHolding))
        g.add((record, QDO.holder, self.entity(p.holder)))
        g.add((record, QDO.postIn, self.entity(p.body)))
        g.add((record, QDO.postTitle, Literal(p.title)))
        if event is not None:
            g.add((record, QDO.atEvent, event))
        else:
            assert self.text.date is not None
            g.add((record, QDO.asOf, Literal(self.text.date.isoformat(), datatype=XSD.date)))
        self._evidence(record, p.sentence)
        self._mark(record, "record:post", p.confidence)
