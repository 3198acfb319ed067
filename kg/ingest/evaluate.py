"""How close a draft comes to the curated graph of the same article: leave one article out, draft it with the
vocabulary of the others, and compare entity links, figures, relations and evidence, item by item.

Figures match on value, unit, qualifier and period (year, deadline, timeframe, period as written); relations on
predicate and both ends, a proposed entity standing for the curated entity whose name it matches. Free-text
statements (``qdo:statement``) have no rule that drafts them: they are counted as the reviewer's additions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rapidfuzz import fuzz
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Node

from kg.dataset.paths import project_root, shipped_sources
from kg.dataset.resolve import curie
from kg.ingest.mentions import squash
from kg.ingest.pipeline import Draft, draft_article
from kg.ingest.vocabulary import Vocabulary, _used_entities
from kg.quality.findings import normalise_space
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, QDO, article_iri

FIGURE_CLASSES = (QDO.Observation, QDO.Target)
#: How close (rapidfuzz token-set ratio) a proposal's label must be to a curated entity's name to stand for it.
NAME_MATCH = 85


@dataclass
class Score:
    tp: int = 0
    drafted: int = 0
    curated: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.drafted if self.drafted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.curated if self.curated else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: Score) -> Score:
        self.tp, self.drafted, self.curated = (
            self.tp + other.tp,
            self.drafted + other.drafted,
            self.curated + other.curated,
        )
        return self


@dataclass
class Evaluation:
    """One held-out article's scores and the reviewer's work to reach its curated graph."""

    short_id: str
    entities: Score = field(default_factory=Score)
    figures: Score = field(default_factory=Score)
    relations: Score = field(default_factory=Score)
    evidence_covered: int = 0
    evidence_checked: int = 0
    indicators_right: int = 0
    accept: int = 0
    edit: int = 0
    reject: int = 0
    add: int = 0
    free_text: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    #: Why curated entities were missed: reason → how many.
    entity_misses: Counter[str] = field(default_factory=Counter)


def _names(ds: Dataset, iri: Node) -> list[str]:
    return [
        str(label)
        for g in (ds.graph(ENTITIES_GRAPH), ds.graph(CURATED_GRAPH))
        for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
        for label in g.objects(iri, prop)
    ]


def _name_score(a: str, b: str) -> float:
    """How alike two names are (0-100): the same letters score 100, else rapidfuzz's token-sort ratio."""
    sa, sb = squash(a), squash(b)
    if not (sa and sb):
        return 0.0
    return 100.0 if sa == sb else fuzz.token_sort_ratio(a.casefold(), b.casefold())


def _number(node: Node | None) -> Decimal | None:
    try:
        return Decimal(str(node)) if node is not None else None
    except InvalidOperation:
        return None


def _period(g: Graph, record: Node) -> tuple[str, ...]:
    def text(prop: URIRef) -> str:
        value = g.value(record, prop)
        return normalise_space(str(value)).casefold() if value is not None else ""

    return tuple(text(p) for p in (QDO.year, QDO.deadline, QDO.timeframe, QDO.periodText))


def _figures(g: Graph) -> list[Node]:
    return sorted({s for cls in FIGURE_CLASSES for s in g.subjects(RDF.type, cls)}, key=str)


def _relations(g: Graph) -> set[tuple[Node, Node, Node]]:
    """Entity-to-entity statements and post holdings (holder, post in, body)."""
    out: set[tuple[Node, Node, Node]] = set()
    for st in g.subjects(RDF.type, RDF.Statement):
        s, p, o = g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object)
        if isinstance(o, URIRef) and s is not None and p is not None and p != RDF.type:
            out.add((s, p, o))
    for post in g.subjects(RDF.type, QDO.PostHolding):
        holder, body = g.value(post, QDO.holder), g.value(post, QDO.postIn)
        if holder is not None and body is not None:
            out.add((holder, QDO.postIn, body))
    return out


def evaluate_draft(draft: Draft, ds: Dataset, vocabulary: Vocabulary) -> Evaluation:
    """Compare a held-out article's draft with its curated graph in ``ds``."""
    result = Evaluation(draft.short_id, seconds=draft.seconds)
    curated = ds.graph(article_iri(draft.short_id))
    drafted = draft.graphs.article
    indicators = {e.iri for e in vocabulary.of_class(QDO.Indicator)}

    # entities: known ones linked, new ones proposed under a matching name
    truth = {e for e in _used_entities([curated]) if e not in indicators and not str(e).startswith(str(QDO))}
    truth_indicators = {curated.value(r, QDO.indicator) for r in _figures(curated)}
    truth -= truth_indicators
    linked = {m.iri for m in draft.mentions if m.iri is not None}
    proposed = {
        iri: m
        for iri, m in draft.graphs.new_entities.items()
        if (iri, RDF.type, QDO.Indicator) not in draft.graphs.entities
    }
    mapping: dict[Node, Node] = {iri: iri for iri in linked}
    unmatched_new = {e for e in truth if e not in vocabulary.entities}
    for iri, mention in proposed.items():
        label = mention.label or mention.text
        scored = [(max((_name_score(label, n) for n in _names(ds, e)), default=0.0), str(e), e) for e in unmatched_new]
        best = max(scored, default=None, key=lambda x: x[:2])
        hit = best[2] if best is not None and best[0] >= NAME_MATCH else None
        if hit is not None:
            mapping[iri] = hit
            unmatched_new.discard(hit)
    for iri in draft.graphs.new_entities:
        if (iri, RDF.type, QDO.Indicator) in draft.graphs.entities:
            mapping.setdefault(iri, iri)
    found = {mapping[i] for i in linked | set(proposed) if i in mapping}
    result.entities = Score(len(found & truth), len(linked) + len(proposed), len(truth))
    result.misses += [f"entity not linked: {curie(e)}" for e in sorted(truth - found, key=str)]
    text = normalise_space(draft.raw)
    for e in truth - found:
        result.entity_misses[_why_missed(ds, e, text, vocabulary)] += 1

    # figures
    remaining = list(_figures(curated))
    accepted_figures = 0
    for record in _figures(drafted):
        key = (
            _number(drafted.value(record, QDO.value)),
            drafted.value(record, QDO.unit),
            drafted.value(record, QDO.qualifier),
            _period(drafted, record),
        )
        hit = next(
            (
                c
                for c in remaining
                if (
                    _number(curated.value(c, QDO.value)),
                    curated.value(c, QDO.unit),
                    curated.value(c, QDO.qualifier),
                    _period(curated, c),
                )
                == key
            ),
            None,
        )
        partial = next(
            (
                c
                for c in remaining
                if _number(curated.value(c, QDO.value)) == key[0] and curated.value(c, QDO.unit) == key[1]
            ),
            None,
        )
        if hit is not None:
            remaining.remove(hit)
            result.figures.tp += 1
            accepted_figures += 1
            ind_d, ind_c = drafted.value(record, QDO.indicator), curated.value(hit, QDO.indicator)
            if ind_d == ind_c or (ind_c not in indicators and ind_d not in indicators):
                result.indicators_right += 1
            _check_evidence(result, drafted, [record], curated, [hit])
        elif partial is not None:
            remaining.remove(partial)
            result.edit += 1
        else:
            result.reject += 1
    result.figures.drafted = len(_figures(drafted))
    result.figures.curated = len(_figures(curated))
    result.misses += [f"figure missed: {curated.value(c, QDO.valueText)}" for c in remaining]
    result.add += len(remaining)

    # relations
    truth_rel = _relations(curated)
    drafted_rel = {(mapping.get(s, s), p, mapping.get(o, o)) for s, p, o in _relations(drafted)}
    hits = drafted_rel & truth_rel
    result.relations = Score(len(hits), len(drafted_rel), len(truth_rel))
    for st in drafted.subjects(RDF.type, RDF.Statement):
        s, p, o = drafted.value(st, RDF.subject), drafted.value(st, RDF.predicate), drafted.value(st, RDF.object)
        if s is None or p is None or o is None:
            continue
        triple = (mapping.get(s, s), p, mapping.get(o, o))
        if triple in hits:
            backing = [
                cst
                for cst in curated.subjects(RDF.type, RDF.Statement)
                if (curated.value(cst, RDF.subject), curated.value(cst, RDF.predicate), curated.value(cst, RDF.object))
                == triple
            ]
            _check_evidence(result, drafted, [st], curated, backing)
    result.misses += [f"relation missed: {' '.join(map(curie, t))}" for t in sorted(truth_rel - hits)]
    literal_statements = sum(
        1 for st in curated.subjects(RDF.type, RDF.Statement) if isinstance(curated.value(st, RDF.object), Literal)
    )
    result.accept = accepted_figures + len(hits) + len(found & truth - set(linked))
    unmatched_proposals = [iri for iri in proposed if iri not in mapping]
    known_truth = truth & set(vocabulary.entities)
    merges = [
        iri
        for iri in unmatched_proposals
        if any(
            _name_score(proposed[iri].label or proposed[iri].text, n) >= NAME_MATCH
            for e in known_truth
            for n in _names(ds, e)
        )
    ]
    result.edit += len(merges)  # a known entity proposed anew: the reviewer points the items at it
    result.reject += len(drafted_rel - truth_rel) + len(unmatched_proposals) - len(merges)
    result.free_text = literal_statements
    result.add += len(truth_rel - hits) + literal_statements + len(unmatched_new)
    return result


#: Why a curated entity is not in the draft, in the order they are tested.
MISS_REASONS = (
    "named only by the curators (no name of it is written in the article)",
    "known to the vocabulary but not linked (the article spells it another way)",
    "written in lower case (a concept or a descriptive name no rule proposes)",
    "capitalised but not proposed (or proposed and dropped by validation)",
)


def _why_missed(ds: Dataset, entity: Node, text: str, vocabulary: Vocabulary) -> str:
    """``text`` is the article with its whitespace normalised (case kept)."""
    folded = text.casefold()
    starts = [folded.find(n.casefold()) for n in map(normalise_space, _names(ds, entity))]
    written = [i for i in starts if i >= 0]
    if not written:
        return MISS_REASONS[0]
    if entity in vocabulary.entities:
        return MISS_REASONS[1]
    if all(text[i].islower() for i in written):
        return MISS_REASONS[2]
    return MISS_REASONS[3]


def _check_evidence(result: Evaluation, drafted: Graph, nodes: list[Node], curated: Graph, truth: list[Node]) -> None:
    """Whether the draft's quote covers a curated quote of the same item (a curated item may quote several
    sentences, e.g. a target and the plan that sets it; one covered is enough)."""
    quotes = [normalise_space(str(q)) for n in nodes for q in drafted.objects(n, QDO.evidence)]
    wanted = [normalise_space(str(q)) for t in truth for q in curated.objects(t, QDO.evidence)]
    result.evidence_checked += 1
    if any(w in q for w in wanted for q in quotes):
        result.evidence_covered += 1


def leave_one_out(ds: Dataset, short_id: str, root: Path | None = None) -> Evaluation:
    """Draft ``short_id`` with the vocabulary of the other articles and score the draft against its graph."""
    root = root or project_root()
    article = article_iri(short_id)
    source = next(s for s in shipped_sources(root) if s.graph == article)
    text_file = next(str(f) for f in ds.graph(article).objects(article, QDO.sourceFile))
    vocabulary = Vocabulary.from_dataset(ds, exclude=article)
    base = [s for s in shipped_sources(root) if s is not source and s.graph != article]
    raw = (root / text_file).read_text(encoding="utf-8")
    draft = draft_article(raw, vocabulary, short_id, root=root, base=base)
    return evaluate_draft(draft, ds, vocabulary)
