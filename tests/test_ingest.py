"""`kg ingest`: reading an article, drafting its figures, entities and relations, the draft's files and options,
and the leave-one-out round trip (ingest a curated article with the vocabulary of the others, accept all, validate).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg.dataset.paths import project_root
from kg.ingest.figures import FigureReader
from kg.ingest.mentions import Linker
from kg.ingest.pipeline import draft_article, write_draft
from kg.ingest.text import read_text
from kg.ingest.vocabulary import Vocabulary
from kg.vocab.namespaces import ENTITIES_GRAPH, QDO, article_iri

ROOT = project_root()
ARTICLES = ROOT / "data" / "articles"


@pytest.fixture(scope="module")
def vocabulary(ds: Dataset) -> Vocabulary:
    return Vocabulary.from_dataset(ds)


def _article(name: str) -> str:
    return next(ARTICLES.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def test_hard_wrapped_text_is_joined_and_its_header_read() -> None:
    text = read_text(_article("002"))
    assert text.title is not None and text.title.startswith("Qingdao has Built Itself into a Pioneer City")
    assert text.date == date(2022, 11, 11)
    first = text.sentences[0].text
    assert first.startswith("According to Qingdao's") and "Modern Industries (2022-2026)" in first


def test_an_undated_article_has_no_date_and_keeps_its_title() -> None:
    text = read_text(_article("003"))
    assert text.date is None
    assert text.title == "The most popular 1300 scenarios Qingdao accelerate"


def test_every_sentence_is_verbatim_up_to_whitespace() -> None:
    for path in sorted(ARTICLES.glob("*.txt")):
        raw = " ".join(path.read_text(encoding="utf-8").split())
        for sentence in read_text(path.read_text(encoding="utf-8")).sentences:
            assert " ".join(sentence.text.split()) in raw, (path.name, sentence.text)


def _figures(vocabulary: Vocabulary, body: str, published: date | None = None) -> list:
    text = read_text(f"A title\n\n{body}\n")
    return FigureReader(vocabulary).read(text, Linker(vocabulary).link(text), published)


def test_figures_keep_unit_scale_qualifier_and_period(vocabulary: Vocabulary) -> None:
    figs = _figures(
        vocabulary,
        "In 2019, the share rose to 31.8 percent, an increase of 3.1 percentage points over 2018. "
        "Projects attracted investments exceeding 100 billion yuan ($14.15 billion). "
        "So far, nearly 300 projects have been signed online.",
    )
    got = {(f.value_text, f.value, str(f.unit).split("#")[1], str(f.qualifier).split("#")[-1]) for f in figs}
    assert ("31.8 percent", Decimal("31.8"), "Percent", "None") in got
    assert ("3.1 percentage points", Decimal("3.1"), "PercentagePoint", "None") in got
    assert ("exceeding 100 billion yuan", Decimal("100000000000"), "Yuan", "MoreThan") in got
    assert ("$14.15 billion", Decimal("14150000000.00"), "USDollar", "None") in got
    assert ("nearly 300", Decimal("300"), "Count", "Nearly") in got
    change = next(f for f in figs if f.value_text == "3.1 percentage points")
    assert (change.year, change.compared_year) == ("2019", "2018")
    dollars = next(f for f in figs if f.unit == QDO.USDollar)
    assert dollars.converted_from is not None and dollars.converted_from.unit == QDO.Yuan
    assert next(f for f in figs if f.value_text == "nearly 300").period_text == "So far"


def test_targets_get_deadline_or_timeframe_and_word_numbers_are_read(vocabulary: Vocabulary) -> None:
    figs = _figures(
        vocabulary,
        "The city strives to raise the share to more than 30% by 2026. "
        "The finances will allocate up to 1.2 billion yuan in the next three years. "
        "Growth was four percentage points higher than last year.",
        date(2022, 11, 11),
    )
    by_text = {f.value_text: f for f in figs}
    assert by_text["more than 30%"].target and by_text["more than 30%"].deadline == "2026"
    assert by_text["up to 1.2 billion yuan"].timeframe == "in the next three years"
    assert by_text["up to 1.2 billion yuan"].qualifier == QDO.UpTo
    four = by_text["four percentage points"]
    assert (four.value, four.unit, four.target) == (Decimal(4), QDO.PercentagePoint, False)


def test_garbled_names_link_to_known_entities(vocabulary: Vocabulary) -> None:
    text = read_text("A title\n\nThe speech by zhaohaozhi praised Iflytek Co and Sensetime.\n")
    linked = {m.iri for m in Linker(vocabulary).link(text)}
    assert {URIRef(f"https://w3id.org/qingdao-kg/id/{n}") for n in ("ZhaoHaozhi", "iFlytek", "SenseTime")} <= linked


def test_unknown_names_are_proposed_with_a_class(vocabulary: Vocabulary) -> None:
    text = read_text(
        "A title\n\nOn May 3, the Yellow Sea Robotics Forum was held in Qingdao. "
        'The "Several Measures on Marine Robot Industry Development" were released at the forum. '
        "Li Wei, director of the Qingdao Ocean Bureau, spoke.\n"
    )
    new = {m.label: m.cls for m in Linker(vocabulary).link(text) if m.new}
    assert new.get("Yellow Sea Robotics Forum") == QDO.Forum
    assert new.get("Several Measures on Marine Robot Industry Development") == QDO.Policy
    assert new.get("Li Wei") == QDO.Person
    assert new.get("Qingdao Ocean Bureau") == QDO.GovernmentBody


def test_enumerations_propose_their_unknown_items_with_their_siblings_class(vocabulary: Vocabulary) -> None:
    text = read_text(
        "A title\n\nQingdao has gathered leading enterprises such as Haier, Hisense, Bluewave, Seastar and "
        "Kelpco, in the fields of home appliances.\n"
    )
    new = {m.label: m.cls for m in Linker(vocabulary).link(text) if m.new}
    assert {new.get(n) for n in ("Bluewave", "Seastar", "Kelpco")} == {QDO.Enterprise}


def test_a_headless_list_takes_the_class_its_sentence_names(vocabulary: Vocabulary) -> None:
    text = read_text(
        "A title\n\nMarine robots, tidal power, deep-sea mining and blue biomedicine have been listed as key "
        "industries of the coast.\n"
    )
    new = {m.label: m.cls for m in Linker(vocabulary).link(text) if m.new}
    assert new.get("Tidal power") == QDO.Industry and new.get("Marine robots") == QDO.Industry


def test_descriptive_names_credits_and_sources_are_proposed(vocabulary: Vocabulary) -> None:
    text = read_text(
        "A title\n\nThe city will support the construction of Qingdao marine robotics industrial park. "
        "[Photo/Harbour Herald]\n\nSource: Ocean Desk\n"
    )
    new = {m.label: m.cls for m in Linker(vocabulary).link(text) if m.new}
    assert new.get("Qingdao marine robotics industrial park") == QDO.IndustrialPark
    assert new.get("Harbour Herald") == QDO.MediaOrganization
    assert new.get("Ocean Desk") == QDO.MediaOrganization


def test_dates_without_a_year_are_read_by_the_curators_from_the_article_date(ds: Dataset) -> None:
    vocabulary = Vocabulary.from_dataset(ds)
    raw = "Expo news\n\nUpdated : 2024-05-06\n\nOn April 12, the 2024 East Asia Ocean Expo was held in Qingdao.\n"
    draft = draft_article(raw, vocabulary, "a005", prune=False)
    readings = {str(o) for o in draft.graphs.curated.objects(None, QDO.date)}
    assert readings == {"2024-04-12"}
    assert any("On April 12" in str(r) for r in draft.graphs.curated.objects(None, QDO.rationale))


@pytest.mark.slow
def test_rules_name_no_entity_from_the_data(ds: Dataset) -> None:
    """The gazetteer comes from the graph: no string in kg/ingest's code is the name of an entity in the data."""
    names = {
        str(label).casefold()
        for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
        for label in ds.graph(ENTITIES_GRAPH).objects(None, prop)
        if len(str(label)) >= 4
    }
    offending = []
    for path in sorted((ROOT / "kg" / "ingest").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value.casefold()
                offending += [(path.name, n) for n in names if re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", value)]
    assert not offending


# --- drafts on disk, the CLI and validation ------------------------------------------------------------------------

NEW_ARTICLE = """Qingdao sets out plan for marine economy

Updated : 2024-05-01

According to the "Qingdao Marine Economy Action Plan (2024-2027)", Qingdao strives to raise the added value of \
the marine economy to more than 600 billion yuan by 2027.

Last year, Qingdao's marine industries grew by 7.2 percent, 1.5 percentage points higher than the city's GDP \
growth. Qingdao has gathered leading enterprises such as Haier, Hisense and Sailun.

Li Ming, deputy secretary of the CPC Qingdao Municipal Committee, attended the 2024 East Asia Ocean Expo and \
delivered a speech.
"""


def _run(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """The real `kg` command in its own process, on a copy of the project."""
    env = {**os.environ, "KG_ROOT": str(project), "KG_CACHE_DIR": str(project / ".cache")}
    done = subprocess.run(["kg", *args], capture_output=True, text=True, env=env, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_ingest_writes_a_draft_that_validates_and_is_loaded_only_on_request(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    article = tmp_path / "marine.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    code, out = _run(project_copy, monkeypatch, "ingest", str(article))
    assert code == 0, out
    assert "Drafted a005" in out and "kg review a005" in out
    drafts = project_copy / "data" / "drafts"
    assert sorted(p.name for p in drafts.iterdir()) == ["a005.curated.ttl", "a005.entities.ttl", "a005.ttl", "a005.txt"]
    draft = Graph().parse(drafts / "a005.ttl")
    targets = set(draft.subjects(RDF.type, QDO.Target))
    assert targets and all((t, QDO.draftRule, None) in draft and (t, QDO.confidence, None) in draft for t in targets)
    assert (None, QDO.proposes, None) in draft
    curated = Graph().parse(drafts / "a005.curated.ttl")
    assert any("read as 2023" in str(r) for r in curated.objects(None, QDO.rationale))  # "Last year" of 2024
    code, out = _run(project_copy, monkeypatch, "validate", "--drafts", "--no-reasoner")
    assert code == 0, out
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/qingdao-kg/id/article/a005> { ?s ?p ?o } }"
    code, out = _run(project_copy, monkeypatch, "query", query, "--format", "csv")
    assert code == 0 and out.split() == ["n", "0"], out
    code, out = _run(project_copy, monkeypatch, "query", "--with-drafts", query, "--format", "csv")
    assert code == 0 and int(out.split()[1]) > 50, out
    code, out = _run(project_copy, monkeypatch, "ingest", str(article), "--id", "a005")
    assert code == 2 and "already exists" in out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"\xff\xfe\x00bad", (), "not UTF-8"),
        (b"   \n", (), "empty"),
        (NEW_ARTICLE.encode(), ("--id", "../../etc/passwd"), "not an article id"),
        (NEW_ARTICLE.encode(), ("--id", "a1"), "not an article id"),
        (NEW_ARTICLE.encode(), ("--date", "2024-13-45"), "not a date"),
        (NEW_ARTICLE.encode(), ("--id", "a004"), "already an article"),
        (b"x" * 2_000_001, (), "is not one article"),
    ],
    ids=["not-utf8", "empty", "id-path", "id-short", "bad-date", "id-taken", "too-big"],
)
def test_ingest_refuses_bad_input_clearly(
    project_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    content: bytes,
    args: tuple[str, ...],
    message: str,
) -> None:
    article = tmp_path / "in.txt"
    article.write_bytes(content)
    code, out = _run(project_copy, monkeypatch, "ingest", str(article), *args)
    assert code == 2 and message in out, out
    assert "Traceback" not in out
    assert not (project_copy / "data" / "drafts" / "a004.ttl").exists()


@pytest.mark.slow
def test_ingest_shows_control_characters_escaped(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    article = tmp_path / "evil.txt"
    article.write_text("Evil \x1b[31mred\x1b[0m title\n\n" + NEW_ARTICLE.split("\n", 1)[1], encoding="utf-8")
    code, out = _run(project_copy, monkeypatch, "ingest", str(article), "--id", "a009")
    assert code == 0, out
    assert "\x1b" not in out


@pytest.mark.slow
def test_a_broken_draft_is_named_with_its_line_and_the_shipped_graph_is_untouched(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    article = tmp_path / "marine.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    assert _run(project_copy, monkeypatch, "ingest", str(article))[0] == 0
    draft = project_copy / "data" / "drafts" / "a005.ttl"
    lines = draft.read_text(encoding="utf-8").count("\n")
    draft.write_text(draft.read_text(encoding="utf-8") + 'qd:broken qdo:x "unterminated .\n', encoding="utf-8")
    code, out = _run(project_copy, monkeypatch, "validate", "--drafts", "--no-reasoner")
    assert code == 1 and f"a005.ttl:{lines + 1}:" in out, out
    code, out = _run(project_copy, monkeypatch, "query", "--with-drafts", "ASK {}")
    assert code == 2 and "a005.ttl" in out and "Traceback" not in out, out
    code, out = _run(project_copy, monkeypatch, "validate", "--no-reasoner")
    assert code == 0, out


@pytest.mark.slow
def test_drafts_and_an_on_disk_store_are_refused_together(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out = _run(project_copy, monkeypatch, "query", "--with-drafts", "--store", str(tmp_path / "s"), "ASK {}")
    assert code == 2 and "cannot be combined with an on-disk store" in out, out
    assert "Traceback" not in out and not (tmp_path / "s").exists()


@pytest.mark.slow
def test_draft_marks_are_refused_in_accepted_data(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a004 = project_copy / "data" / "triples" / "a004.ttl"
    a004.write_text(a004.read_text(encoding="utf-8") + '\nqd:a004-s01 qdo:draftRule "relation:x" .\n', encoding="utf-8")
    code, out = _run(project_copy, monkeypatch, "validate", "--no-reasoner")
    assert code == 1 and "[drafts] qd:a004-s01" in out, out


@pytest.mark.slow
def test_leave_one_out_round_trip_accepts_and_validates(
    ds: Dataset, project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Draft a004 as a new article a005 with the vocabulary of the other four, accept every item, publish: the
    graph with the new article validates."""
    vocabulary = Vocabulary.from_dataset(ds, exclude=article_iri("a004"))
    draft = draft_article(_article("004"), vocabulary, "a005", root=project_copy)
    assert not draft.dropped, draft.dropped
    assert draft.seconds < 30  # a sanity bound only; benchmarks/ingest_eval.py measures
    write_draft(draft, project_copy)
    code, out = _run(project_copy, monkeypatch, "review", "a005", "--accept-all", "--publish")
    assert code == 0, out
    assert (project_copy / "data" / "triples" / "a005.ttl").is_file()
    assert not list((project_copy / "data" / "drafts").glob("a005*"))
    code, out = _run(project_copy, monkeypatch, "validate", "--no-reasoner")
    assert code == 0, out
    published = Graph().parse(project_copy / "data" / "triples" / "a005.ttl")
    assert (None, QDO.draftRule, None) not in published
    assert len(set(published.subjects(RDF.type, QDO.Observation))) == 11


@pytest.mark.slow
def test_leave_one_out_figures_stay_above_the_goal(ds: Dataset) -> None:
    from kg.ingest.evaluate import leave_one_out

    result = leave_one_out(ds, "a004")
    assert result.figures.f1 >= 0.85
    assert result.evidence_covered == result.evidence_checked


@pytest.mark.slow
def test_ingest_copies_nothing_outside_drafts(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(p.relative_to(project_copy) for p in project_copy.rglob("*") if p.is_file())
    code, _ = _run(project_copy, monkeypatch, "ingest", str(project_copy / "missing.txt"))
    assert code == 2
    after = sorted(
        p.relative_to(project_copy) for p in project_copy.rglob("*") if p.is_file() and ".cache" not in p.parts
    )
    assert after == [p for p in before if ".cache" not in p.parts]
    shutil.rmtree(project_copy / ".cache", ignore_errors=True)
