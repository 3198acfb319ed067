"""Every saved competency question states its question and returns its expected answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rdflib import Dataset, Literal
from rdflib.namespace import XSD

from kg.query import run_query
from kg.resolve import resolve_entity
from kg.results import rows
from kg.saved import parameter_names, saved_queries


def answer(ds: Dataset, name: str, **params) -> list[dict[str, str]]:
    saved = {q.name: q for q in saved_queries()}[name]
    bindings = {f"{k}_param": v for k, v in params.items()}
    data = rows(run_query(ds, saved.text, bindings))
    return [{v: _text(t) for v, t in zip(data.variables, r, strict=True)} for r in data.rows]


def _text(term: object) -> str:
    """A term as the checks read it; decimals by value (30.0 and 30 are one number, and Oxigraph writes 30)."""
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype == XSD.decimal:
        return format(term.toPython().normalize(), "f")
    return str(term)


def pairs(result: list[dict[str, str]], *cols: str) -> set[tuple[str, ...]]:
    return {tuple(r[c] for c in cols) for r in result}


def check_cosmoplat_chery_haier(ds: Dataset) -> None:
    r = answer(ds, "cosmoplat-chery-haier")
    direct = {(x["from"].rsplit("/", 1)[1], x["link"], x["to"].rsplit("/", 1)[1], x["source"]) for x in r}
    assert ("COSMOPlat", "built by", "Haier", "curated") in direct
    via = {(x["from"].rsplit("/", 1)[1], x["to"].rsplit("/", 1)[1], x["source"]) for x in r if x["via"]}
    assert ("COSMOPlat", "Chery", "a000 + a000") in via and ("Chery", "COSMOPlat", "a000 + a000") in via


def check_cluster_members(ds: Dataset) -> None:
    r = answer(ds, "cluster-members")
    assert pairs(r, "cluster", "enterprise", "source") == {
        ("Qingdao smart home appliances cluster", "Haier", "curated"),
        ("Qingdao smart home appliances cluster", "Hisense", "curated"),
        ("Qingdao smart home appliances cluster", "Aucma", "curated"),
        ("Qingdao rail transportation equipment cluster", "CRRC Sifang", "curated"),
    }
    assert all(x["why"] for x in r)


def check_plan_targets(ds: Dataset) -> None:
    r = answer(ds, "plan-targets")
    got = pairs(r, "valueText", "unit", "qualifier", "deadline", "timeframe", "source")
    assert ("more than 30%", "percent", "more than", "2026", "", "a002") in got
    assert ("62%", "percent", "", "2026", "", "a002") in got
    assert ("12%", "percent", "", "2026", "2022-2026", "a002") in got  # deadline curated, timeframe as written
    assert ("50%", "percent", "", "2026", "2022-2026", "a002") in got
    assert ("more than 1.2 billion yuan", "yuan", "more than", "", "in the next three years", "a002") in got
    assert ("500 billion Yuan", "yuan", "", "", "in four years", "a001") in got
    assert ("15", "count", "", "", "", "a003") in got
    assert ("more than 1000", "count", "more than", "", "", "a003") in got
    assert len(r) == 8


def check_figure_sources(ds: Dataset) -> None:
    r = answer(ds, "figure-sources")
    got = {(x["value"], x["unit"], x["sources"].replace(" ", "")) for x in r}
    normalised = {(v, u, ",".join(sorted(s.split(",")))) for v, u, s in got}
    assert normalised == {
        ("31.8", "percent", "a001,a004"),
        ("30", "percent", "a001,a004"),
        ("26.5", "percent", "a001,a004"),
        ("26.8", "percent", "a001,a004"),
        ("29.7", "percent", "a001,a004"),
        ("2", "count", "a000,a003"),
    }


def check_figure_conflicts(ds: Dataset) -> None:
    r = answer(ds, "figure-conflicts")
    assert pairs(r, "sourceA", "statedA", "sourceB", "statedB") == {("a001", "3.1%", "a004", "3.1 percentage points")}


def check_events_timeline(ds: Dataset) -> None:
    r = answer(ds, "events-timeline")
    dated = [x["date"] for x in r if x["date"]]
    assert dated == ["2020-03-06", "2020-03-16", "2020-03-26", "2021-04-28", "2022-09-22"]
    assert [x["dateAsWritten"] for x in r if not x["date"]] == ["at the end of November", "At the end of September"]


def check_people_posts(ds: Dataset) -> None:
    r = answer(ds, "people-posts")
    assert pairs(r, "person", "post", "asOf", "source") == {
        ("Wang Qingxian", "Secretary of Municipal Party Committee", "2020-03-16", "a001"),
        ("Wang Qingxian", "member of the Standing Committee of CPC Provincial Committee", "2020-03-16", "a001"),
        ("Zhao Haozhi", "deputy secretary", "2021-04-28", "a003"),
        ("Zhao Haozhi", "mayor", "2021-04-28", "a003"),
        ("Zhu Yiling", "Contact", "2022-11-11", "a002"),
    }


def check_recognitions(ds: Dataset) -> None:
    r = answer(ds, "recognitions")
    got = pairs(r, "recognition", "holder", "source")
    assert ("Global lighthouse factory", "Haier Qingdao Washing Machine Interconnected Factory", "a000") in got
    assert ("Global lighthouse factory", "Haier central air conditioning factory", "a003") in got
    assert ("National cross-industry and cross-field industrial internet platform", "COSMOPlat", "a002") in got
    assert len({x for x in got if x[0].startswith("National-level advanced")}) == 4


def check_platform_builders(ds: Dataset) -> None:
    r = answer(ds, "platform-builders")
    got = {(x["builder"], x["source"]) for x in r}
    assert got == {
        ("COSMOPlat", "a000"),
        ("Chery", "a000"),
        ("Haier", "curated"),
        ("National Industrial Internet Big Data Center Shandong Branch", "curated"),
    }
    assert all(x["basis"] for x in r)


def check_entity_aliases(ds: Dataset) -> None:
    aliases = {x["alias"] for x in answer(ds, "entity-aliases")}
    assert {"Cosmo-Plat", "Haier Kaos", "helcaos", "Haier platform"} <= aliases
    tsingtao = resolve_entity(ds, "Tsingtao beer")
    assert {x["preferred"] for x in answer(ds, "entity-aliases", entity=tsingtao)} == {"Tsingtao Brewery"}


def check_entity_evidence(ds: Dataset) -> None:
    r = answer(ds, "entity-evidence")
    assert {x["source"] for x in r} == {"a000"} and len(r) >= 4
    haier = answer(ds, "entity-evidence", entity=resolve_entity(ds, "Haier"))
    assert {"a000", "a001", "a003"} <= {x["source"] for x in haier}


def check_leading_enterprises(ds: Dataset) -> None:
    r = answer(ds, "leading-enterprises")
    counts = {x["enterprise"]: int(x["articles"]) for x in r}
    assert counts["Haier"] == 3 and counts["Hisense"] == 3 and counts["Tsingtao Brewery"] == 2
    assert counts["CRRC Sifang"] == 1 and counts["GoerTek"] == 1


def check_articles(ds: Dataset) -> None:
    r = answer(ds, "articles")
    assert [(x["source"], x["date"]) for x in r] == [
        ("a000", "2024-03-19"),
        ("a001", "2020-04-07"),
        ("a002", "2022-11-11"),
        ("a003", ""),
        ("a004", "2020-04-08"),
    ]


def check_curated_inferences(ds: Dataset) -> None:
    r = answer(ds, "curated-inferences")
    assert len(r) >= 40 and all(x["rationale"] for x in r)
    assert ("COSMOPlat", "built by", "Haier") in pairs(r, "subject", "property", "object")


def check_qualified_figures(ds: Dataset) -> None:
    r = answer(ds, "qualified-figures")
    got = pairs(r, "qualifier", "valueText", "source")
    assert ("nearly", "nearly 300", "a001") in got
    assert ("up to", "up to 100 million Yuan", "a001") in got
    assert ("more than", "over 390 billion Yuan", "a001") in got
    assert ("more than", "more than 80", "a000") in got


def check_figures_by_year(ds: Dataset) -> None:
    r = answer(ds, "figures-by-year")
    got = pairs(r, "valueText", "source", "yearFrom")
    assert ("31.8 percent", "a004", "article") in got and ("30%", "a001", "curated") in got
    assert ("0.6 percent (derived)", "curated", "curated") in got


def check_enterprise_industries(ds: Dataset) -> None:
    r = answer(ds, "enterprise-industries")
    got = pairs(r, "enterprise", "industry", "source")
    assert ("Haier", "home appliances", "curated") in got
    assert ("Huawei", "artificial intelligence", "a001") in got
    assert len(got) == 13


def check_money_figures(ds: Dataset) -> None:
    r = answer(ds, "money-figures")
    assert r[0]["valueText"] == "500 billion Yuan"
    assert ("$14.15 billion", "US dollar") in pairs(r, "valueText", "unit")


def check_ai_community(ds: Dataset) -> None:
    r = answer(ds, "ai-community")
    assert pairs(r, "member", "role") == {
        *((m, "global AI leader") for m in ("Huawei", "iFlytek", "SenseTime", "MEGVII", "Hikvision")),
        *((m, "local industry leader") for m in ("Haier", "Hisense", "GoerTek")),
    }


EXPECTED: dict[str, Callable[[Dataset], None]] = {
    name.removeprefix("check_").replace("_", "-"): fn for name, fn in globals().items() if name.startswith("check_")
}


def test_at_least_fifteen_saved_questions_each_with_a_test() -> None:
    names = {q.name for q in saved_queries()}
    assert len(names) >= 15
    assert names == set(EXPECTED), f"untested: {names - set(EXPECTED)}; missing files: {set(EXPECTED) - names}"


@pytest.mark.parametrize("saved", saved_queries(), ids=lambda q: q.name)
def test_saved_query_header(saved) -> None:
    assert saved.question.endswith("?"), "the header states the question in plain English"
    assert saved.expect, "the header says what answer to expect"
    if parameter_names(saved):
        assert saved.parameters, "a query with parameters documents them"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_answer(ds: Dataset, name: str) -> None:
    EXPECTED[name](ds)
