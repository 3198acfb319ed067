"""Static figures (SVG, PNG, PDF) of a networkx view, drawn by Graphviz: readable in a paper, the same colours as
the interactive page.

Graphviz places labels itself (matplotlib's networkx drawing overlaps them): ``dot`` makes each edge
label a rank of its own, so no label covers another; it is used up to ``DOT_LIMIT`` nodes. Larger
views are laid out by ``sfdp`` with node overlaps removed, and their link labels become ``xlabel``s,
which Graphviz drops where they would cover something (``forcelabels=false``): the links stay drawn.

Safety: node ids in the DOT text are ``n0``, ``n1`` …, never data; every text from the data goes in an
HTML-like label, XML-escaped, with control characters (which XML forbids) replaced by spaces, so no
label can end the string, start a new attribute, or be read as a Graphviz escape (``\\N``, ``\\G``:
every backslash is doubled, which Graphviz reads back as one). The SVG is cleaned of the DOCTYPE (a
reference to an outside DTD) and of the ``<title>`` elements holding the internal node ids; it refers
to nothing outside itself.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
from rdflib import Graph

from kg.dataset.outputs import write_bytes
from kg.engines.limits import expired, remaining
from kg.errors import KGError
from kg.graph import style as netstyle
from kg.graph.html import path_edges
from kg.graph.names import find_node
from kg.graph.views import best_path
from kg.vocab.formats import FIGURES

#: Up to this many nodes ``dot`` draws the figure, above it ``sfdp``. Measured on the shipped graph: dot places
#: every link label with no overlap at any size, but around a hub its ranks grow long (Qingdao's 80-node
#: neighbourhood: 27 x 62 in, against 24 x 22 in by sfdp, which drops a quarter of the link labels there and
#: 3-5 % of them in the 25-40-node views, where dot keeps them all).
DOT_LIMIT = 60
#: Up to this many nodes links are routed around nodes (splines=true: 0.6 s for 80 nodes, 7 s for 212);
#: above it they are straight (0.2 s for 212 nodes).
SPLINE_LIMIT = 150
FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
NODE_FONT_PT = 14
EDGE_FONT_PT = 11
LINE_WIDTH = 24  # node labels wrap at this many characters
EDGE_LINE_WIDTH = 30
DPI = 200  # PNG resolution: sharp when printed at column width
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Figure:
    """A drawn figure: ``data`` is SVG text, or PNG / PDF bytes. Shows itself in Jupyter."""

    data: str | bytes
    fmt: str
    nodes: int
    links: int
    engine: str

    def _repr_svg_(self) -> str | None:
        return self.data if self.fmt == "svg" and isinstance(self.data, str) else None

    def _repr_png_(self) -> bytes | None:
        return self.data if self.fmt == "png" and isinstance(self.data, bytes) else None

    def _repr_pdf_(self) -> bytes | None:
        return self.data if self.fmt == "pdf" and isinstance(self.data, bytes) else None

    def __repr__(self) -> str:
        return f"<Figure ({self.fmt.upper()}): {self.nodes} nodes, {self.links} links, drawn by Graphviz {self.engine}>"

    def save(self, path: Path | str) -> None:
        """Write the figure to ``path`` (through kg.dataset.outputs: never over the shipped graph, never
        half-written)."""
        write_bytes(Path(path), self.data.encode("utf-8") if isinstance(self.data, str) else self.data)


def _text(value: object) -> str:
    """Data text for an HTML-like label: control characters out, backslashes doubled (Graphviz reads ``\\N``
    as the node's name even there, ``\\\\`` as one backslash), XML special characters escaped."""
    return html.escape(_CONTROL.sub(" ", str(value)).replace("\\", "\\\\"), quote=True)


def _lines(text: str, width: int, limit: int = 4) -> str:
    lines = textwrap.wrap(" ".join(_CONTROL.sub(" ", text).split()), width, break_long_words=True) or [""]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1][: width - 1] + "…"]
    return "<BR/>".join(_text(line) for line in lines)


def _edge_label(data: dict) -> str:
    sources = ", ".join(data.get("sources", "").split())
    return _lines(f"{data.get('label', '')} ({sources})" if sources else data.get("label", ""), EDGE_LINE_WIDTH, 2)


_ROW = '<TR><TD ALIGN="LEFT" BALIGN="LEFT">{}</TD></TR>'
_TABLE = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">{}</TABLE>'
_SHAPES = {"record": ("box", "filled"), "article": ("note", "filled"), "literal": ("ellipse", "filled")}
_SHAPE_NAMES = {"entity": "rounded box", "record": "square box", "article": "page", "literal": "ellipse"}


def _legend(graph: nx.MultiDiGraph, title: str, path_label: str) -> str:
    """The graph's label: the title, one entry per colour family in the view (two a row, in a table of their own
    so a long title does not stretch them), the shapes and the path key."""
    rows = []
    if title:
        rows.append(_ROW.format(f'<FONT POINT-SIZE="18"><B>{_lines(title, 90, 3)}</B></FONT>'))
    entries = []
    for entry in netstyle.legend([data for _, data in graph.nodes(data=True)]):
        classes = [c for c in entry.classes if c != entry.name]
        extra = f' <FONT COLOR="#555555">({_text(", ".join(classes))})</FONT>' if classes else ""
        entries.append(f'<FONT COLOR="{entry.colour}" POINT-SIZE="16">■</FONT> {_text(entry.name)}{extra}')
    rows += [_ROW.format("     ".join(entries[i : i + 3])) for i in range(0, len(entries), 3)]
    kinds = {data.get("kind") for _, data in graph.nodes(data=True)}
    shapes = [f"{_SHAPE_NAMES[k]}: {netstyle.KIND_NAMES[k]}" for k in _SHAPE_NAMES if k in kinds]
    if len(shapes) > 1:
        rows.append(_ROW.format(_text("; ".join(shapes))))
    if path_label:
        rows.append(_ROW.format(f"<B>Best path, in thick black:</B>&#160;{_lines(path_label, 100, 3)}"))
    if graph.graph.get("left_out"):
        shown = f"Showing {graph.graph['shown']}; left out: {graph.graph['left_out']}"
        rows.append(_ROW.format(_lines(shown, 110, 4)))
    return "<" + _TABLE.format("".join(rows)) + ">"


def to_dot(
    graph: nx.MultiDiGraph,
    title: str = "",
    focus: str | None = None,
    engine: str | None = None,
    fixed: dict | None = None,
) -> str:
    """The DOT text of a figure of ``graph`` (the best path, ``graph.graph["path"]``, in thick black).

    ``fixed`` (from ``_fixed``) pins a finished layout: node and link positions, and which link labels stay.
    """

    engine = engine or choose_engine(graph)
    ids = {n: f"n{i}" for i, n in enumerate(sorted(graph))}
    on_path, path_links = path_edges(graph)
    path_label = " → ".join(graph.nodes[n].get("label", n) for n in on_path)
    out = [
        "digraph figure {",
        f'graph [charset="UTF-8", fontname="{FONT}", fontsize=13, labelloc=t, labeljust=l, pad=0.3, '
        f"label={_legend(graph, title, path_label)}];",
        f'node [fontname="{FONT}", fontsize={NODE_FONT_PT}, margin="0.12,0.06", penwidth=1.2];',
        f'edge [fontname="{FONT}", fontsize={EDGE_FONT_PT}, fontcolor="{netstyle.EDGE_FONT_COLOUR}", '
        f'color="{netstyle.EDGE_COLOUR}", arrowsize=0.8, penwidth=1.2];',
    ]
    if engine == "dot":
        out.append("graph [rankdir=LR, nodesep=0.25, ranksep=0.5, newrank=true];")
    else:
        splines = "true" if graph.number_of_nodes() <= SPLINE_LIMIT else "false"
        out.append(f'graph [overlap=prism, overlap_scaling=-4, sep="+10", splines={splines}, forcelabels=false];')
    for n in sorted(graph):
        data = graph.nodes[n]
        fill = netstyle.colour(data)
        shape, style = _SHAPES.get(data.get("kind", ""), ("box", "rounded,filled"))
        attrs = [
            f"label=<{_lines(data.get('label', n), LINE_WIDTH)}>",
            f"shape={shape}",
            f'style="{style}"',
            f'fillcolor="{fill}"',
            f'fontcolor="{netstyle.text_colour(fill)}"',
            f'color="{netstyle.PATH_COLOUR if n in on_path or n == focus else "#333333"}"',
        ]
        if n in on_path or n == focus:
            attrs.append("penwidth=3.5")
        if fixed is not None:
            attrs.append(f'pos="{fixed["nodes"][ids[n]]}!"')
        out.append(f"{ids[n]} [{', '.join(attrs)}];")
    label_attr = "label" if engine == "dot" else "xlabel"
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: (ids[e[0]], ids[e[1]], e[2]))
    for index, (u, v, _, data) in enumerate(edges):
        attrs = [f"{label_attr}=<{_edge_label(data)}>", f'id="e{index}"']  # Graphviz numbers edges otherwise
        if fixed is not None:  # neato -n2 places edge labels anew: a kept one becomes a text pinned where sfdp put it
            placed = fixed["edges"].get(index)
            if placed:
                linked = frozenset((u, v)) in path_links
                colour = f'fontcolor="{netstyle.PATH_COLOUR if linked else netstyle.EDGE_FONT_COLOUR}"'
                out.append(
                    f"l{index} [shape=plaintext, label=<{_edge_label(data)}>, fontsize={EDGE_FONT_PT}, {colour}, "
                    f'width=0, height=0, margin=0, pos="{placed}!"];'
                )
            attrs = [f'pos="{fixed["splines"][index]}"']
        if frozenset((u, v)) in path_links:
            attrs += [f'color="{netstyle.PATH_COLOUR}"', "penwidth=3.5", f'fontcolor="{netstyle.PATH_COLOUR}"']
        out.append(f"{ids[u]} -> {ids[v]} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out)


def figure_dot(
    graph: nx.MultiDiGraph, title: str = "", focus: str | None = None, engine: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """The DOT text that draws the figure, and the Graphviz program (with options) to draw it with.

    ``sfdp`` leaves out a link label it cannot place (``forcelabels=false``), but its placer still lets
    two labels overlap now and then (seen on a 68-node view). So its layout is read back, every link label
    that would cover a node, a node's label, the legend or a link label kept before it is left out, and
    the figure is drawn from those fixed positions by ``neato -n2``.
    """
    engine = engine or choose_engine(graph)
    dot = to_dot(graph, title, focus, engine)
    if engine == "dot":
        return dot, ("dot",)
    layout = json.loads(graphviz(dot, engine, "json"))
    return to_dot(graph, title, focus, engine, fixed=_fixed(layout)), ("neato", "-n2")


def _fixed(layout: dict) -> dict:
    """Node positions, link splines and the link labels that stay (edge index → label position) of a layout."""
    taken = [*_texts(layout.get("_ldraw_", []))]
    for obj in layout.get("objects", []):
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            w, h = float(obj["width"]) * 36, float(obj["height"]) * 36  # inches, halved, in points
            taken.append((x - w, y - h, x + w, y + h))
    kept: dict[int, str] = {}
    for edge in layout.get("edges", []):
        boxes = _texts(edge.get("_ldraw_", []))  # none where sfdp dropped the label (it still reports an xlp)
        if boxes and not any(_overlaps(box, other) for box in boxes for other in taken):
            kept[int(edge["id"][1:])] = edge["xlp"]
            taken.extend(boxes)
    return {
        "nodes": {obj["name"]: obj["pos"] for obj in layout.get("objects", []) if "pos" in obj},
        "splines": {int(edge["id"][1:]): edge["pos"] for edge in layout.get("edges", [])},
        "edges": kept,
    }


def _texts(ops: list[dict]) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) of each text in Graphviz drawing operations (-Tjson), as it measured them."""
    boxes, size = [], 14.0
    for op in ops:
        if op["op"] == "F":
            size = op["size"]
        elif op["op"] == "T" and op["text"].strip():
            (x, y), width = op["pt"], op["width"]
            left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            boxes.append((left, y - 0.22 * size, left + width, y + 0.78 * size))
    return boxes


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0


def choose_engine(graph: nx.MultiDiGraph) -> str:
    return "dot" if graph.number_of_nodes() <= DOT_LIMIT else "sfdp"


def graphviz(dot: str, engine: str, fmt: str, *options: str) -> bytes:
    """Run a Graphviz layout engine on DOT text and return its output in ``fmt`` (svg, png, pdf, json …)."""
    program = shutil.which(engine)
    if program is None:
        raise KGError(f"Graphviz's {engine} is not installed; static figures need Graphviz (Debian package graphviz)")
    args = [program, *options, f"-T{fmt}"] + ([f"-Gdpi={DPI}"] if fmt == "png" else [])
    try:
        proc = subprocess.run(args, input=dot.encode("utf-8"), capture_output=True, timeout=remaining(), check=False)
    except subprocess.TimeoutExpired:
        raise expired() from None
    if proc.returncode != 0 or not proc.stdout:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise KGError(f"Graphviz {engine} failed: {message[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout


def clean_svg(svg: bytes, title: str) -> str:
    """Graphviz's SVG without its DOCTYPE, comments and internal ``<title>``s; the figure's title as the SVG's."""
    ElementTree.register_namespace("", SVG_NS)
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ElementTree.fromstring(svg)
    for parent in root.iter():
        for child in [c for c in parent if c.tag == f"{{{SVG_NS}}}title"]:
            parent.remove(child)
    root.set("style", "max-width: 100%; height: auto")  # fits a notebook's or a page's width, scaled as a whole
    heading = ElementTree.Element(f"{{{SVG_NS}}}title")
    heading.text = _CONTROL.sub(" ", title) or "Knowledge graph figure"
    root.insert(0, heading)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def draw_figure(
    graph: nx.MultiDiGraph, fmt: str = "svg", title: str = "", focus: str | None = None, engine: str | None = None
) -> Figure:
    """The figure of ``graph`` as SVG text or PNG/PDF bytes. An empty graph is an error, not a blank figure."""
    if fmt not in FIGURES:
        raise KGError(f"unknown figure format {fmt!r}; use one of {', '.join(FIGURES)}")
    if graph.number_of_nodes() == 0:
        raise KGError("the graph has no node, so there is nothing to draw")
    engine = engine or choose_engine(graph)
    dot, (program, *options) = figure_dot(graph, title, focus, engine)
    raw = graphviz(dot, program, fmt, *options)
    data: str | bytes = clean_svg(raw, title) if fmt == "svg" else raw
    return Figure(data, fmt, graph.number_of_nodes(), graph.number_of_edges(), engine)


def draw(
    graph: nx.MultiDiGraph,
    path: tuple[str, str] | None = None,
    fmt: str = "svg",
    title: str = "",
    focus: str | None = None,
    ds: Graph | None = None,
) -> Figure:
    """A static figure of ``graph`` (``kg.draw``): SVG text, or PNG / PDF bytes; shown inline in Jupyter.

    ``path=("Chery", "Haier")`` highlights the best path between two nodes of ``graph`` (a view from
    ``paths_between`` highlights its own); ``focus`` outlines one node. Nodes are named as everywhere: IRI,
    CURIE, label or alias, resolved against ``graph`` (or against ``ds``, a Dataset, when given).
    ``Figure.save(file)`` writes it.
    """

    if path is not None:
        a, b = (find_node(graph, name, ds) for name in path)
        graph = graph.copy()
        graph.graph["path"] = " ".join(best_path(graph, a, b))
    centre = find_node(graph, focus, ds) if focus is not None else None
    return draw_figure(graph, fmt, title, centre)
