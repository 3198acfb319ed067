"""Numbers in a sentence → figure records: value with its scale, unit and qualifier as written, period, whether
it is a target, what it measures and what it is about.

Word numbers ("four percentage points", "two national-level …") are read with text2num; units and qualifiers
come from the ontology's labels; an indicator is reused when its label is close to the words around the number
(rapidfuzz), else a new one is proposed from those words.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib import URIRef
from text_to_num import text2num  # type: ignore[import-untyped]

from kg.ingest.mentions import Mention, capitalised, mention_is, singular
from kg.ingest.text import Sentence, Text
from kg.ingest.vocabulary import Vocabulary
from kg.vocab.namespaces import QDO


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "hundred million": 10**8}
_WORD_NUMBERS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}
#: English spelling variants of unit words (the ontology writes British English).
_SPELLINGS = {"meter": "metre"}
_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|(?:{_WORD_NUMBERS})(?:[ -](?:{_WORD_NUMBERS}))*"
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
#: Periods written relative to the article's date, and spans of time.
_PERIOD_TEXT = re.compile(
    r"\b(?:(?:in|during|over)\s+)?(?:the\s+)?(?:last|past|previous|this)\s+(?:year|month|quarter|decade)\b"
    r"|\bso far\b|\bfor\s+(?:\w+)\s+consecutive\s+years\b",
    re.IGNORECASE,
)
_TIMEFRAME = re.compile(r"\b(?:in|within|over)\s+(?:the\s+)?(?:next\s+)?(?:\w+)\s+years\b", re.IGNORECASE)
_TARGET_WORDS = re.compile(
    r"\b(?:will|shall|strives?|striving|goal|target|aims?\s+to|plans?\s+to|focus(?:es)?\s+on\s+building|"
    r"accelerate\s+the\s+implementation)\b",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(r"^\s*(?:first|second|third|fourth|fifth|firstly|secondly|thirdly|finally)\b,", re.I)
_STOPWORDS = _wordset(
    "the of in and a an to for by with its their has have "
    "had been is are was were as at on from that this which it city city's all both than"
)


@dataclass
class Figure:
    """One drafted figure record, in the curated model's terms."""

    sentence: Sentence
    clause: str
    start: int
    end: int
    value: Decimal
    unit: URIRef
    value_text: str
    rule: str
    confidence: float
    qualifier: URIRef | None = None
    target: bool = False
    year: str | None = None
    compared_year: str | None = None
    period_text: str | None = None
    deadline: str | None = None
    timeframe: str | None = None
    about: URIRef | Mention | None = None
    indicator: URIRef | None = None
    indicator_label: str | None = None
    converted_from: Figure | None = None
    reported_by: URIRef | Mention | None = None
    set_by: Mention | URIRef | None = None
    notes: list[str] = field(default_factory=list)


def _number(text: str) -> Decimal | None:
    text = text.strip().casefold()
    try:
        if re.fullmatch(r"[\d,]+(?:\.\d+)?", text):
            return Decimal(text.replace(",", ""))
        return Decimal(text2num(text.replace("-", " "), "en"))
    except (ValueError, InvalidOperation):
        return None


def _unit_pattern(vocabulary: Vocabulary) -> str:
    words = sorted(vocabulary.units, key=len, reverse=True)
    alternatives = []
    for w in words:
        if w in ("$", "count", "rank", "year"):
            continue  # "$" precedes the number; counts, ranks and years are read by their own rules
        escaped = re.escape(w).replace(r"\ ", r"\s+")
        for british, american in _SPELLINGS.items():
            escaped = escaped.replace(american, f"(?:{american}|{british})")
        alternatives.append(escaped + (r"s?" if w[-1].isalpha() else ""))
    return "|".join(alternatives)


class FigureReader:
    """Reads the figures of an article's sentences against the vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        qualifiers = "|".join(re.escape(q) for q in sorted(vocabulary.qualifiers, key=len, reverse=True))
        scales = "|".join(sorted(SCALES, key=len, reverse=True))
        self.pattern = re.compile(
            rf"(?:(?P<qual>{qualifiers})\s+)?(?P<dollar>\$)?(?P<num>{_NUMBER})(?![\d:/-])\s*"
            rf"(?P<scale>{scales})?\s*(?P<unit>{_unit_pattern(vocabulary)})?(?![\w-])",
            re.IGNORECASE,
        )
        self.rank = re.compile(rf"\bthe\s+(?P<ord>{'|'.join(_ORDINALS)})(?:\s+(?:most|largest|biggest))?\b", re.I)
        self.indicators = [(e.iri, e.label) for e in vocabulary.of_class(QDO.Indicator)]

    def read(self, text: Text, mentions: list[Mention], published: date | None) -> list[Figure]:
        figures: list[Figure] = []
        for sentence in text.sentences:
            offset = 0
            for clause in re.split(r"(?<=;)", sentence.text):
                found = self._clause(sentence, clause, offset, published)
                offset += len(clause)
                figures.extend(found)
        for fig in figures:
            fig.about = self._about(fig, mentions)
            self._indicator(fig)
        return _unique(figures)

    def _clause(self, sentence: Sentence, clause: str, offset: int, published: date | None) -> list[Figure]:
        out: list[Figure] = []
        masked = _mask_dates(clause)
        for m in self.pattern.finditer(masked):
            fig = self._figure(sentence, clause, offset, m)
            if fig is not None:
                out.append(fig)
        for m in self.rank.finditer(clause):
            after = clause[m.end() : m.end() + 40]
            if re.match(r"\s+(?:in|among)\b", after) or "most" in m.group().casefold():
                tail = re.match(r"\s+in\s+the\s+world\b", after)
                end = m.end() + (tail.end() if tail else 0)
                out.append(
                    Figure(
                        sentence,
                        clause,
                        offset + m.start(),
                        offset + end,
                        Decimal(_ORDINALS[m.group("ord").casefold()]),
                        QDO.Rank,
                        clause[m.start() : end],
                        "figure:rank",
                        0.6,
                    )
                )
        for fig in out:
            self._period(fig, clause, published)
        for base in re.finditer(r"(?:compared\s+with|over|than)\s+((?:19|20)\d\d)\b", clause):
            earlier = [f for f in out if f.end - offset <= base.start()]
            if earlier:
                max(earlier, key=lambda f: f.end).compared_year = base.group(1)
        for a, b in itertools.pairwise(out):
            between = clause[a.end - offset : b.start - offset]
            if a.unit != b.unit and re.fullmatch(r"\s*\(\s*", between) and {a.unit, b.unit} <= {QDO.Yuan, QDO.USDollar}:
                b.converted_from = a
                b.qualifier = None
        return out

    def _figure(self, sentence: Sentence, clause: str, offset: int, m: re.Match[str]) -> Figure | None:
        value = _number(m.group("num"))
        if value is None:
            return None
        unit_word = " ".join((m.group("unit") or "").casefold().split())
        for british, american in _SPELLINGS.items():
            unit_word = unit_word.replace(british, american)
        unit = self._unit(unit_word) if unit_word else None
        if m.group("dollar"):
            unit = QDO.USDollar
        if m.group("scale"):
            value *= SCALES[m.group("scale").casefold()]
        after = clause[m.end() :]
        before = clause[: m.start()]
        rule = "figure:" + (unit_word.replace(" ", "-") or "count")
        if unit is None:
            if years := re.match(r"\s*consecutive\s+years\b", after):  # "for two consecutive years": a duration
                end = m.end() + years.end()
                written = clause[m.start() : end]
                return Figure(
                    sentence, clause, offset + m.start(), offset + end, value, QDO.Year, written, "figure:years", 0.6
                )
            if re.match(r"\s*years?\b", after) or not self._count_context(m, before, after):
                return None  # "in four years" is a timeframe, read with its target
            unit = QDO.Count
        if unit == QDO.Count and value != value.to_integral_value():
            return None
        qualifier = self.vocabulary.qualifiers.get(" ".join((m.group("qual") or "").casefold().split()))
        start = m.start() if m.group("qual") else m.start("dollar") if m.group("dollar") else m.start("num")
        end = m.end("unit") if m.group("unit") else m.end("scale") if m.group("scale") else m.end("num")
        text = clause[start:end]
        if unit == QDO.Minute and (every := re.search(r"\bevery\s+$", before)):
            start -= len(every.group())
            text = clause[start:end]
        confidence = 0.9 if unit != QDO.Count else 0.6
        return Figure(sentence, clause, offset + start, offset + end, value, unit, text, rule, confidence, qualifier)

    def _unit(self, word: str) -> URIRef | None:
        units = self.vocabulary.units
        return units.get(word) or units.get(re.sub(r"s$", "", word)) or units.get(" ".join(word.split()))

    @staticmethod
    def _count_context(m: re.Match[str], before: str, after: str) -> bool:
        """A bare number is a count when a lower-case noun phrase follows it and it is not a year, a date, a list
        number, part of a name ("top 500") or "one of"."""
        num = m.group("num")
        if re.fullmatch(r"(?:19|20)\d\d", num) or re.search(r"\b(?:top|no\.?|number)\s*$", before, re.I):
            return False
        if num.casefold() == "one" or re.match(r"\s*(?:of|or|and|to|it|they|we|he|she|this|there|,|\.|\))\b", after):
            return False
        if num[:1].isupper() or re.search(r"[\"“]\s*$", before):
            return False
        if re.search(rf"{_MONTHS}\s*$", before) or re.search(r"[\d(-]$", before.rstrip()):
            return False
        return re.match(r"\s+[a-z][\w-]*", after) is not None

    def _period(self, fig: Figure, clause: str, published: date | None) -> None:
        years = [y for y in re.finditer(r"(?<![\d-])((?:19|20)\d\d)(?![\d-])", clause) if not _in_name(clause, y)]
        for y in years:
            lead = clause[max(0, y.start() - 25) : y.start()].casefold()
            if re.search(r"(?:compared with|over|than)\s*$", lead):
                continue  # the base year of the figure just before it (see _clause)
            if re.search(r"\bby\s*$", lead):
                fig.deadline = y.group(1)
            elif re.search(r"\b(?:in|during|of|for)\s*$", lead) and fig.year is None:
                fig.year = y.group(1)
        if (p := _PERIOD_TEXT.search(clause)) and not (fig.unit == QDO.Year and p.group() in fig.value_text):
            fig.period_text = p.group()
        fig.target = bool(_TARGET_WORDS.search(clause) or _ENUMERATION.match(fig.sentence.text)) or (
            fig.deadline is not None and published is not None and int(fig.deadline) > published.year
        )
        if fig.target and (t := _TIMEFRAME.search(clause)):
            fig.timeframe = t.group()
        if not fig.target:
            fig.deadline = None
        if fig.target:
            fig.year = None
            fig.rule += ":target"

    def _about(self, fig: Figure, mentions: list[Mention]) -> URIRef | Mention | None:
        """What a figure is about, among the actors named before it in its sentence: the possessor ("the X
        Group's shipments"), else the first place, else the first actor; None leaves it to the article's main
        place. A body the figure is attributed to ("according to statistics from …") is its reporter instead."""
        about_classes = (
            QDO.Organization,
            QDO.Place,
            QDO.Platform,
            QDO.Facility,
            QDO.Fund,
            QDO.PolicyInstrument,
            QDO.Event,
        )
        inside = [m for m in mentions if m.sentence == fig.sentence and m.end <= fig.sentence.start + fig.start]
        text = fig.sentence.text
        sources = [
            m
            for m in inside
            if re.search(_SOURCE, text[: m.start - fig.sentence.start])
            and mention_is(self.vocabulary, m, QDO.Organization)
        ]
        if sources:
            fig.reported_by = sources[0].iri or sources[0]
        fitting = [m for m in inside if mention_is(self.vocabulary, m, *about_classes) and m not in sources]
        possessor = [m for m in fitting if re.match(r"['’]s\b", text[m.end - fig.sentence.start :])]
        places = [m for m in fitting if mention_is(self.vocabulary, m, QDO.Place)]
        ranked = possessor or places or fitting
        return (ranked[0].iri or ranked[0]) if ranked else None

    def _indicator(self, fig: Figure) -> None:
        """The closest known indicator to the words around the number; a new one when none is close."""
        if fig.converted_from is not None:
            fig.indicator, fig.indicator_label = fig.converted_from.indicator, fig.converted_from.indicator_label
            return
        window = _window(fig)
        near = _measure_words(" ".join(window.split()[-8:]))
        words = _content_words(window) | near
        best, score = None, 0.0
        for iri, label in self.indicators:
            wanted = _content_words(label)
            if not wanted:
                continue
            s = len(wanted & words) / len(wanted)
            kinds = _measure_words(label)
            if (kinds and not kinds & near) or (fig.unit == QDO.Count) != ("number" in kinds):
                s /= 2
            if s > score:
                best, score = iri, s
        if best is not None and score >= INDICATOR_THRESHOLD:
            fig.indicator = best
            return
        fig.indicator_label = _indicator_label(fig, window)


#: Words that introduce the body a figure comes from ("according to statistics from …", "learned from …").
_SOURCE = re.compile(r"\b(?:according\s+to|statistics\s+from|learned\s+from|data\s+from)\b[^,]{0,40}$", re.I)
#: The share of an indicator label's words that must be around a number for the figure to reuse it.
INDICATOR_THRESHOLD = 0.6
#: Words that say what kind of measure a number is (generic English), so "accounts for" finds a share.
_MEASURES = {
    "share": ("share", "proportion", "account", "accounts", "accounted", "percentage"),
    "growth": ("growth", "grew", "grow", "rose", "rise", "increase", "increased", "increases", "year-on-year"),
    "margin": ("margin", "higher"),
    "number": ("number",),
    "rank": ("rank", "ranked", "first", "second", "third"),
}


def _measure_words(text: str) -> set[str]:
    words = set(re.findall(r"[a-z-]+", text.casefold()))
    return {kind for kind, forms in _MEASURES.items() if words & set(forms)}


def _content_words(text: str) -> set[str]:
    return {singular(w) for w in re.findall(r"[a-z0-9-]+", text.casefold()) if w not in _STOPWORDS}


def _window(fig: Figure) -> str:
    """The words that say what a number measures: its clause up to the number, and the noun after a count."""
    clause_start = fig.sentence.text.find(fig.clause)
    before = fig.clause[: fig.start - clause_start]
    before = re.split(r"[,;:]\s", before)[-1] if len(before.split()) > 14 else before
    after = fig.clause[fig.end - clause_start :]
    noun = re.match(r"\s*((?:[a-z][\w-]*\s*){1,7})", after) if fig.unit == QDO.Count else None
    return f"{before} {noun.group(1) if noun else ''}".strip()


def _indicator_label(fig: Figure, window: str) -> str:
    """A label for a new indicator: what the words before the number measure ("the added value of the marine
    economy"), or, for a count, the things after it, without the verbs that carry the number to it."""
    if fig.unit == QDO.Count:
        after = fig.clause[fig.end - fig.sentence.text.find(fig.clause) :]
        things = re.match(r"\s*((?:[a-z][\w-]*\s*){1,6})", after)
        phrase = _trim(things.group(1) if things else window)
        return f"Number of {phrase}" if phrase else "Number of things counted"
    after = fig.clause[fig.end - fig.sentence.text.find(fig.clause) :]
    following = re.match(r"\s*((?:of|in)\s+(?:[\w'’-]+\s*){1,6})", after)  # "… nearly 35 percent of regional GDP"
    # Words after an earlier figure of the clause measure this one; the subject before it, when none follow it.
    pieces = [_trim(p) for p in _NUMBER_WITH_UNIT.split(window)]
    phrase = pieces[-1] if len(pieces[-1].split()) > 1 else pieces[0]
    phrase = phrase or (
        f"Share {following.group(1).strip()}" if following and fig.unit == QDO.Percent else _trim(window)
    )
    compared = re.match(r"[\s,]*(?:higher|lower|more|less|faster|slower)\s+than\s+([^,;.]{3,60})", after)
    if compared:
        return capitalised(f"{phrase or 'Figure'}, margin over {_trim(compared.group(1))}")
    kind = next(iter(_measure_words(window) - _measure_words(phrase) - {"number", "rank"}), "")
    return capitalised(f"{phrase}, {kind}" if kind and phrase else phrase or f"Figure ({kind or 'unnamed'})")


#: A number as written with its scale and unit, where indicator labels are cut ("grew by 7.2 percent, …").
_NUMBER_WITH_UNIT = re.compile(
    r"\$?\d[\d.,]*\s*(?:(?:billion|million|trillion|thousand)\s*)?"
    r"(?:percentage\s+points?|percent|%|yuan|dollars?|square\s+kilomet(?:er|re)s?|minutes?)?",
    re.IGNORECASE,
)
#: Words that carry a number to what it measures ("grew by", "accounted for", "shall reach"), trimmed from labels.
_CARRIERS = _wordset(
    "to by of at for from in on with as reach reached reaches raise raising increase increased increases rose "
    "rise grew grow growth account accounts accounted accounting is was were are be been shall will would remain "
    "remains hit exceeded exceeding more than nearly almost up over above the a an and which that has have "
    "had strives strive striving has been total totalling share proportion"
)


def _trim(text: str) -> str:
    """Drop carrier words at both ends, a leading period phrase, and what stands before "of the" when it is one."""
    text = re.sub(
        r"^(?:in\s+\d{4}|last\s+year|this\s+year|so\s+far|in\s+the\s+past\s+year)\b[,\s]*", "", text.strip(), flags=re.I
    )
    words = re.findall(r"[\w'’-]+", text)
    while words and words[-1].casefold() in _CARRIERS:
        words.pop()
    while words and words[0].casefold() in _CARRIERS | {"according", "statistics", "show", "data"}:
        words.pop(0)
    return " ".join(words[-10:])


def _mask_dates(clause: str) -> str:
    """Blank out dates and times so their numbers are not read as figures ("March 26", "0086-532-…")."""

    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group())

    clause = re.sub(rf"\b{_MONTHS}\.?\s+\d{{1,2}}(?:,\s*\d{{4}})?", blank, clause)
    clause = re.sub(r"\b\d[\d-]{6,}\d\b|https?://\S+|\(\d{4}\s*-\s*\d{4}\)", blank, clause)
    return clause


def _in_name(clause: str, year: re.Match[str]) -> bool:
    """A year inside a name or a span ("the 2021 high level Forum", "(2022-2026)") is not the figure's period."""
    return bool(re.search(r"\bthe\s+$|\(\s*$", clause[: year.start()]) or clause[year.end() :].startswith("-"))


def _unique(figures: list[Figure]) -> list[Figure]:
    """One record per figure an article states, even when it states it twice."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for fig in figures:
        key = (fig.value, fig.unit, fig.qualifier, fig.indicator or fig.indicator_label, fig.target)
        if key in seen:
            continue
        seen.add(key)
        out.append(fig)
    return out
