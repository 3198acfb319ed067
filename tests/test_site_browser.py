"""The static site in a real headless Chromium (Debian's, via Playwright), opened from file:// with every other
request blocked and recorded: pages render under their Content-Security-Policy without errors, the offline
search finds names and leads to their pages, hostile labels stay text, and axe-core (run offline, injected from
tools/axe) reports no serious or critical accessibility violation.

Skipped when Chromium, Playwright or axe-core is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ROOT, SITE_INJECTED, hostile_dataset, missing_tool

from kg.site.build import write_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: Pages the accessibility check covers: one of each template, the largest ones included.
CHECKED = [
    "index.html",
    "id/Haier.html",
    "id/Qingdao.html",
    "id/COSMOPlat.html",
    "id/article/a001.html",
    "id/a001-s01.html",
    "class/Enterprise.html",
    "search.html?q=haier",
    "queries.html",
    "404.html",
]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kg.dataset.load import load_dataset

    out = tmp_path_factory.mktemp("browser-site") / "site"
    write_site(load_dataset(), out)
    return out


class Opened:
    """A page of the site from file://: its console errors (CSP violations among them) and blocked requests."""

    def __init__(self, browser: object, url: str) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.route("**/*", self._route)
        self.page.goto(url)

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.external.append(url)
            route.abort()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.page.close()


def _url(site: Path, path: str) -> str:
    file, _, query = path.partition("?")
    return (site / file).as_uri() + (f"?{query}" if query else "")


@pytest.mark.parametrize("path", CHECKED)
def test_pages_open_offline_without_errors(browser: object, site_dir: Path, path: str, tmp_path: Path) -> None:
    opened = Opened(browser, _url(site_dir, path))
    opened.page.screenshot(path=str(tmp_path / "page.png"))
    assert opened.page.title().endswith("Qingdao industrial knowledge graph")
    assert opened.errors == [] and opened.external == []
    opened.close()


def test_search_finds_aliases_and_leads_to_the_page(browser: object, site_dir: Path) -> None:
    opened = Opened(browser, _url(site_dir, "search.html"))
    opened.page.wait_for_selector("body[data-ready=true]")
    opened.page.fill("#q", "kaos")
    first = opened.page.locator("#search-results li a").first
    assert first.text_content() == "COSMOPlat"
    first.click()
    opened.page.wait_for_url("**/id/COSMOPlat.html")
    assert opened.page.locator("h1").text_content().strip() == "COSMOPlat"
    assert opened.errors == [] and opened.external == []
    opened.close()


def test_the_header_search_form_carries_the_name(browser: object, site_dir: Path) -> None:
    opened = Opened(browser, _url(site_dir, "id/article/a002.html"))
    opened.page.fill("#site-q", "hisense")
    opened.page.press("#site-q", "Enter")
    opened.page.wait_for_selector("#search-results li")
    assert "Hisense" in opened.page.locator("#search-results").inner_text()
    opened.close()


def test_a_highlighted_passage_leads_to_its_fact_and_back(browser: object, site_dir: Path) -> None:
    opened = Opened(browser, _url(site_dir, "id/article/a000.html"))
    opened.page.locator("sup.note-mark a").first.click()
    target = opened.page.evaluate("location.hash")
    assert target.startswith("#fact-")
    assert opened.page.locator(f"{target} blockquote").is_visible()
    opened.close()


def test_hostile_labels_stay_text_and_reach_nothing(browser: object, tmp_path: Path, listener: tuple) -> None:
    url, received = listener
    host = url.removesuffix("/sparql")
    out = tmp_path / "site"
    ds = hostile_dataset()
    from rdflib import Literal
    from rdflib.namespace import SKOS

    from kg.vocab.namespaces import QD

    beacon = f'<img src="{host}/label"><link rel="stylesheet" href="{host}/css">'
    ds.graph(ds.default_graph.identifier).add((QD["evil"], SKOS.hiddenLabel, Literal(beacon)))
    write_site(ds, out, answers=False)
    for path in ("id/evil.html", "id/Qingdao.html", "search.html?q=img", "class/Enterprise.html"):
        opened = Opened(browser, _url(out, path))
        if path.startswith("search"):
            opened.page.wait_for_selector("#search-results li")
        assert opened.page.evaluate("window.__pwned") is None, path
        assert opened.external == [] and opened.errors == [], path
        opened.close()
    opened = Opened(browser, _url(out, "id/evil.html"))
    assert opened.page.locator("h1").inner_text().strip() == SITE_INJECTED
    opened.close()
    assert received == []


def _axe(page: object) -> list[dict]:
    if not AXE.is_file():
        missing_tool(f"axe-core is not installed: npm ci --prefix tools/axe ({AXE} is missing)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", CHECKED)
def test_axe_finds_no_serious_accessibility_violation(browser: object, site_dir: Path, path: str) -> None:
    # axe-core is injected as page script: the page's CSP would rightly refuse it, so this context bypasses it
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(_url(site_dir, path))
    if "?q=" in path:
        page.wait_for_selector("#search-results li")
    violations = _axe(page)
    context.close()
    assert violations == [], json.dumps(violations, indent=1)
