"""Static figures drawn by Graphviz (`kg graph -o fig.svg|png|pdf`, `kg.draw`): every label readable and placed
clear of every other, arrowheads, link labels, a legend, the path highlighted, hostile labels shown as text, and
the files opened by real readers (an XML parser, Pillow, Chromium's PDF viewer)."""

from __future__ import annotations

import io
import json
import re
import shutil
from contextlib import suppress
from itertools import combinations
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pytest
from click.testing import CliRunner
from helpers import OWN, SAVED, missing_tool
from PIL import Image
from rdflib import Dataset, URIRef

import kg
from kg.cli.main import cli as kg_cli
from kg.errors import KGError
from kg.graph import style as netstyle
from kg.graph.draw import DOT_LIMIT, Figure, choose_engine, draw_figure, figure_dot, graphviz, to_dot
from kg.graph.views import entity_graph, neighbourhood, paths_between, query_graph
from kg.query.sparql import run_query

pytestmark = pytest.mark.external

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    'a"]; n0 -> n1 [label="x',
    "\\N \\G \\E \\L \\\\ end\\",
    "<B>bold</B> &amp; &lt; &#65; <img src=x onerror=alert(1)>",
    "]]> <!-- --> <![CDATA[ x ]]>",
    "emoji 😀 مرحبا 青岛",
    '{"a": 1} %s {0} <<TABLE>>',
    "<script>alert(1)</script> javascript:alert(1) https://evil.example/x.png",
]


@pytest.fixture(autouse=True, scope="module")
def _graphviz() -> None:
    if not (shutil.which("dot") and shutil.which("sfdp")):
        missing_tool("Graphviz (dot, sfdp) is not installed")


@pytest.fixture(scope="module")
def graph(ds: Dataset) -> nx.MultiDiGraph:
    return kg.rdf_to_nx(ds)


def _views(ds: Dataset, graph: nx.MultiDiGraph) -> dict[str, nx.MultiDiGraph]:
    """What a reader draws: answers to questions (own, and saved ones naming IRIs), a neighbourhood, a path."""
    views = {f"own:{name}": query_graph(ds, run_query(ds, text, timeout=60)) for name, text in OWN.items()}
    for name, text in SAVED.items():
        with suppress(KGError):  # a question selecting no IRI yet: tests/test_query_drawings.py reports those
            views[f"saved:{name}"] = query_graph(ds, run_query(ds, text, timeout=60))
    views["COSMOPlat, depth 2"] = neighbourhood(graph, "COSMOPlat", 2)
    views["Chery to Haier"] = paths_between(entity_graph(graph), "Chery", "Haier")
    return views


def text_boxes(layout: dict) -> list[tuple[float, float, float, float, str]]:
    """(left, bottom, right, top, text) of every text Graphviz draws, from its own drawing operations (-Tjson):
    the position, alignment and width it measured with the font, and the font size."""
    boxes = []
    for obj in [layout, *layout.get("objects", []), *layout.get("edges", [])]:
        for key in ("_ldraw_", "_hldraw_", "_tldraw_"):
            size = 14.0
            for op in obj.get(key, []):
                if op["op"] == "F":
                    size = op["size"]
                elif op["op"] == "T" and op["text"].strip():
                    (x, y), width = op["pt"], op["width"]
                    left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
                    boxes.append((left, y - 0.22 * size, left + width, y + 0.78 * size, op["text"]))
    return boxes


def node_boxes(layout: dict) -> list[tuple[float, float, float, float, str]]:
    boxes = []
    for obj in layout.get("objects", []):
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
            boxes.append((x - w, y - h, x + w, y + h, obj["name"]))
    return boxes


def _overlap(a: tuple, b: tuple, tolerance: float = 0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > tolerance and min(a[3], b[3]) - max(a[1], b[1]) > tolerance


def _layout(view: nx.MultiDiGraph, title: str = "") -> dict:
    """The figure's layout as drawn: the same DOT text and program as ``kg graph -o fig.svg``."""
    dot, (program, *options) = figure_dot(view, title)
    return json.loads(graphviz(dot, program, "json", *options))


@pytest.mark.slow
def test_no_label_overlaps_another_or_a_node(ds: Dataset, graph: nx.MultiDiGraph) -> None:
    views = _views(ds, graph)
    assert len(views) >= len(OWN) + 3
    for name, view in views.items():
        layout = _layout(view, name)
        texts = text_boxes(layout)
        edge_labels = [b for e in layout.get("edges", []) for b in text_boxes({"_ldraw_": e.get("_ldraw_", [])})]
        if choose_engine(view) == "dot":  # sfdp drops a link label rather than let it cover something
            assert len(texts) >= view.number_of_nodes() + view.number_of_edges(), name  # every label is drawn
        clashes = [(a[4], b[4]) for a, b in combinations(texts, 2) if _overlap(a, b)]
        assert clashes == [], f"{name}: labels overlap: {clashes[:3]}"
        on_nodes = [(t[4], n[4]) for t in edge_labels for n in node_boxes(layout) if _overlap(t, n)]
        assert on_nodes == [], f"{name}: link labels over nodes: {on_nodes[:3]}"


@pytest.mark.slow
def test_large_views_are_laid_out_by_sfdp_without_overlaps(graph: nx.MultiDiGraph) -> None:
    view = neighbourhood(graph, "Qingdao", 1)
    assert view.number_of_nodes() > DOT_LIMIT and choose_engine(view) == "sfdp"
    layout = _layout(view)
    texts = text_boxes(layout)
    assert [(a[4], b[4]) for a, b in combinations(texts, 2) if _overlap(a, b)] == []
    shown = sum(1 for o in layout["objects"] if o.get("shape") == "plaintext")  # link labels, pinned as texts
    assert shown >= 0.6 * view.number_of_edges()  # link labels are dropped only where they would cover something


def _svg(figure: Figure) -> ElementTree.Element:
    assert isinstance(figure.data, str)
    return ElementTree.fromstring(figure.data)


def _texts(root: ElementTree.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_svg_has_labels_arrowheads_link_labels_and_a_legend(graph: nx.MultiDiGraph) -> None:
    view = neighbourhood(graph, "COSMOPlat", 1)
    figure = kg.draw(view, title="COSMOPlat and its links")
    root = _svg(figure)
    text = " ".join(_texts(root))
    for _, data in view.nodes(data=True):
        assert data["label"].split()[0] in text
    for *_, data in view.edges(data=True):
        assert data["label"] in text
    for entry in netstyle.legend([d for _, d in view.nodes(data=True)]):
        assert entry.name in text
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == view.number_of_edges()
    assert all(g.find(f"{SVG}polygon") is not None for g in edges)  # every link has its arrowhead
    sizes = {float(t.get("font-size", "0")) for t in root.iter(f"{SVG}text")}
    assert min(sizes) >= 11 and 14 in sizes


def test_svg_refers_to_nothing_outside(graph: nx.MultiDiGraph) -> None:
    figure = kg.draw(neighbourhood(graph, "Haier", 1))
    assert "<!DOCTYPE" not in figure.data and "<!--" not in figure.data
    root = _svg(figure)
    for element in root.iter():
        assert element.tag.split("}")[1] not in {"script", "image", "a", "foreignObject", "use", "style"}
        for name, value in element.attrib.items():
            assert "href" not in name and not re.search(r"url\(|https?:", value), (name, value)


def test_hostile_labels_are_shown_as_text() -> None:
    g = nx.MultiDiGraph()
    for i, text in enumerate(HOSTILE):
        g.add_node(f"https://example.org/{i}", label=text, kind="entity", group=text, **{"class": "ex:Hostile"})
    for i in range(len(HOSTILE) - 1):
        g.add_edge(f"https://example.org/{i}", f"https://example.org/{i + 1}", key=str(i), label=HOSTILE[i + 1])
    g.add_node("https://example.org/ctl", label="bell\x07 and \x1b[31mred", kind="entity")
    for fmt in ("svg", "png", "pdf"):
        figure = draw_figure(g, fmt, title=HOSTILE[0] + " " + HOSTILE[6])
        assert len(figure.data) > 1000
    root = _svg(draw_figure(g, "svg", title=HOSTILE[0]))
    texts = " ".join(_texts(root))
    for text in HOSTILE:
        assert text in texts or all(word in texts for word in text.split()), text  # long labels wrap at spaces
    assert "bell and [31mred" in texts  # control characters become spaces
    assert "\\N \\G \\E \\L \\\\ end\\" in texts  # no Graphviz escape is expanded
    assert not any(el.tag.endswith(("script", "image", "a")) for el in root.iter())


def test_path_is_highlighted(graph: nx.MultiDiGraph) -> None:
    figure = kg.draw(entity_graph(graph), path=("chery", "qd:Haier"))  # any name: label in any case, alias, CURIE
    root = _svg(figure)
    thick = [
        g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge" and any(p.get("stroke-width") == "3.5" for p in g.iter(f"{SVG}path"))
    ]
    assert len(thick) >= 3  # Chery ← platform → COSMOPlat → Haier
    assert "Best path, in thick black:" in " ".join(_texts(root))
    with pytest.raises(KGError, match="no node of this graph is named 'Nokia'"):
        kg.draw(graph, path=("Chery", "Nokia"))


@pytest.mark.slow
@pytest.mark.browser
def test_png_and_pdf_open_in_real_readers(graph: nx.MultiDiGraph, browser, tmp_path: Path) -> None:
    view = paths_between(entity_graph(graph), "Chery", "Haier")
    png = kg.draw(view, fmt="png")
    image = Image.open(io.BytesIO(png.data)).convert("RGB")
    assert image.width > 1500 and image.height > 400
    assert _pixels(image, netstyle.FAMILIES[3].colour) > 1000  # Enterprise blue: Chery and Haier
    pdf = tmp_path / "path.pdf"
    kg.draw(view, fmt="pdf").save(pdf)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(pdf.as_uri())
    page.wait_for_timeout(1500)
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    page.close()
    assert _pixels(shot, netstyle.FAMILIES[3].colour) > 100  # Chromium's PDF viewer shows the figure


def _pixels(image: Image.Image, colour: str) -> int:
    want = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    data = image.tobytes()
    return sum(1 for i in range(0, len(data), 3) if all(abs(data[i + k] - want[k]) <= 6 for k in range(3)))


def test_figure_shows_in_jupyter_and_saves(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    figure = kg.draw(paths_between(graph, "Chery", "Haier"))
    assert figure._repr_svg_() == figure.data and figure._repr_png_() is None
    assert re.fullmatch(r"<Figure \(SVG\): \d+ nodes, \d+ links, drawn by Graphviz dot>", repr(figure))
    figure.save(tmp_path / "f.svg")
    assert ElementTree.parse(tmp_path / "f.svg").getroot().tag == f"{SVG}svg"
    with pytest.raises(KGError, match="nothing to draw"):
        kg.draw(nx.MultiDiGraph())
    with pytest.raises(KGError, match="unknown figure format"):
        kg.draw(graph, fmt="jpg")


@pytest.mark.slow
def test_cli_writes_figures_by_suffix_or_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    for suffix, magic in ((".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF")):
        result = runner.invoke(kg_cli, ["graph", "--path", "Chery", "Haier", "-o", f"fig{suffix}"])
        assert result.exit_code == 0, result.output
        assert magic in Path(here, f"fig{suffix}").read_bytes()[:200]
    for _ in range(2):  # no -o: a default name, never over a file already there
        result = runner.invoke(kg_cli, ["graph", "--focus", "COSMOPlat", "--format", "svg"])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path(here).glob("graph-*")) == [
        "graph-focus-cosmoplat-2.svg",
        "graph-focus-cosmoplat.svg",
    ]


def test_one_colour_per_class_in_every_drawing(ds: Dataset, graph: nx.MultiDiGraph) -> None:
    haier = str(URIRef("https://w3id.org/qingdao-kg/id/Haier"))
    fills = set()
    for view in (graph, neighbourhood(graph, "Haier", 1), paths_between(graph, "Chery", "Haier")):
        dot = to_dot(view)
        ids = {n: f"n{i}" for i, n in enumerate(sorted(view))}
        fills.add(re.search(rf'\b{ids[haier]} \[[^\]]*fillcolor="(#[0-9A-Fa-f]+)"', dot).group(1))
    assert fills == {netstyle.FAMILIES[3].colour}
