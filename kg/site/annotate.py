"""An article's text with every encoded fact highlighted where the article states it.

Each fact of the article's graph (a reified statement or a record) quotes its sentence verbatim, up to
whitespace. The quote is found in the text with whitespace collapsed on both sides, and its place mapped
back to the original characters; overlapping quotes split the text into runs, each run knowing every fact
that quotes it. Names of the entities the facts mention are linked where they occur. The result is plain data
(paragraphs of runs); the template writes it, escaping every character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from kg.ingest.text import paragraphs_of
from kg.site.model import Fact, SiteData, Term, quotes
from kg.vocab.namespaces import QDO

_SPACE = re.compile(r"\s+")


@dataclass
class Run:
    """A stretch of text: the facts quoting it (their numbers), and the entity its words name, if any."""

    text: str
    facts: tuple[int, ...] = ()
    entity: URIRef | None = None
    ends: tuple[int, ...] = ()  # facts whose quote ends here: their note marks follow the run


@dataclass
class Annotated:
    paragraphs: list[list[Run]]
    facts: list[Fact]
    found: set[int] = field(default_factory=set)  # numbers of facts whose quote is in the text


def _collapsed(text: str) -> tuple[str, list[int]]:
    """``text`` with each run of whitespace as one space, and each kept character's offset in ``text``."""
    out, offsets = [], []
    for match in re.finditer(r"\s+|\S", text):
        out.append(" " if match.group().isspace() else match.group())
        offsets.append(match.start())
    return "".join(out), offsets


def _article_facts(data: SiteData, article: URIRef) -> list[Fact]:
    """Every fact of the article's graph that carries a quote, in the order the graph's file does not keep: by
    statement IRI, which the curators number in reading order."""
    g = data.ds.graph(article)
    facts = []
    for st in sorted(set(g.subjects(QDO.evidence, None)), key=str):
        if (st, RDF.type, RDF.Statement) in g:
            s, p, o = (g.value(st, prop) for prop in (RDF.subject, RDF.predicate, RDF.object))
            if s is None or p is None or o is None:
                continue
            subject, predicate, obj = data.term(s), data.term(p), data.term(o)
        else:
            kind = data.label(data.classes[st][0]) if data.classes.get(st) else "record"
            value = g.value(st, QDO.valueText) or g.value(st, QDO.postTitle)
            subject, predicate = Term(data.label(st), st if isinstance(st, URIRef) else None), Term(kind)
            obj = Term(str(value)) if value else Term("")
        for quote in quotes(g, st):  # one fact per quote, each highlighted where it stands
            facts.append(Fact(subject, predicate, obj, (quote,), "", st if isinstance(st, URIRef) else None))
    return facts


def _names(data: SiteData, facts: list[Fact]) -> dict[str, URIRef]:
    """The names (labels and aliases) of the entities the facts mention, lower-cased, to link in the text."""
    names: dict[str, URIRef] = {}
    for fact in facts:
        for term in (fact.subject, fact.object):
            if term.iri is None or not data.is_entity(term.iri):
                continue
            for prop in (SKOS.prefLabel, SKOS.altLabel):
                for name in data.ds.objects(term.iri, prop):
                    if len(str(name)) >= 3:
                        names.setdefault(" ".join(str(name).split()).casefold(), term.iri)
    return names


def annotate(data: SiteData, article: URIRef, text: str) -> Annotated:
    """The article's paragraphs (its title and dateline too, which facts also quote) as runs, each run with the
    facts that quote it and the entity it names."""
    pieces = paragraphs_of(text)
    body = "\n\n".join(pieces)
    spans, at = [], 0
    for piece in pieces:
        spans.append((at, at + len(piece)))
        at += len(piece) + 2
    facts = _article_facts(data, article)
    flat, offsets = _collapsed(body)
    flat_folded = flat.casefold()
    cover = [set() for _ in body]  # type: list[set[int]]
    ends: dict[int, list[int]] = {}
    found = set()
    for number, fact in enumerate(facts, 1):
        quote = _SPACE.sub(" ", fact.evidence[0]).strip()
        at = flat.find(quote) if quote else -1
        if at < 0 and quote:
            at = flat_folded.find(quote.casefold())
        if at < 0:
            continue
        found.add(number)
        start, end = offsets[at], offsets[at + len(quote) - 1] + 1
        for i in range(start, end):
            cover[i].add(number)
        ends.setdefault(end, []).append(number)
    names = _names(data, facts)
    entity_at: dict[int, tuple[int, URIRef]] = {}
    if names:
        pattern = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)",
            re.IGNORECASE,
        )
        for match in pattern.finditer(body):
            iri = names.get(" ".join(match.group().split()).casefold())
            if iri is not None:
                entity_at[match.start()] = (match.end(), iri)
    paragraphs = []
    for start, end in spans:
        runs: list[Run] = []
        i = start
        while i < end:
            entity = None
            if i in entity_at and entity_at[i][0] <= end:
                stop, entity = entity_at[i]
            else:
                stop = i + 1
                while stop < end and stop not in entity_at and cover[stop] == cover[i] and stop not in ends:
                    stop += 1
            stop = _first_end(i, stop, ends) if entity is None else stop
            runs.append(Run(body[i:stop], tuple(sorted(cover[i])), entity, tuple(sorted(ends.get(stop, ())))))
            i = stop
        paragraphs.append(runs)
    return Annotated(paragraphs, facts, found)


def _first_end(start: int, stop: int, ends: dict[int, list[int]]) -> int:
    """A run stops where a quote ends inside it, so the quote's note mark follows its last word."""
    for at in range(start + 1, stop):
        if at in ends:
            return at
    return stop
