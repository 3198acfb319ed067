"""The workbench at `/` of a real `kg serve`, in Debian's headless Chromium: what a person sees — text, styles,
positions in a 1280×800 window, the files a download button saves, the URL — with every request that would
leave loopback refused and recorded.

Skipped when Chromium or Playwright is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import ROOT
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from kg.dataset.resolve import resolve_entity
from kg.errors import QueryError, ResolveError
from kg.query.params import ANY, Parameter, parameters_of
from kg.query.saved import SavedQuery, saved_bindings, saved_queries
from kg.vocab.namespaces import QDO

SERVER, BROWSER = pytest.mark.server, pytest.mark.browser

FIVE_YEAR_PLAN = "Five-Year Plan for Building a Pioneer City with Modern Industries (2022-2026)"
HAIER = "https://w3id.org/qingdao-kg/id/Haier"
COSMOPLAT = "https://w3id.org/qingdao-kg/id/COSMOPlat"
INJECTED = '<img src=x onerror="window.__pwned=1">'
TARGETS = "SELECT ?target ?plan ?indicator WHERE { ?target a qdo:Target ; qdo:setBy ?plan ; qdo:indicator ?indicator }"
EVIL = "https://example.org/it's(evil)"
HOSTILE = INJECTED + "\"'</textarea><script>window.__pwned=2</script>\x01\x1b[31m\u2028"
BANNER = re.compile(r"serving (http://127\.0\.0\.1:\d+/sparql) and the workbench at (http://127\.0\.0\.1:\d+/) ")


@dataclass
class Served:
    endpoint: str
    base: str
    log: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`kg serve` as a person starts it, its access log collected as it comes; on top of the shipped graph, one
    entity of another site whose label is hostile markup (``--data``)."""
    evil = Graph()
    evil.add((URIRef(EVIL), SKOS.prefLabel, Literal(HOSTILE)))
    evil.add((URIRef(EVIL), QDO.partOf, URIRef(HAIER)))
    extra = tmp_path_factory.mktemp("evil") / "evil.ttl"
    extra.write_text(evil.serialize(format="turtle"), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--workers", "2", "--timeout", "60", "--data", extra],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    banner = proc.stderr.readline()
    match = BANNER.match(banner)
    if match is None:
        proc.kill()
        pytest.fail(f"kg serve did not say where it serves: {banner!r}")
    served = Served(match[1], match[2])
    threading.Thread(target=lambda: served.log.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    yield served
    proc.terminate()
    proc.wait(timeout=20)


class Opened:
    """One browser window on the workbench: page errors, failed responses and every request that tried to
    leave our server, collected."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 800) -> None:  # type: ignore[no-untyped-def]
        self.base = url.split("#", 1)[0]
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.failed: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.context.route("**/*", self._route)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def done(self) -> int:
        return int(self.page.get_attribute("#answer", "data-done") or 0)

    def answer(self, action: Callable[[], object] | None = None) -> None:
        """Do ``action`` (or nothing, when the page runs by itself) and wait until its answer is shown in full."""
        before = self.done() if action is not None else 0
        if action is not None:
            action()
        self.page.wait_for_function(
            "(before) => Number(document.getElementById('answer').dataset.done || 0) > before",
            arg=before,
            timeout=60_000,
        )

    def run(self, query: str) -> None:
        self.page.fill("#query", query)
        self.answer(lambda: self.page.click("#run"))

    def headers(self) -> list[str]:
        """Column names as shown (without the quiet language tag or datatype a heading may carry)."""
        return self.page.eval_on_selector_all("#results th", "ths => ths.map(th => th.firstChild.textContent)")

    def rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#results tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.innerText))"
        )

    def untouched(self) -> None:
        """Nothing from the data or the URL ran or became markup, and nothing left loopback."""
        assert self.page.evaluate("window.__pwned") is None
        assert self.page.locator("img:not(h1 img), #results a:not(.iri), iframe:not(#graphview)").count() == 0
        assert self.page.locator("script").count() == 1  # workbench.js
        assert self.external == []

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser, served: Served) -> Iterator[Callable[..., Opened]]:  # type: ignore[no-untyped-def]
    windows: list[Opened] = []

    def open_(suffix: str = "", **size: int) -> Opened:
        windows.append(Opened(browser, served.base + suffix, **size))
        return windows[-1]

    yield open_
    for window in windows:
        window.close()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def _post(url: str, fields: list[tuple[str, str]], content_type: str = "application/x-www-form-urlencoded"):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def _graph(page, path: str = "") -> dict:  # type: ignore[no-untyped-def]
    """The graph tab's drawing once its page (at ``path``, if given) has loaded: node labels and links
    (vis-network's DataSets), or the plain-text error the server sent instead."""
    page.wait_for_function(
        """(path) => { const w = document.getElementById('graphview').contentWindow;
                   return w.location.pathname !== 'blank' && (!path || w.location.pathname === path)
                     && w.document.readyState === 'complete'
                     && (w.kgNetwork !== undefined || w.document.contentType === 'text/plain'); }""",
        arg=path,
        timeout=60_000,
    )
    return page.evaluate(
        """() => { const w = document.getElementById('graphview').contentWindow;
                   if (!w.kgNetwork) return { error: w.document.body.innerText, url: w.location.href };
                   const data = w.kgNetwork.body.data;
                   return { url: w.location.href,
                            nodes: data.nodes.get().map(n => [n.id, n.label]),
                            edges: data.edges.get().map(e => [e.from, e.to]) }; }"""
    )


# --- startup, assets, favicon --------------------------------------------------------------------------------


@pytest.mark.slow
@SERVER
def test_kg_serve_names_the_workbench_and_it_answers(served: Served) -> None:
    status, headers, page = _get(served.base)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>Qingdao KG" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert served.endpoint == served.base + "sparql"
    for path in ("favicon.svg", "favicon.ico"):
        status, headers, icon = _get(served.base + path)
        assert (status, headers["Content-Type"]) == (200, "image/svg+xml")
        assert icon.startswith(b"<svg") and b"<script" not in icon


@pytest.mark.slow
@SERVER
@BROWSER
def test_the_page_loads_with_its_icon_and_no_failed_request(opened, served: Served) -> None:
    logged = len(served.log)
    wb = opened("#saved=cosmoplat-chery-haier")
    wb.answer()
    icon = wb.page.locator("link[rel=icon]").get_attribute("href")
    assert wb.page.request.get(served.base + icon.lstrip("/")).headers["content-type"] == "image/svg+xml"
    shown = wb.page.locator("h1 img")  # the same icon, drawn beside the title
    assert shown.evaluate("img => img.complete && img.naturalWidth > 0")
    wb.page.click("#tab-graph")
    assert _graph(wb.page)["nodes"]
    assert wb.failed == [] and wb.errors == []
    assert [line for line in served.log[logged:] if '" 200 ' not in line] == []
    wb.untouched()


# --- the table: labels, quiet tags and types, numbers -----------------------------------------------------------


@pytest.mark.slow
@SERVER
@BROWSER
def test_iris_read_as_labels_with_the_iri_on_hover_and_a_link_in_the_page(opened) -> None:
    wb = opened()
    wb.run(
        "SELECT ?entity ?name ?link WHERE { VALUES ?entity { qd:Haier qd:COSMOPlat } "
        "?entity skos:prefLabel ?name . BIND (qdo:inIndustry AS ?link) } ORDER BY ?name"
    )
    links = wb.page.locator("#results tbody td:first-child a")
    assert links.all_inner_texts() == ["COSMOPlat", "Haier"]
    assert [links.nth(i).get_attribute("title") for i in range(2)] == [COSMOPLAT, HAIER]
    assert wb.rows()[1][2] == "in industry"  # a property's rdfs:label
    assert "https" not in wb.page.inner_text("#results")
    links.nth(1).hover()  # hovering follows nothing
    wb.answer(lambda: links.nth(1).click())
    assert urllib.parse.unquote(wb.page.url).startswith(wb.base + "#query=")
    assert f"<{HAIER}>" in wb.page.input_value("#query")
    assert wb.headers() == ["subject", "property", "object", "source"]
    said = [row[1:3] for row in wb.rows() if row[0] == "Haier"]
    assert ["skos:hiddenLabel", "Haier Group@en"] in said and ["in industry", "home appliances"] in said
    assert wb.errors == [] and wb.failed == []
    wb.untouched()


@pytest.mark.slow
@SERVER
@BROWSER
def test_a_hostile_label_is_shown_as_text_in_the_table_and_the_graph(opened) -> None:
    wb = opened()
    wb.run("SELECT ?entity ?whole WHERE { ?entity qdo:partOf ?whole FILTER (?whole = qd:Haier) }")
    shown = wb.page.locator("#results tbody td:first-child a")
    assert shown.text_content() == HOSTILE
    assert shown.get_attribute("title") == EVIL
    wb.page.click("#tab-graph")
    drawing = _graph(wb.page, "/graph")
    flat = ["".join(label.split()) for _, label in drawing["nodes"]]  # long labels wrap onto lines, even mid-word
    assert [label for label in flat if label.startswith("".join(INJECTED.split()))]  # as text (shortened)
    assert wb.page.frame_locator("#graphview").locator("img").count() == 0
    assert wb.page.evaluate("() => document.getElementById('graphview').contentWindow.__pwned") is None
    wb.answer(lambda: wb.page.click("#tab-table") or shown.click())  # what the graph says about it
    assert f"<{EVIL}>" in wb.page.input_value("#query")
    said = wb.page.eval_on_selector_all(
        "#results tbody tr", "trs => trs.map(tr => [...tr.cells].slice(0, 3).map(td => td.textContent))"
    )
    assert [HOSTILE, "part of", "Haier"] in said
    wb.untouched()


@pytest.mark.slow
@SERVER
@BROWSER
def test_language_tags_and_datatypes_are_quiet_and_numbers_right_aligned(opened) -> None:
    wb = opened()
    wb.run(
        'SELECT ?name ?said ?count WHERE { VALUES (?name ?said ?count) { ("Haier"@en "海尔"@zh 12) '
        '("Hisense"@en "plain" 3.5) } }'
    )
    assert wb.rows() == [["Haier", "海尔@zh", "12xsd:integer"], ["Hisense", "plain", "3.5xsd:decimal"]]
    name = wb.page.locator("#results th").first
    assert name.inner_text() == "name@en"  # every value of the column is English: said once, in its heading
    styles = wb.page.evaluate(
        """() => [...document.querySelectorAll('#results .lang, #results .dt')].map(el => {
             const own = getComputedStyle(el), around = getComputedStyle(el.parentElement);
             return [own.color, parseFloat(own.fontSize), around.color, parseFloat(around.fontSize)]; })"""
    )
    assert len(styles) == 4  # the heading's @en, @zh, two datatypes
    for colour, size, text_colour, text_size in styles:
        assert size < text_size and colour != text_colour
        r, g, b = map(int, re.findall(r"\d+", colour)[:3])
        assert r == g == b and r > 110  # grey, lighter than the text
    for row in range(1, 3):
        cell = wb.page.locator(f"#results tbody tr:nth-child({row}) td:nth-child(3)")
        assert cell.evaluate("td => getComputedStyle(td).textAlign") == "right"
        number = cell.evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td); "
            "return r.getBoundingClientRect().right; }"
        )
        box = cell.bounding_box()
        assert box["x"] + box["width"] - 12 <= number <= box["x"] + box["width"]  # flush right, less the padding
    assert wb.page.locator("#results td:nth-child(1)").first.evaluate("td => getComputedStyle(td).textAlign") == "left"
    wb.untouched()


# --- saved questions and their parameters ---------------------------------------------------------------------


@pytest.mark.slow
@SERVER
@BROWSER
def test_a_saved_questions_parameters_get_labelled_inputs(opened) -> None:
    wb = opened()
    wb.page.select_option("#examples", "figures-by-year")
    year = wb.page.get_by_label("year")
    assert year.is_visible()
    assert year.get_attribute("placeholder") == "default: 2019"
    assert "xsd:gYear" in wb.page.inner_text("#params")
    wb.answer(lambda: wb.page.click("#run"))
    defaults = wb.rows()
    assert len(defaults) >= 10
    year.fill("2023")
    wb.answer(lambda: year.press("Enter"))
    assert 0 < len(wb.rows()) < len(defaults) and wb.rows() != defaults
    assert wb.page.url.endswith("#saved=figures-by-year&year=2023")
    wb.page.locator("#query").press("End")
    wb.page.locator("#query").type(" ")  # an edited question runs as written: its parameters no longer apply
    assert year.is_disabled()
    assert wb.page.locator("#param-note").is_visible()

    wb.page.select_option("#examples", "entity-aliases")
    entity = wb.page.get_by_label("entity")
    assert entity.is_enabled() and entity.get_attribute("placeholder") == "default: qd:COSMOPlat"
    entity.fill("Hisense")
    wb.answer(lambda: wb.page.keyboard.press("Control+Enter"))
    assert ["Hisense", "Hisense", "Hisense Group"] in wb.rows()
    assert wb.errors == [] and wb.failed == []
    wb.untouched()


@pytest.mark.slow
@SERVER
@BROWSER
def test_hostile_parameter_values_are_refused_as_text_and_never_become_query_text(opened, served: Served) -> None:
    wb = opened()
    wb.page.select_option("#examples", "entity-aliases")
    wb.page.get_by_label("entity").fill(HOSTILE)  # the label of the entity --data added: found by its name
    wb.answer(lambda: wb.page.click("#run"))
    assert wb.page.inner_text("#error") == ""
    assert wb.page.locator("#results tbody td:first-child a").text_content() == HOSTILE
    wb.page.get_by_label("entity").fill(INJECTED + "'\x01")  # no entity's name
    wb.answer(lambda: wb.page.click("#run"))
    error = wb.page.inner_text("#error")
    assert error.startswith("400: no entity is named") and INJECTED in error
    wb.page.select_option("#examples", "figures-by-year")
    for value, said in (
        ('2019"^^xsd:gYear) } ?s ?p ?o . FILTER (true', "takes an xsd:gYear"),
        ('"2019"^^xsd:gYear) . ?s ?p ?o #', "is not a literal"),
        ("2019\x01", "takes an xsd:gYear"),
    ):
        wb.page.get_by_label("year").fill(value)
        wb.answer(lambda: wb.page.click("#run"))
        assert said in wb.page.inner_text("#error") and wb.rows() == []
    wb.page.get_by_label("year").fill(" 2019 ")  # blanks around a year are dropped
    wb.answer(lambda: wb.page.click("#run"))
    assert wb.page.inner_text("#error") == "" and len(wb.rows()) >= 10
    wb.untouched()

    hostile = urllib.parse.quote(HOSTILE)
    for path, status in (
        (f"saved/figures-by-year?year={hostile}", 400),
        (f"saved/entity-aliases?entity={hostile}x", 400),
        (f"saved/entity-aliases?{hostile}=1", 400),
        ("saved/entity-aliases?entity=Haier&entity=Hisense", 400),
        (f"saved/{hostile}", 404),
        ("saved/..%2f..%2fpyproject", 404),
        ("saved/entity-aliases/other", 404),
    ):
        got, headers, body = _get(served.base + path)
        assert got == status, (path, body)
        assert headers["Content-Type"] == "text/plain; charset=utf-8" and headers["X-Content-Type-Options"] == "nosniff"
        assert body.count(b"\n") == 1 and b"\x01" not in body and b"\x1b" not in body


@pytest.mark.slow
@SERVER
def test_labels_route_writes_only_well_formed_iris(served: Served) -> None:
    hostile = [f"{HAIER}> }} ?s ?p ?o . {{ <x", HOSTILE, "", HAIER]
    status, headers, body = _post(served.base + "labels", [("iri", i) for i in hostile])
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {HAIER: "Haier"}
    assert _post(served.base + "labels", [("iri", HAIER)], "text/plain")[0] == 415
    assert _post(served.base + "labels", [("query", "SELECT * {}")])[0] == 400
    assert _post(served.base + "labels", [("iri", f"{HAIER}{n}") for n in range(501)])[0] == 400
    assert _get(served.base + "labels")[0] == 404
    for path in ("labels", "saved/plan-targets", "saved/plan-targets/graph", "favicon.svg"):  # DNS rebinding
        assert _get(served.base + path, {"Host": "evil.example"})[0] == 421


def test_the_page_is_packaged() -> None:
    """pyproject's package data names every file of kg/serve/static, so that an installed kg serves the page."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["kg.serve"]
    packaged = {path for pattern in patterns for path in (ROOT / "kg" / "serve").glob(pattern)}
    static = set((ROOT / "kg" / "serve" / "static").iterdir())
    assert static and static <= packaged


def _saved(header: str, text: str) -> SavedQuery:
    return SavedQuery("q", Path("q.rq"), "A question?", header, "", text)


def test_the_form_shows_each_parameter_with_its_declared_type_default_and_help() -> None:
    text = (
        'SELECT * WHERE { BIND (COALESCE(?year_param, "2019"^^xsd:gYear) AS ?y) '
        "BIND (COALESCE(?org_param, qd:Haier) AS ?o) BIND (COALESCE(?n_param, 3) AS ?k) }"
    )
    declared = _saved("year (xsd:gYear) — the year; org (IRI) — who; n: how many", text)
    assert parameters_of(declared) == [
        Parameter("n", ANY, "3", "how many"),
        Parameter("org", "IRI", "qd:Haier", "who"),
        Parameter("year", "xsd:gYear", "2019", "the year"),
    ]
    assert [p.kind for p in parameters_of(saved_queries()["figures-by-year"])] == ["xsd:gYear"]
    assert [p.kind for p in parameters_of(saved_queries()["entity-aliases"])] == ["IRI"]


def test_form_values_are_typed_and_checked_by_kg_saved(ds: Dataset) -> None:
    """The server binds what a page sends exactly as `kg query --param` does (kg.query.saved), blanks trimmed."""
    question = saved_queries()["figures-by-year"]
    resolve = lambda name: resolve_entity(ds, name)  # noqa: E731
    assert saved_bindings(question, {"year": " 2019 "}, resolve) == {"year_param": Literal("2019", datatype=XSD.gYear)}
    for value in ("19x", "2019-01", "two thousand", "2019\x00"):
        with pytest.raises(QueryError, match="xsd:gYear"):
            saved_bindings(question, {"year": value}, resolve)
    with pytest.raises(ResolveError, match="no entity is named"):
        saved_bindings(saved_queries()["entity-aliases"], {"entity": "<img src=x>"}, resolve)


# --- layout: tabs, the graph above the fold ---------------------------------------------------------------------


@pytest.mark.slow
@SERVER
@BROWSER
def test_table_and_graph_are_tabs_and_the_graph_fits_the_window(opened, tmp_path: Path) -> None:
    wb = opened("#query=" + urllib.parse.quote(TARGETS))
    wb.answer()
    rows = wb.rows()
    assert [row[1] for row in rows].count(FIVE_YEAR_PLAN) == 4
    wb.page.screenshot(path=str(tmp_path / "table.png"))
    asked = []
    wb.page.on("request", lambda r: r.resource_type in ("fetch", "xhr") and asked.append(r.url))
    wb.page.click("#tab-graph")
    drawing = _graph(wb.page)
    assert len(drawing["nodes"]) >= 2
    frame = wb.page.locator("#graphview").bounding_box()
    assert frame["x"] >= 0 and frame["y"] >= 0
    assert frame["x"] + frame["width"] <= 1280 and frame["y"] + frame["height"] <= 800  # above the fold
    assert frame["width"] >= 700 and frame["height"] >= 600
    canvas = wb.page.frame_locator("#graphview").locator("canvas").bounding_box()
    assert canvas["y"] + canvas["height"] <= 800
    assert wb.page.locator("#results").is_hidden()
    wb.page.screenshot(path=str(tmp_path / "graph.png"))
    wb.page.click("#tab-table")
    assert wb.rows() == rows  # the table was kept, not asked for again
    assert asked == []
    assert wb.page.url.endswith("#query=" + urllib.parse.quote_plus(TARGETS, safe=""))
    wb.untouched()


# --- the URL ------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@SERVER
@BROWSER
def test_the_url_holds_the_question_and_opening_it_runs_it_again(opened) -> None:
    wb = opened()
    wb.page.select_option("#examples", "entity-aliases")
    wb.page.get_by_label("entity").fill("Hisense")
    wb.answer(lambda: wb.page.click("#run"))
    shared = wb.page.url
    assert shared.endswith("#saved=entity-aliases&entity=Hisense")
    again = opened(shared[len(wb.base) :])
    again.answer()
    assert again.page.input_value("#examples") == "entity-aliases"
    assert again.page.get_by_label("entity").input_value() == "Hisense"
    assert again.rows() == wb.rows()

    query = "SELECT ?enterprise WHERE { qd:Qingdao qdo:hasLeadingEnterprise ?enterprise }\nORDER BY ?enterprise"
    wb.run(query)
    assert wb.page.url.startswith(wb.base + "#query=")
    third = opened(wb.page.url[len(wb.base) :])
    third.answer()
    assert third.page.input_value("#query") == query
    assert third.page.input_value("#examples") == ""
    assert third.rows() == wb.rows() and ["Haier"] in third.rows()

    wb.answer(lambda: wb.page.go_back())  # the previous question comes back, and runs
    assert wb.page.input_value("#examples") == "entity-aliases"
    assert ["Hisense", "Hisense", "Hisense Group"] in wb.rows()

    drawn = opened("#saved=leading-enterprises&view=graph")
    assert drawn.page.get_attribute("#tab-graph", "aria-selected") == "true"
    assert _graph(drawn.page)["url"].endswith("/saved/leading-enterprises/graph")
    for window in (wb, again, third, drawn):
        assert window.errors == [] and window.failed == []
        window.untouched()


@pytest.mark.slow
@SERVER
@BROWSER
@pytest.mark.parametrize(
    ("fragment", "shown"),
    [
        ("#saved=" + urllib.parse.quote(HOSTILE), INJECTED),
        (
            "#saved=entity-aliases&entity=" + urllib.parse.quote(HOSTILE) + "&view=" + urllib.parse.quote(INJECTED),
            INJECTED,
        ),
        ("#query=" + urllib.parse.quote(f"SELECT ?v WHERE {{ BIND({Literal(HOSTILE).n3()} AS ?v) }}"), INJECTED),
        ("#query=" + urllib.parse.quote(HOSTILE) + "&view=graph", "400: malformed query"),
    ],
    ids=["unknown-question", "hostile-parameter", "hostile-data", "hostile-query"],
)
def test_hostile_urls_show_text_and_run_nothing_of_theirs(opened, fragment: str, shown: str) -> None:
    wb = opened(fragment)
    wb.page.wait_for_selector("#error:not(:empty), #results tbody tr", timeout=60_000)
    assert shown in wb.page.inner_text("#error") + wb.page.inner_text("#results")  # as text, where one reads it
    if fragment.startswith("#query="):
        assert wb.page.input_value("#query") == urllib.parse.unquote(fragment[7:].split("&view=")[0])
    wb.page.wait_for_timeout(300)  # anything the graph view would have loaded
    wb.untouched()


# --- downloads, keys, errors ------------------------------------------------------------------------------------


@pytest.mark.slow
@SERVER
@BROWSER
def test_downloads_are_the_answer_as_csv_and_json(opened) -> None:
    wb = opened("#saved=plan-targets")
    wb.answer()
    with wb.page.expect_download() as got:
        wb.page.get_by_role("button", name="CSV").click()
    saved = got.value
    assert saved.suggested_filename == "plan-targets.csv"
    with open(saved.path(), encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == wb.headers()
    assert len(table) == len(wb.rows()) and [r["planLabel"] for r in table].count(FIVE_YEAR_PLAN) == 4
    with wb.page.expect_download() as got:
        wb.page.get_by_role("button", name="JSON").click()
    assert got.value.suggested_filename == "plan-targets.json"
    data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert data["head"]["vars"] == wb.headers()
    assert [b["planLabel"]["value"] for b in data["results"]["bindings"]] == [r["planLabel"] for r in table]

    wb.run("SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
    with wb.page.expect_download() as got:
        wb.page.get_by_role("button", name="CSV").click()
    assert got.value.suggested_filename == "answer.csv"
    assert Path(got.value.path()).read_text(encoding="utf-8").split() == ["n", "1", "2", "3"]
    wb.untouched()


@pytest.mark.slow
@SERVER
@BROWSER
def test_ctrl_enter_and_cmd_enter_run_the_query(opened) -> None:
    wb = opened()
    for keys, query, expected in (
        ("Control+Enter", "SELECT (1 + 1 AS ?two) WHERE {}", "2"),
        ("Meta+Enter", "SELECT (6 * 7 AS ?answer) WHERE {}", "42"),
    ):
        wb.page.fill("#query", query)
        wb.answer(lambda keys=keys: wb.page.press("#query", keys))
        assert wb.rows() == [[expected]]
        assert wb.page.input_value("#query") == query  # the keys ran it; they typed nothing
    wb.untouched()


def _gutter_line(page, line: int) -> dict:  # type: ignore[no-untyped-def]
    """Where the editor's line number ``line`` is drawn."""
    return page.evaluate(
        """(n) => { const text = document.getElementById('gutter').firstChild;
                    const lines = text.textContent.split('\\n');
                    let start = 0; for (let i = 0; i < n - 1; i++) start += lines[i].length + 1;
                    const r = document.createRange();
                    r.setStart(text, start); r.setEnd(text, start + lines[n - 1].length);
                    const box = r.getBoundingClientRect(); return { top: box.top, bottom: box.bottom,
                    text: r.toString() }; }""",
        line,
    )


@pytest.mark.slow
@SERVER
@BROWSER
def test_a_syntax_error_is_marked_at_its_line(opened, tmp_path: Path) -> None:
    wb = opened()
    wb.run("SELECT ?x\nWHERE {\n  ?x ?p ?o .\n  FILTER(?x = )\n}")
    assert "line 4, column 3" in wb.page.inner_text("#error")
    marker = wb.page.locator("#marker")
    assert marker.is_visible()
    box, number = marker.bounding_box(), _gutter_line(wb.page, 4)
    assert number["text"] == "4"
    assert box["y"] <= (number["top"] + number["bottom"]) / 2 <= box["y"] + box["height"]
    selected = wb.page.evaluate("() => { const t = document.getElementById('query'); "
                                "return t.value.slice(t.selectionStart, t.selectionEnd); }")  # fmt: skip
    assert selected.startswith("FILTER")
    wb.page.screenshot(path=str(tmp_path / "error.png"))

    far = "\n".join(["SELECT ?x WHERE {"] + ["  ?x ?p ?o ."] * 48 + ["  ?x ?p", "}"])
    wb.run(far)
    line = int(re.search(r"line (\d+), column", wb.page.inner_text("#error"))[1])
    assert line >= 45  # below what the editor shows at first
    box, number, editor = marker.bounding_box(), _gutter_line(wb.page, line), wb.page.locator("#query").bounding_box()
    assert box["y"] <= (number["top"] + number["bottom"]) / 2 <= box["y"] + box["height"]
    assert editor["y"] <= box["y"] and box["y"] + box["height"] <= editor["y"] + editor["height"]  # scrolled to it
    wb.page.locator("#query").type("x")
    assert marker.is_hidden()  # editing clears it
    wb.untouched()


# --- every saved question, drawn (issue 15 section 1) -------------------------------------------------------------


def _connected(drawing: dict, labels: tuple[str, ...]) -> bool:
    ids = {label: [i for i, text in drawing["nodes"] if text == label] for label in labels}
    if not all(ids.values()):
        return False
    links: dict[str, set[str]] = {}
    for a, b in drawing["edges"]:
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    start = ids[labels[0]][0]
    seen, todo = {start}, [start]
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return all(any(i in seen for i in found) for found in ids.values())


@pytest.mark.slow
@SERVER
@BROWSER
def test_every_saved_question_draws_a_graph_in_the_graph_tab(opened) -> None:
    wb = opened()
    problems = []
    for saved in saved_queries().values():
        wb.page.evaluate("(name) => { location.hash = 'saved=' + name + '&view=graph'; }", saved.name)
        drawing = _graph(wb.page, f"/saved/{saved.name}/graph")
        if "error" in drawing:
            problems.append(f"{saved.name}: {drawing['error'].strip()}")
        elif len(drawing["nodes"]) < 2 or len(drawing["edges"]) < 1:
            problems.append(f"{saved.name}: {len(drawing['nodes'])} nodes, {len(drawing['edges'])} links")
        elif saved.name == "cosmoplat-chery-haier" and not _connected(drawing, ("COSMOPlat", "Chery", "Haier")):
            problems.append(f"{saved.name}: COSMOPlat, Chery and Haier are not connected")
    assert problems == [], "\n".join(problems)
    wb.untouched()
