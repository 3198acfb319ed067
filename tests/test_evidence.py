"""Every evidence quote is verbatim article text (up to whitespace), and every figure in the articles is encoded."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT
from rdflib import Dataset
from rdflib.namespace import DCTERMS, RDF

from kg.vocab.namespaces import ART, CURATED_GRAPH, QDO

ARTICLES = sorted(p.name for p in (ROOT / "data" / "articles").glob("*.txt"))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def article_text(ds: Dataset, article) -> str:
    return squash((ROOT / str(ds.value(article, QDO.sourceFile))).read_text(encoding="utf-8"))


def test_five_articles_each_in_its_own_graph(ds: Dataset) -> None:
    articles = sorted(ds.subjects(RDF.type, QDO.Article))
    assert [str(a) for a in articles] == [str(ART[f"a00{i}"]) for i in range(5)]
    for a in articles:
        assert (a, RDF.type, QDO.Article) in ds.graph(a), "article metadata lives in the article's own graph"
        assert (ROOT / str(ds.value(a, QDO.sourceFile))).is_file()


def test_shipped_articles_match_the_received_texts() -> None:
    shared = ROOT.parent / "shared" / "articles"
    if not shared.is_dir():
        pytest.skip("no ../shared/articles beside this checkout")
    assert sorted(p.name for p in shared.glob("*.txt")) == ARTICLES
    for name in ARTICLES:
        assert (ROOT / "data" / "articles" / name).read_bytes() == (shared / name).read_bytes()


def test_every_evidence_quote_is_verbatim(ds: Dataset) -> None:
    checked = 0
    for art in ds.subjects(RDF.type, QDO.Article):
        text = article_text(ds, art)
        for node, quote in ds.graph(art).subject_objects(QDO.evidence):
            assert squash(str(quote)) in text, f"{node}: not in {art}: {quote!r}"
            checked += 1
    curated = ds.graph(CURATED_GRAPH)
    for node, quote in curated.subject_objects(QDO.evidence):
        assert squash(str(quote)) in article_text(ds, curated.value(node, DCTERMS.source))
        checked += 1
    assert checked > 250


# Numbers in the articles that are not figures about Qingdao's industry, with the reason.
NOT_FIGURES = {
    "a000": {"2024-03-19": "publication date", "2023": "year of figures"},
    "a001": {
        "2020": "publication date",
        "2019": "year",
        "2018": "base year",
        "6": "date: March 6",
        "16": "date: March 16",
        "26": "date: March 26",
        "7": "date: Apr 7",
        "500 companies": "'world's top 500 companies' names a group, no measurement",
        "6 verticals": "publisher boilerplate",
    },
    "a002": {
        "11": "date: November 11",
        "2022": "dates and plan period",
        "2026": "deadline",
        "22": "date: September 22",
        "0086-532-85911619": "telephone number",
        "1945106": "photo id",
        "1945107": "photo id",
        "1868204": "logo id",
        "5": "part of '5G'",
    },
    "a003": {
        "28": "date: April 28",
        "2021": "year in the forum's name",
        "3": "garbled fragment '3 Turning on computers'",
        "1": "garbled fragment '1 it has released'",
        "2011": "copyright year",
    },
    "a004": {"2020-04-08": "update date", "2019": "year", "2018": "base year"},
}
NUMBER = re.compile(r"\d[\d,.\-]*\d|\d")
WORD_NUMBERS = {"two": 2, "four": 4, "six": 6}


def _numbers(text: str) -> list[str]:
    text = re.sub(r"https?://\S+", " ", text)
    return [m.group(0).rstrip(".,") for m in NUMBER.finditer(text)]


@pytest.mark.parametrize("short_id", [f"a00{i}" for i in range(5)])
def test_every_number_in_the_article_is_encoded_or_explained(ds: Dataset, short_id: str) -> None:
    """A number in the text must appear in some record's value as written, or be listed as not a figure."""
    art = ART[short_id]
    g = ds.graph(art)
    written = " ".join(str(v) for v in g.objects(None, QDO.valueText))
    written += " " + " ".join(str(v) for v in g.objects(None, QDO.dateText))
    written += " " + " ".join(str(v) for v in g.objects(None, QDO.timeframe))
    dates = " ".join(str(v) for v in ds.objects(None, QDO.date))
    text = article_text(ds, art)
    explained = NOT_FIGURES[short_id]
    missing = []
    for number in _numbers(text):
        context = text[text.find(number) : text.find(number) + len(number) + 12]
        if number in explained or any(context.startswith(k) for k in explained):
            continue
        if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", written) or number in dates:
            continue
        missing.append(number)
    assert not missing, f"{short_id}: numbers with no record: {missing}"


def test_figures_keep_units_as_written(ds: Dataset) -> None:
    """'percent' and '%' are qdo:Percent; only 'percentage point(s)' is qdo:PercentagePoint."""
    for f, text in ds.subject_objects(QDO.valueText):
        unit = ds.value(f, QDO.unit)
        if "percentage point" in str(text):
            assert unit == QDO.PercentagePoint, f
        elif "%" in str(text) or "percent" in str(text):
            assert unit == QDO.Percent, f


def test_qualifiers_follow_the_wording(ds: Dataset) -> None:
    words = {
        "more than": QDO.MoreThan,
        "over": QDO.MoreThan,
        "exceed": QDO.MoreThan,
        "nearly": QDO.Nearly,
        "up to": QDO.UpTo,
    }
    for f, text in ds.subject_objects(QDO.valueText):
        expected = {q for w, q in words.items() if w in str(text).lower()}
        actual = set(ds.objects(f, QDO.qualifier))
        if str(ds.value(f, QDO.unit)) == str(QDO.USDollar):
            continue  # "$14.15 billion" inherits "exceeding" from the yuan figure it converts
        assert actual == expected, f"{f}: {text!r} has qualifier {actual}"


def test_article_index_matches_the_graph(ds: Dataset) -> None:
    """data/articles/articles.csv (for people and spreadsheets) says what the article graphs say."""
    import csv

    from rdflib.namespace import SKOS

    with (ROOT / "data" / "articles" / "articles.csv").open(encoding="utf-8", newline="") as f:
        index = list(csv.DictReader(f))
    assert [r["file"] for r in index] == ARTICLES
    for r in index:
        art = ART[r["short_id"]]
        assert str(ds.value(art, DCTERMS.title)) == r["title"]
        assert str(ds.value(art, DCTERMS.date) or "") == r["date"]
        assert str(ds.value(art, DCTERMS.identifier)) == r["id"] == r["file"].removesuffix(".txt")
        publishers = sorted(str(ds.value(p, SKOS.prefLabel)) for p in ds.objects(art, DCTERMS.publisher))
        assert "; ".join(publishers) == r["publisher"]


def test_every_entity_is_used_by_a_source(ds: Dataset) -> None:
    """An entity no article (or curator) says anything about would be an invention of the entities file."""
    from kg.vocab.namespaces import ENTITIES_GRAPH, ONTOLOGY_IRI

    entities = set(ds.graph(ENTITIES_GRAPH).subjects(RDF.type, None))
    used = set()
    for g in ds.graphs():
        if g.identifier not in (ENTITIES_GRAPH, ONTOLOGY_IRI):
            for s, _, o in g:
                used.update((s, o))
    assert not entities - used, sorted(str(e) for e in entities - used)
