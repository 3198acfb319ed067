"""The HTML graph in a real headless Chromium (Debian's, driven by Playwright) with the network blocked.

Skipped when Chromium or Playwright is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.netgraph import rdf_to_nx
from kg.nethtml import write_html
from kg.netlayout import PHYSICS_LIMIT
from kg.netviews import neighbourhood

pytestmark = pytest.mark.browser

COSMOPLAT = "https://w3id.org/qingdao-kg/id/COSMOPlat"
INJECTED = '<img src=x onerror="window.__pwned=1"><a href="javascript:window.__pwned=2">href</a>'


class Page:
    """An opened graph page: page errors and every request that was not for the file itself."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def node_count(self) -> int:
        return self.page.evaluate("window.kgNetwork.body.data.nodes.length")

    def drawn_pixels(self) -> int:
        """Canvas pixels that are neither transparent nor white."""
        return self.page.evaluate(
            """() => {
              const c = document.querySelector('#mynetwork canvas');
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] > 0 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) n++;
              }
              return n;
            }"""
        )

    def hover(self, node_id: str) -> None:
        pos = self.page.evaluate(
            "(id) => window.kgNetwork.canvasToDOM(window.kgNetwork.getPositions([id])[id])", node_id
        )
        box = self.page.locator("#mynetwork").bounding_box()
        self.page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
        self.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)


def test_focus_page_offline(ds: Dataset, browser, tmp_path: Path) -> None:
    view = neighbourhood(rdf_to_nx(ds), COSMOPLAT, 2)
    path = tmp_path / "cosmoplat.html"
    write_html(view, path, "COSMOPlat and its links", focus=COSMOPLAT)
    opened = Page(browser, path)
    assert opened.errors == []
    assert opened.external == []
    assert opened.node_count() == view.number_of_nodes()
    assert opened.page.evaluate("window.kgNetwork.body.data.edges.length") == view.number_of_edges()
    assert opened.drawn_pixels() > 5_000
    opened.hover(COSMOPLAT)
    tooltip = opened.page.inner_text("div.vis-tooltip")
    assert "COSMOPlat" in tooltip and "Sources: a000, a001, a002, a003, curated" in tooltip
    opened.page.screenshot(path=str(tmp_path / "cosmoplat.png"))
    assert (tmp_path / "cosmoplat.png").stat().st_size > 10_000


def test_injected_labels_never_run(browser, tmp_path: Path) -> None:
    ds = Dataset()
    g = ds.graph(URIRef("https://example.org/graph"))
    evil, other, cls = (URIRef(f"https://example.org/{n}") for n in ("evil", "other", "Evil"))
    g.add((evil, RDF.type, cls))
    g.add((cls, SKOS.prefLabel, Literal(INJECTED)))
    g.add((evil, SKOS.prefLabel, Literal(INJECTED)))
    g.add((evil, DCTERMS.description, Literal(INJECTED)))
    g.add((evil, URIRef("https://example.org/p"), other))
    g.add((other, SKOS.prefLabel, Literal(INJECTED)))
    graph = rdf_to_nx(ds)
    path = tmp_path / "evil.html"
    write_html(graph, path, INJECTED)
    opened = Page(browser, path)
    opened.hover(str(evil))
    assert opened.page.evaluate("window.__pwned") is None
    assert opened.page.evaluate("document.querySelectorAll('img, a[href]').length") == 0
    assert opened.page.inner_text("h1") == INJECTED  # shown as text
    assert INJECTED in opened.page.inner_text("div.vis-tooltip")
    assert INJECTED in opened.page.inner_text("#legend")
    assert opened.errors == [] and opened.external == []
    opened.page.screenshot(path=str(tmp_path / "evil.png"))


def test_large_graph_is_laid_out_ahead(browser, tmp_path: Path) -> None:
    base = nx.barabasi_albert_graph(PHYSICS_LIMIT + 100, 2, seed=7)
    graph = nx.MultiDiGraph()
    for n in base:
        graph.add_node(f"n{n}", label=f"node {n}", kind="entity", group=f"class {n % 5}")
    for i, (u, v) in enumerate(base.edges()):
        graph.add_edge(f"n{u}", f"n{v}", key=f"e{i}", label="links", predicate="https://example.org/links")
    path = tmp_path / "large.html"
    write_html(graph, path, "A large graph")
    opened = Page(browser, path)
    assert opened.errors == [] and opened.external == []
    assert opened.node_count() == graph.number_of_nodes()
    assert opened.page.evaluate("window.kgNetwork.physics.options.enabled") is False
    assert opened.drawn_pixels() > 5_000
    opened.page.screenshot(path=str(tmp_path / "large.png"))
