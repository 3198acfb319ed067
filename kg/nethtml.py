"""networkx graph → one self-contained, offline, escaped HTML page (vis-network, via pyvis).

pyvis builds the node and edge data and the vis-network options and ships vis-network itself; its
page template is not used, because even in ``in_line`` mode it links Bootstrap from a CDN, inserts
the heading and the node ids of its select menu as raw HTML, and switches tooltips to raw HTML as
soon as a title contains "href". The page here:

- inlines vis-network's JS and CSS from the copy in pyvis's package; the few ``http(s)://``
  strings in it (licence comments, the SVG namespace, error messages) are written with ``:\\/\\/``,
  which JavaScript reads as the same string, so the file holds no URL a browser could fetch;
- escapes every text from the data: HTML text through Jinja's autoescape, the node and edge data
  as JSON with ``<``, ``>``, ``&``, ``'`` and ``/`` escaped; tooltips are plain text (vis-network
  9 sets a string title with ``innerText``) and labels are drawn on the canvas;
- colours nodes by class with a legend, and lays out large graphs ahead (``kg.netlayout``) with
  physics off so they are interactive at once;
- sets ``window.kgNetwork`` and, after the first complete drawing, ``document.body.dataset.ready``.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from functools import cache
from pathlib import Path

import networkx as nx
from jinja2 import Environment
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from kg.errors import KGError
from kg.netlayout import PHYSICS_LIMIT, positions
from kg.outputs import write_text

#: Colours for classes, most frequent class first (Tableau 10, then further colours distinct from those).
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#bab0ac", "#17becf", "#bcbd22", "#393b79", "#8c564b", "#637939", "#7b4173", "#843c39", "#8c6d31",
    "#e377c2", "#7f7f7f",
)  # fmt: skip
OTHER_COLOUR = "#c7c7c7"
SHAPES = {"record": "diamond", "article": "square", "literal": "triangle", "ontology": "star"}
SHAPE_LEGEND = {
    "entity": "● entity",
    "record": "◆ record (figure, target, post)",
    "article": "■ article",
    "literal": "▲ value",
    "ontology": "★ ontology term",
    "statement": "● statement (reification)",
    "resource": "● resource without a class",
}
LABEL_MAX = 40
TEXT_MAX = 400

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ vis_css }}</style>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; }
header { padding: 10px 16px 6px; border-bottom: 1px solid #ddd; }
h1 { font-size: 20px; margin: 0 0 4px; }
.summary { font-size: 13px; color: #555; margin: 0; }
main { display: flex; height: calc(100vh - 70px); min-height: 420px; }
#mynetwork { flex: 1; position: relative; }
aside { width: 240px; overflow-y: auto; border-left: 1px solid #ddd; padding: 8px 12px; font-size: 13px; }
aside h2 { font-size: 14px; margin: 8px 0 4px; }
aside ul { list-style: none; padding: 0; margin: 0; }
aside li { display: flex; align-items: center; gap: 6px; margin: 2px 0; overflow-wrap: anywhere; }
.swatch { width: 12px; height: 12px; border-radius: 50%; flex: none; border: 1px solid #0002; }
.count { color: #777; margin-left: auto; flex: none; overflow-wrap: normal; }
.hint { color: #666; }
#find { width: 100%; box-sizing: border-box; padding: 4px; margin: 4px 0; }
div.vis-tooltip { font-family: inherit; white-space: pre-wrap; max-width: 420px; font-size: 12px; line-height: 1.35; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="summary">{{ summary }}</p>
</header>
<main>
<div id="mynetwork"></div>
<aside>
<h2>Find</h2>
<input id="find" type="search" placeholder="a label…" list="kg-labels" aria-label="Find a node by label">
<datalist id="kg-labels">{% for label in find_labels %}<option value="{{ label }}">{% endfor %}</datalist>
<h2>Classes</h2>
<ul id="legend">{% for item in legend %}
<li><span class="swatch" style="background: {{ item.colour }}"></span><span>{{ item.name }}</span>\
<span class="count">{{ item.count }}</span></li>{% endfor %}
</ul>
<h2>Shapes</h2>
<ul>{% for shape in shapes %}<li>{{ shape }}</li>{% endfor %}</ul>
<p class="hint">Hover a node or link for its class, description, sources and evidence.
Scroll to zoom, drag to move.</p>
</aside>
</main>
<script>{{ vis_js }}</script>
<script>
(function () {
  var nodes = new vis.DataSet({{ nodes_json }});
  var edges = new vis.DataSet({{ edges_json }});
  var options = {{ options_json }};
  var container = document.getElementById("mynetwork");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  window.kgNetwork = network;
  var settled = !options.physics.enabled;
  network.once("stabilizationIterationsDone", function () {
    settled = true;
    network.setOptions({physics: false});
    network.fit();
  });
  network.on("afterDrawing", function () {
    if (settled && !document.body.dataset.ready) { document.body.dataset.ready = "true"; }
  });
  if (!settled) {
    setTimeout(function () { settled = true; network.redraw(); }, 10000);
  }
  var find = document.getElementById("find");
  find.addEventListener("change", function () {
    var wanted = find.value.trim().toLowerCase();
    var hit = nodes.get({filter: function (n) { return n.label.toLowerCase() === wanted; }})[0] ||
      nodes.get({filter: function (n) { return n.label.toLowerCase().indexOf(wanted) >= 0; }})[0];
    if (hit) {
      network.selectNodes([hit.id]);
      network.focus(hit.id, {scale: 1.2, animation: true});
    }
  });
}());
</script>
</body>
</html>
"""


@cache
def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS from pyvis's package, with every ``://`` written as ``:\\/\\/``."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # In the minified JS "://" only occurs inside comments and string literals, where "\/" is "/".
    js = js.replace("://", ":\\/\\/")
    if "://" in css:
        raise KGError("pyvis's vis-network.css refers to a URL; the page would not be self-contained")
    return js, css


def _json(data: object) -> str:
    """JSON safe inside a <script>: Jinja escapes < > & ', and "/" becomes "\\/" (the same string in JSON)."""
    return str(htmlsafe_json_dumps(data)).replace("/", "\\/")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _node_title(data: dict) -> str:
    lines = [data.get("label", "")]
    if data.get("class_label"):
        lines.append(f"Class: {data['class_label']}")
    if data.get("iri"):
        lines.append(data["iri"])
    if data.get("description"):
        lines.append(_cut(data["description"], TEXT_MAX))
    if data.get("sources"):
        lines.append(f"Sources: {', '.join(data['sources'].split())}")
    return "\n".join(lines)


def _edge_title(graph: nx.MultiDiGraph, u: str, v: str, data: dict) -> str:
    name = graph.nodes[u].get("label", u), data.get("label", ""), graph.nodes[v].get("label", v)
    lines = [f"{name[0]} — {name[1]} → {name[2]}"]
    if data.get("sources"):
        lines.append(f"Sources: {', '.join(data['sources'].split())}")
    if data.get("evidence"):
        lines.append(f"Evidence: “{_cut(data['evidence'], TEXT_MAX)}”")
    if data.get("rationale"):
        lines.append(f"Rationale: {_cut(data['rationale'], TEXT_MAX)}")
    return "\n".join(lines)


def _colours(graph: nx.MultiDiGraph) -> tuple[dict[str, str], list[dict[str, object]]]:
    counts = Counter(group or "other" for _, group in graph.nodes(data="group"))
    ordered = sorted(counts, key=lambda g: (-counts[g], g))
    colour = {g: PALETTE[i] if i < len(PALETTE) else OTHER_COLOUR for i, g in enumerate(ordered)}
    legend = [{"name": g, "colour": colour[g], "count": counts[g]} for g in ordered]
    return colour, legend


def build_network(graph: nx.MultiDiGraph, focus: str | None = None):
    """The pyvis Network of a graph: coloured, sized by links, laid out ahead when large."""
    from pyvis.edge import Edge
    from pyvis.network import Network
    from pyvis.node import Node

    large = graph.number_of_nodes() > PHYSICS_LIMIT
    colour, _ = _colours(graph)
    pos = positions(graph) if large else {}
    net = Network(directed=True, cdn_resources="in_line")
    # Network.add_node/add_edge check membership in a list (quadratic: minutes for 5,000 nodes), so the
    # nodes and edges are built with pyvis's Node and Edge classes and appended.
    for nid, data in graph.nodes(data=True):
        degree = graph.degree(nid)
        opts = {
            "title": _node_title(data),
            "color": colour[data.get("group") or "other"],
            "size": 10 + 3 * math.sqrt(degree) + (12 if nid == focus else 0),
        }
        if nid == focus:
            opts["borderWidth"] = 4
        if nid in pos:
            opts["x"], opts["y"] = pos[nid]
        shape = SHAPES.get(data.get("kind", ""), "dot")
        net.nodes.append(Node(nid, shape, _cut(data.get("label", nid), LABEL_MAX), **opts).options)
        net.node_ids.append(nid)
    for u, v, key, data in graph.edges(keys=True, data=True):
        opts = {"id": key, "title": _edge_title(graph, u, v, data)}
        if not large:  # edge labels cost drawing time; large graphs keep them in the tooltip
            sources = ", ".join(data.get("sources", "").split())
            opts["label"] = f"{data.get('label', '')} ({sources})" if sources else data.get("label", "")
        net.edges.append(Edge(u, v, directed=True, **opts).options)
    # A dict is what pyvis's get_network_data expects when options are set directly.
    net.options = {
        "physics": {
            "enabled": not large,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 120},
            "stabilization": {"iterations": 400},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
            "smooth": False if large else {"type": "dynamic"},
            "font": {"size": 11, "align": "middle", "color": "#555555", "strokeWidth": 3},
            "color": {"color": "#9aa5b1", "highlight": "#333333"},
        },
        "nodes": {"font": {"size": 14, "strokeWidth": 3, "strokeColor": "#ffffff"}, "borderWidth": 1},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        # positions are given for large graphs; vis-network's own initial layout would only cost time
        "layout": {"improvedLayout": not large, "randomSeed": 1},
    }
    return net


def render_html(graph: nx.MultiDiGraph, title: str, focus: str | None = None, summary: str = "") -> str:
    """The whole page as a string."""
    net = build_network(graph, focus)
    nodes, edges, _, _, _, options = net.get_network_data()
    _, legend = _colours(graph)
    js, css = _vis_assets()
    env = Environment(autoescape=True, finalize=_escape_text)
    page = env.from_string(_PAGE).render(
        title=title,
        summary=summary or f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} links",
        legend=legend,
        find_labels=sorted({n["label"] for n in nodes}),
        shapes=[text for kind, text in SHAPE_LEGEND.items() if kind in {k for _, k in graph.nodes(data="kind")}],
        nodes_json=Markup(_json(nodes)),
        edges_json=Markup(_json(edges)),
        options_json=Markup(_json(json.loads(options))),
        vis_js=Markup(js),
        vis_css=Markup(css),
    )
    return page


def _escape_text(value: object) -> object:
    """Jinja finalizer: data text is HTML-escaped, with "/" as "&#47;" so an IRI in a label is no URL."""
    if hasattr(value, "__html__"):
        return value
    return Markup(str(escape(value)).replace("/", "&#47;"))


def write_html(graph: nx.MultiDiGraph, path: Path, title: str, focus: str | None = None, summary: str = "") -> None:
    """Write the page to ``path`` (one file, nothing else needed beside it)."""
    write_text(Path(path), render_html(graph, title, focus, summary))


def notebook_view(graph: nx.MultiDiGraph, title: str, focus: str | None = None, height: int = 650):
    """Display in a notebook as ``<iframe srcdoc=…>``: works in JupyterLab, VS Code and Colab, where
    pyvis's ``show()`` (an IFrame of a file path) does not. The frame is sandboxed to scripts only."""
    from IPython.display import HTML

    page = render_html(graph, title, focus)
    style = f"width: 100%; height: {int(height)}px; border: 1px solid #ddd;"
    return HTML(  # wrapped in a div: IPython warns about a bare <iframe> and suggests the IFrame that breaks
        f'<div><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="{style}" title="{html.escape(title)}"></iframe></div>'
    )
