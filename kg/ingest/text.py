"""An article's text → its title, printed date, paragraphs and sentences, each with its place in the text.

Offsets point into ``Text.body``: the article with hard line wraps joined, so that a quote taken from it is
the article's own words (checks compare quotes with the file up to whitespace). Sentences come from pysbd's
rule-based segmenter, run paragraph by paragraph: a paragraph ends a sentence even without a full stop, as
machine-translated articles often do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import pysbd  # type: ignore[import-untyped]
from dateutil import parser as dateparser

#: Dates as articles print them under the title or in a dateline: 2024-03-19, Apr 7, 2020, November 11, 2022.
_PRINTED_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4})\b"
)
#: A header line is short; body paragraphs are longer than this many words.
_HEADER_WORDS = 25
_HEADER_LINES = 8
#: Lines longer than this are not hard-wrapped (a title or an unwrapped paragraph).
_MAX_WRAP = 100


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text, where it starts and ends in the body, and its paragraph's index."""

    text: str
    start: int
    end: int
    paragraph: int


@dataclass
class Text:
    """An article read for ingestion."""

    raw: str
    body: str
    title: str | None
    date: date | None
    date_line: str | None
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def paragraph_text(self, index: int) -> str:
        start, end = self.paragraphs[index]
        return self.body[start:end]


def _lines(raw: str) -> list[str]:
    return [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _hard_wrapped(lines: list[str]) -> int | None:
    """The wrap width when most long lines end near one width (a press release wrapped at ~80 columns)."""
    lengths = [len(line) for line in lines if len(line.split()) > 3 and len(line) <= _MAX_WRAP]
    if len(lengths) < 5:
        return None
    width = max(lengths)
    near = sum(1 for n in lengths if n >= 0.8 * width)
    return width if near >= 0.6 * len(lengths) else None


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs, except in a hard-wrapped text, where a line is continued unless it is
    short (the paragraph's last line)."""
    width = _hard_wrapped(lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if width is None and current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
        if width is not None and not 0.75 * width <= len(line) <= _MAX_WRAP:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def paragraphs_of(raw: str) -> list[str]:
    """Every paragraph of an article, its header lines included, with hard line wraps joined."""
    return _paragraphs(_lines(raw))


def _parse_date(text: str) -> date | None:
    try:
        return dateparser.parse(text).date()
    except (ValueError, OverflowError):
        return None


def _header(paragraphs: list[str]) -> tuple[int, str | None, date | None, str | None]:
    """How many leading paragraphs are header (title, section, byline, date), the title and the printed date.

    The header ends after the printed date, or, with none, before the first long paragraph. The title is its
    longest line: section headings and bylines are short.
    """
    end, found, line_with_date = 0, None, None
    for i, para in enumerate(paragraphs[:_HEADER_LINES]):
        if len(para.split()) > _HEADER_WORDS * 2:
            break
        m = _PRINTED_DATE.search(para)
        if m and (parsed := _parse_date(m.group(1))):
            end, found, line_with_date = i + 1, parsed, para
            break
    if found is None:
        end = next((i for i, p in enumerate(paragraphs) if len(p.split()) > _HEADER_WORDS), min(1, len(paragraphs)))
    candidates = [p for p in paragraphs[:end] if p is not line_with_date and re.search(r"[A-Za-z]{3}", p)]
    title = max(candidates, key=len) if candidates else None
    return end, title, found, line_with_date


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def read_text(raw: str) -> Text:
    """Read an article: join hard wraps, find the header, split the body into paragraphs and sentences."""
    paragraphs = _paragraphs(_lines(raw))
    skip, title, printed, date_line = _header(paragraphs)
    text = Text(raw=raw, body="", title=title, date=printed, date_line=date_line)
    pieces: list[str] = []
    offset = 0
    for para in paragraphs[skip:]:
        start = offset
        pieces.append(para)
        offset += len(para)
        text.paragraphs.append((start, offset))
        for span in _segmenter().segment(para):
            sentence = span.sent.strip()
            if sentence:
                lead = len(span.sent) - len(span.sent.lstrip())
                s = start + span.start + lead
                text.sentences.append(Sentence(sentence, s, s + len(sentence), len(text.paragraphs) - 1))
        pieces.append("\n\n")
        offset += 2
    text.body = "".join(pieces)
    return text
