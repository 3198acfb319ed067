"""Every saved question states its question and declares its parameters, and kg gives exactly the answer kept
in tests/expected/NAME.tsv — on rdflib, on embedded Oxigraph and on an Oxigraph server, through the API and
the command line. A few checks per question then say, in words, what matters in that answer.

After changing a question or the data: python3 tools/expected_answers.py, and read the diff.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from helpers import EXPECTED, answer_text, assert_same_answer, expected_path, read_answer
from rdflib import Dataset

from kg.dataset.load import load_dataset
from kg.engines.remote import Endpoint
from kg.query.results import rows
from kg.query.saved import parameter_names, parameter_types, saved_queries
from kg.query.sparql import run_query

QUESTIONS = saved_queries()
_UNQUOTE = re.compile(r'^"(.*)"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?$', re.DOTALL)


@pytest.fixture(scope="module")
def ox_ds() -> Dataset:
    return load_dataset(engine="oxigraph")


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120)


def test_every_question_has_its_expected_answer_and_no_file_is_left_over() -> None:
    assert len(QUESTIONS) >= 15
    assert {p.stem for p in EXPECTED.glob("*.tsv")} == set(QUESTIONS)


@pytest.mark.parametrize("saved", QUESTIONS.values(), ids=lambda q: q.name)
def test_saved_query_header(saved) -> None:
    assert saved.question.endswith("?"), "the header states the question in plain English"
    assert saved.expect, "the header says what answer to expect"
    if parameter_names(saved):
        assert saved.parameters, "a query with parameters documents them"
        assert None not in parameter_types(saved).values(), "each parameter declares its type: NAME (IRI)"


@pytest.mark.parametrize("name", QUESTIONS)
def test_answer_on_rdflib(ds: Dataset, name: str) -> None:
    assert_same_answer(name, QUESTIONS[name].text, answer_text(rows(run_query(ds, name))), "rdflib")


@pytest.mark.slow  # a second engine
@pytest.mark.parametrize("name", QUESTIONS)
def test_answer_on_oxigraph(ox_ds: Dataset, name: str) -> None:
    assert_same_answer(name, QUESTIONS[name].text, answer_text(rows(run_query(ox_ds, name, timeout=30))), "oxigraph")


@pytest.mark.slow  # a second engine
@pytest.mark.oxigraph_server
@pytest.mark.parametrize("name", QUESTIONS)
def test_answer_on_an_oxigraph_server(oxigraph: str, name: str) -> None:
    text = QUESTIONS[name].text
    assert_same_answer(name, text, answer_text(rows(Endpoint(oxigraph + "/query").query(text))), "oxigraph server")


@pytest.mark.slow
@pytest.mark.oxigraph_server
@pytest.mark.parametrize("engine", ["rdflib", "oxigraph", "endpoint"])
def test_kg_query_prints_the_expected_answer(oxigraph: str, engine: str) -> None:
    """`kg query NAME --format tsv` prints the file itself, parameters typed as declared (year=2019 is the default)."""
    where = {"rdflib": [], "oxigraph": ["--engine", "oxigraph"], "endpoint": ["--endpoint", oxigraph + "/query"]}
    for name, params in [("cosmoplat-chery-haier", []), ("plan-targets", []), ("figures-by-year", ["year=2019"])]:
        done = _kg("query", name, "--format", "tsv", *where[engine], *(a for p in params for a in ("--param", p)))
        assert done.returncode == 0, done.stderr
        assert_same_answer(name, QUESTIONS[name].text, done.stdout, f"kg query ({engine})")


# --- what matters in each answer ----------------------------------------------------------------------


def table(name: str) -> list[dict[str, str]]:
    """The expected answer as plain values: IRIs and literals' lexical forms, '' where unbound."""
    variables, body = read_answer(expected_path(name).read_text(encoding="utf-8"))
    return [{v: _plain(cell) for v, cell in zip(variables, row, strict=True)} for row in body]


def _plain(cell: str) -> str:
    if cell.startswith("<"):
        return cell[1:-1]
    m = _UNQUOTE.match(cell)
    return m.group(1).replace('\\"', '"').replace("\\\\", "\\") if m else cell


def pairs(result: list[dict[str, str]], *cols: str) -> set[tuple[str, ...]]:
    return {tuple(r[c] for c in cols) for r in result}


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


def check_cosmoplat_chery_haier(_: Dataset) -> None:
    r = table("cosmoplat-chery-haier")
    said = pairs(r, "pair", "subjectLabel", "link", "objectLabel", "source")
    assert ("COSMOPlat – Haier", "COSMOPlat", "built by", "Haier", "curated") in said  # read as the graph states it
    pair = "COSMOPlat (company) – Chery"  # a000's builder "Cosmo-Plat" is the company behind the platform
    hops = {(local(x["subject"]), local(x["object"])) for x in r if x["pair"] == pair}
    assert hops == {("CheryAutoPlatform", "COSMOPlatCompany"), ("CheryAutoPlatform", "Chery")}
    assert {x["via"] for x in r if x["pair"] == pair} == {"https://w3id.org/qingdao-kg/id/CheryAutoPlatform"}
    assert ("COSMOPlat – COSMOPlat (company)", "COSMOPlat", "built by", "COSMOPlat (company)", "curated") in said
    named = {local(x[c]) for x in r for c in ("subject", "object")}
    assert {"COSMOPlat", "COSMOPlatCompany", "Chery", "Haier"} <= named  # linked through the rows' IRIs


def check_cluster_members(_: Dataset) -> None:
    r = table("cluster-members")
    assert pairs(r, "clusterLabel", "enterpriseLabel", "source") == {
        ("Qingdao smart home appliances cluster", "Haier", "curated"),
        ("Qingdao smart home appliances cluster", "Hisense", "curated"),
        ("Qingdao smart home appliances cluster", "Aucma", "curated"),
        ("Qingdao rail transportation equipment cluster", "CRRC Sifang", "curated"),
    }
    assert all(x["why"] for x in r)


def check_plan_targets(_: Dataset) -> None:
    r = table("plan-targets")
    got = pairs(r, "valueText", "value", "unit", "qualifier", "deadline", "timeframe", "source")
    assert ("more than 30%", "30", "percent", "more than", "2026", "", "a002") in got
    assert ("62%", "62", "percent", "", "2026", "", "a002") in got  # a value in canonical form on every engine
    assert ("12%", "12", "percent", "", "2026", "", "a002") in got  # the deadline is curated; no timeframe is written
    assert ("50%", "50", "percent", "", "2026", "", "a002") in got
    assert (
        "more than 1.2 billion yuan",
        "1200000000",
        "yuan",
        "more than",
        "",
        "in the next three years",
        "a002",
    ) in got
    assert ("500 billion Yuan", "500000000000", "yuan", "", "", "in four years", "a001") in got
    assert ("15", "15", "count", "", "", "", "a003") in got
    assert ("more than 1000", "1000", "count", "more than", "", "", "a003") in got
    assert len(r) == 8


def check_figure_sources(_: Dataset) -> None:
    r = table("figure-sources")
    sources: dict[tuple[str, str], set[str]] = {}
    for x in r:
        sources.setdefault((x["value"], x["unit"]), set()).add(x["source"])
        assert x["articles"] == "2"
    assert sources == {
        ("31.8", "percent"): {"a001", "a004"},
        ("30", "percent"): {"a001", "a004"},
        ("26.5", "percent"): {"a001", "a004"},
        ("26.8", "percent"): {"a001", "a004"},
        ("29.7", "percent"): {"a001", "a004"},
        ("2", "count"): {"a000", "a003"},
    }


def check_figure_conflicts(_: Dataset) -> None:
    r = table("figure-conflicts")
    assert pairs(r, "sourceA", "statedA", "sourceB", "statedB") == {("a001", "3.1%", "a004", "3.1 percentage points")}


def check_events_timeline(_: Dataset) -> None:
    r = table("events-timeline")
    dated = [x["date"] for x in r if x["date"]]
    assert dated == ["2020-03-06", "2020-03-16", "2020-03-26", "2021-04-28", "2022-09-22"]
    assert [x["dateAsWritten"] for x in r if not x["date"]] == ["at the end of November", "At the end of September"]


def check_people_posts(_: Dataset) -> None:
    r = table("people-posts")
    assert pairs(r, "personLabel", "postLabel", "asOf", "source") == {
        ("Wang Qingxian", "Secretary of Municipal Party Committee", "2020-03-16", "a001"),
        ("Wang Qingxian", "member of the Standing Committee of CPC Provincial Committee", "2020-03-16", "a001"),
        ("Zhao Haozhi", "deputy secretary", "2021-04-28", "a003"),
        ("Zhao Haozhi", "mayor", "2021-04-28", "a003"),
        ("Zhu Yiling", "Contact", "2022-11-11", "a002"),
    }
    assert len({x["post"] for x in r}) == 5  # each post is a record of its own


def check_recognitions(_: Dataset) -> None:
    got = pairs(table("recognitions"), "recognitionLabel", "holderLabel", "source")
    assert ("Global lighthouse factory", "Haier Qingdao Washing Machine Interconnected Factory", "a000") in got
    assert ("Global lighthouse factory", "Haier central air conditioning factory", "a003") in got
    assert ("National cross-industry and cross-field industrial internet platform", "COSMOPlat", "a002") in got
    assert len({x for x in got if x[0].startswith("National-level advanced")}) == 4


def check_platform_builders(_: Dataset) -> None:
    r = table("platform-builders")
    assert pairs(r, "builderLabel", "source") == {
        ("COSMOPlat (company)", "a000"),  # Chery's platform: "jointly built by Cosmo-Plat and Chery"
        ("Chery", "a000"),
        ("Haier", "curated"),
        ("COSMOPlat (company)", "curated"),  # the platform COSMOPlat, built by the company behind it
        ("National Industrial Internet Big Data Shandong Branch", "curated"),
    }
    assert all(x["basis"] for x in r)


def check_entity_aliases(ds: Dataset) -> None:
    aliases = {x["alias"] for x in table("entity-aliases")}
    assert {"Haier Kaos", "helcaos", "Haier platform"} <= aliases  # identifications, curated with a rationale
    assert "Cosmo-Plat" not in aliases  # a000's builder: the company behind the platform
    tsingtao = kg_rows(ds, "entity-aliases", entity="Tsingtao beer")  # a name, resolved like the CLI does
    assert {x["entityLabel"] for x in tsingtao} == {"Tsingtao Brewery"}


def check_entity_evidence(ds: Dataset) -> None:
    r = table("entity-evidence")
    assert {x["source"] for x in r} == {"a000"} and len(r) >= 4
    haier = kg_rows(ds, "entity-evidence", entity="Haier")
    assert {"a000", "a001", "a003"} <= {x["source"] for x in haier}


def check_leading_enterprises(_: Dataset) -> None:
    counts = {x["enterpriseLabel"]: int(x["articles"]) for x in table("leading-enterprises")}
    assert counts["Haier"] == 3 and counts["Hisense"] == 3 and counts["Tsingtao Brewery"] == 2
    assert counts["CRRC Sifang"] == 1 and counts["GoerTek"] == 1


def check_articles(_: Dataset) -> None:
    r = table("articles")
    assert [(x["source"], x["date"]) for x in r] == [
        ("a000", "2024-03-19"),
        ("a001", "2020-04-07"),
        ("a002", "2022-11-11"),
        ("a003", ""),
        ("a004", "2020-04-08"),
    ]
    assert all(int(x["facts"]) > 30 for x in r)


def check_curated_inferences(_: Dataset) -> None:
    r = table("curated-inferences")
    assert len(r) >= 40 and all(x["rationale"] for x in r)
    assert ("COSMOPlat", "built by", "Haier") in pairs(r, "subjectLabel", "propertyLabel", "objectLabel")


def check_qualified_figures(_: Dataset) -> None:
    got = pairs(table("qualified-figures"), "qualifier", "valueText", "source")
    assert ("nearly", "nearly 300", "a001") in got
    assert ("up to", "up to 100 million Yuan", "a001") in got
    assert ("more than", "over 390 billion Yuan", "a001") in got
    assert ("more than", "more than 80", "a000") in got


def check_figures_by_year(ds: Dataset) -> None:
    got = pairs(table("figures-by-year"), "valueText", "source", "yearFrom")
    assert ("31.8 percent", "a004", "article") in got and ("30%", "a001", "curated") in got
    assert ("0.6 percent (derived)", "curated", "curated") in got
    assert len(kg_rows(ds, "figures-by-year", year=2023)) == 4  # a bare year, typed as the declared xsd:gYear


def check_enterprise_industries(_: Dataset) -> None:
    got = pairs(table("enterprise-industries"), "enterpriseLabel", "industryLabel", "source")
    assert ("Haier", "home appliances", "curated") in got
    assert ("Huawei", "artificial intelligence", "a001") in got
    assert ("Hisense", "TV", "a000") in got  # "Hisense Group's TV shipments"
    assert len(got) == 14


def check_money_figures(_: Dataset) -> None:
    r = table("money-figures")
    assert r[0]["valueText"] == "500 billion Yuan"
    assert ("$14.15 billion", "US dollar") in pairs(r, "valueText", "unit")


def check_ai_community(_: Dataset) -> None:
    r = table("ai-community")
    assert pairs(r, "memberLabel", "role") == {
        *((m, "global AI leader") for m in ("Huawei", "iFlytek", "SenseTime", "MEGVII", "Hikvision")),
        *((m, "local industry leader") for m in ("Haier", "Hisense", "GoerTek")),
    }


def kg_rows(ds: Dataset, name: str, **params: object) -> list[dict[str, str]]:
    """A saved question's answer through the API, parameters given by keyword, as plain values."""
    data = rows(run_query(ds, name, **params))
    return [{v: "" if t is None else str(t) for v, t in zip(data.variables, r, strict=True)} for r in data.rows]


CHECKS: dict[str, Callable[[Dataset], None]] = {
    name.removeprefix("check_").replace("_", "-"): fn for name, fn in globals().items() if name.startswith("check_")
}


def test_every_question_has_its_checks() -> None:
    assert set(CHECKS) == set(QUESTIONS), f"unchecked: {set(QUESTIONS) - set(CHECKS)}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_what_matters_in_the_answer(ds: Dataset, name: str) -> None:
    CHECKS[name](ds)
