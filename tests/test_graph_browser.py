"""The HTML graph in a real headless Chromium (Debian's, driven by Playwright) with the network blocked.

Skipped when Chromium or Playwright is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.graph.compose import ViewRequest, compose_view, write_view
from kg.graph.convert import rdf_to_nx
from kg.graph.html import KEEP_LABELS, write_html
from kg.graph.layout import PHYSICS_LIMIT
from kg.graph.views import entity_graph, neighbourhood, paths_between

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # every test drives Chromium

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
    assert "COSMOPlat" in tooltip and "Sources: a002, a003, curated" in tooltip
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


def _on_screen(opened: Page, script: str) -> list[float]:
    """Sizes in screen pixels: canvas units times the current zoom."""
    return opened.page.evaluate(f"(() => {{ const n = window.kgNetwork; const s = n.getScale(); {script} }})()")


def test_labels_stay_readable_and_links_have_arrowheads(ds: Dataset, browser, tmp_path: Path) -> None:
    view = neighbourhood(rdf_to_nx(ds), COSMOPLAT, 2)
    assert 20 < view.number_of_nodes() <= KEEP_LABELS
    path = tmp_path / "cosmoplat.html"
    write_html(view, path, "COSMOPlat and its links", focus=COSMOPLAT)
    opened = Page(browser, path)
    node_px = "return Object.values(n.body.nodes).map((x) => x.labelModule.visible() ? x.options.font.size * s : 99);"
    edge_px = "return Object.values(n.body.edges).map((x) => x.labelModule.visible() ? x.options.font.size * s : 99);"
    visible = "Object.values(window.kgNetwork.body.nodes).filter((x) => x.labelModule.visible()).length"
    fitted = opened.page.evaluate("window.kgNetwork.getScale()")
    assert fitted < 0.9  # the whole view is zoomed out to fit the window …
    assert opened.page.evaluate(visible) == view.number_of_nodes()
    assert min(_on_screen(opened, node_px)) >= 14 - 0.3  # … yet every label is drawn at 14 px or more
    assert min(_on_screen(opened, edge_px)) >= 12 - 0.3
    box = opened.page.locator("#mynetwork").bounding_box()
    opened.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(10):  # the reader zooms out with the wheel, beyond the whole view
        opened.page.mouse.wheel(0, 400)
        opened.page.wait_for_timeout(100)
    assert opened.page.evaluate("window.kgNetwork.getScale()") < fitted * 0.6
    assert min(_on_screen(opened, node_px)) >= 14 - 0.3  # labels are readable or not drawn at all
    assert opened.page.evaluate(visible) == 0
    opened.page.screenshot(path=str(tmp_path / "zoomed-out.png"))
    opened.page.evaluate("window.kgNetwork.moveTo({scale: 2})")  # zoomed in, they are shown again
    assert opened.page.evaluate(visible) == view.number_of_nodes()
    edges = opened.page.evaluate("Object.values(window.kgNetwork.body.edges).map((e) => e.options.arrows.to.enabled)")
    assert edges and all(edges)
    colours = opened.page.evaluate(
        "Object.values(window.kgNetwork.body.edges).map((e) => e.labelModule.fontOptions.color)"
    )
    assert set(colours) == {"#333333"}  # dark grey, not the light grey of vis-network's default
    assert opened.errors == [] and opened.external == []


def test_crowded_views_draw_labels_only_when_readable(ds: Dataset, browser, tmp_path: Path) -> None:
    graph = rdf_to_nx(ds)
    path = tmp_path / "whole.html"
    write_html(graph, path, "The whole graph")
    opened = Page(browser, path)
    visible = "Object.values(window.kgNetwork.body.nodes).filter((x) => x.labelModule.visible()).length"
    assert opened.page.evaluate("window.kgNetwork.getScale()") < 0.5
    assert opened.page.evaluate(visible) == 0  # not a mush of 5 px labels
    opened.page.evaluate("window.kgNetwork.moveTo({scale: 1.0})")
    assert opened.page.evaluate(visible) == graph.number_of_nodes()
    assert opened.errors == []


def test_path_view_highlights_the_path(ds: Dataset, browser, tmp_path: Path) -> None:
    graph = entity_graph(rdf_to_nx(ds))
    view = paths_between(graph, "Chery", "Haier")
    best = view.graph["path"].split()
    path = tmp_path / "path.html"
    write_html(view, path, "How Chery and Haier are linked")
    opened = Page(browser, path)
    edges = opened.page.evaluate("window.kgNetwork.body.data.edges.get()")
    on_path = [e for e in edges if e.get("path")]
    assert {frozenset((e["from"], e["to"])) for e in on_path} == {frozenset(p) for p in pairwise(best)}
    assert all(e["width"] == 5 and e["color"]["color"] == "#000000" for e in on_path)
    assert all("width" not in e for e in edges if not e.get("path"))
    borders = opened.page.evaluate("window.kgNetwork.body.data.nodes.get().map((n) => [n.id, n.borderWidth || 1])")
    assert {n for n, width in borders if width == 4} == set(best)
    assert "Chery → " in opened.page.inner_text("aside")
    assert opened.drawn_pixels() > 5_000
    opened.page.screenshot(path=str(tmp_path / "path.png"))


FINDS = [
    ("haier kaos", ["COSMOPlat"]),  # an alias, any case
    ("Five-Year Plan for Building a Pioneer City with Modern Industries (2022-2026)", ["Five-Year Plan"]),  # in full
    ("  qingdao CITY ", ["Qingdao"]),  # a hidden label (searched, never listed), spaces around
    ("chery qingdao super", ["AI quality control system", "Chery Qingdao Super Factory"]),  # part of two names
    ("Nokia", []),
]


def test_find_matches_every_name(ds: Dataset, browser, tmp_path: Path) -> None:
    graph = rdf_to_nx(ds)
    path = tmp_path / "whole.html"
    write_html(graph, path, "The whole graph")
    opened = Page(browser, path)
    options = opened.page.evaluate("[...document.querySelectorAll('#kg-names option')].map((o) => o.value)")
    assert {"Haier Kaos", "helcaos"} <= set(options) and "Qingdao city" not in options  # hidden labels: search only
    for typed, found in FINDS:
        opened.page.fill("#find", typed)
        opened.page.press("#find", "Enter")
        selected = opened.page.evaluate("window.kgNetwork.getSelectedNodes()")
        labels = sorted(graph.nodes[n]["label"] for n in selected)
        assert len(labels) == len(found) and all(lab.startswith(f) for lab, f in zip(labels, found, strict=True))
        result = opened.page.inner_text("#find-result")
        if len(found) == 1:
            assert result == f"Found: {labels[0]}"
        elif found:
            assert result.startswith(f"{len(found)} nodes: ")
        else:
            assert result == f"No node is named “{typed}”."
    assert opened.errors == []


def test_a_budgeted_focus_page_says_what_it_left_out(ds: Dataset, browser, tmp_path: Path) -> None:
    view = compose_view(ViewRequest(focus="Qingdao", depth=2, max_nodes=30), ds)
    path = tmp_path / "qingdao.html"
    write_view(view, path, "html")
    opened = Page(browser, path)
    assert opened.errors == [] and opened.external == []
    assert opened.node_count() == 30
    assert opened.page.inner_text(".summary").startswith(f"Showing {view.graph.graph['shown']}")
    assert opened.page.inner_text("#left-out") == f"{view.graph.graph['left_out']}."
    assert opened.drawn_pixels() > 5_000
    opened.page.screenshot(path=str(tmp_path / "qingdao.png"))
