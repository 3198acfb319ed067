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
- colours nodes by class (``kg.graph.style``, the same colours as every other drawing) with a legend, and
  lays out large graphs ahead (``kg.graph.layout``) with physics off so they are interactive at once;
- keeps labels readable: vis-network scales text with the zoom, so a 14 px label of a view fitted to
  the window is drawn at 7 px. Up to ``KEEP_LABELS`` nodes (what fits a window) the page enlarges the
  fonts as the view zooms out, down to the zoom that shows the whole view, so node labels stay at 14 px
  on screen and link labels at 12 px. Below that zoom, and in larger views, where enlarged labels would
  bury each other, a label is drawn only when the zoom makes it that large: never as unreadable mush;
- highlights the best path of a path view (``graph.graph["path"]``) in thick black;
- finds a node by any of its names (label or alias, whole or part, any case) in the Find box;
- sets ``window.kgNetwork`` and, after the first complete drawing, ``document.body.dataset.ready``.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
from jinja2 import Environment
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from kg.dataset.outputs import write_text
from kg.errors import KGError
from kg.graph import style as netstyle
from kg.graph.layout import PHYSICS_LIMIT, positions
from kg.graph.names import names

if TYPE_CHECKING:
    from IPython.display import HTML
    from pyvis.network import Network

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
LINE_WIDTH = 28  # a label longer than this wraps
LABEL_LINES = 3  # and is cut after this many lines (the whole name is in the tooltip and the Find box)
TEXT_MAX = 400
KEEP_LABELS = 60  # views up to this many nodes keep their labels readable at any zoom

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
.summary { font-size: 14px; color: #444; margin: 0; }
main { display: flex; height: calc(100vh - 70px); min-height: 420px; }
#mynetwork { flex: 1; position: relative; }
aside { width: 260px; overflow-y: auto; border-left: 1px solid #ddd; padding: 8px 12px; font-size: 14px; }
aside h2 { font-size: 15px; margin: 10px 0 4px; }
aside ul { list-style: none; padding: 0; margin: 0; }
aside li { display: flex; align-items: flex-start; gap: 6px; margin: 4px 0; overflow-wrap: anywhere; }
.swatch { width: 14px; height: 14px; border-radius: 50%; flex: none; border: 1px solid #0003; margin-top: 2px; }
.classes { display: block; color: #555; font-size: 13px; }
.count { color: #555; margin-left: auto; flex: none; overflow-wrap: normal; }
.hint { color: #555; }
.path-key { display: inline-block; width: 26px; height: 4px; background: #000; vertical-align: middle; }
#find { width: 100%; box-sizing: border-box; padding: 4px; margin: 4px 0; font-size: 14px; }
#find-result { margin: 2px 0 6px; min-height: 1.2em; }
div.vis-tooltip { font-family: inherit; white-space: pre-wrap; max-width: 420px; font-size: 13px; line-height: 1.35; }
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
<input id="find" type="search" placeholder="a name or alias…" list="kg-names" aria-label="Find a node by name or alias">
<datalist id="kg-names">{% for name in find_names %}<option value="{{ name }}">{% endfor %}</datalist>
<p id="find-result" role="status"></p>
{% if path %}<h2>Path</h2>
<p><span class="path-key"></span> the best path, {{ path }}</p>{% endif %}
{% if left_out %}<h2>Left out</h2>
<p id="left-out">{{ left_out }}.</p>
<p class="hint">Shown: the nearest first; at each distance the classes take turns, each sending its best supported
(the most sources) first.</p>{% endif %}
<h2>Classes</h2>
<ul id="legend">{% for item in legend %}
<li><span class="swatch" style="background: {{ item.colour }}"></span><span>{{ item.name }}\
{% if item.classes != [item.name] %}<span class="classes">{{ item.classes | join(", ") }}</span>{% endif %}</span>\
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
  var fonts = {{ fonts_json }};
  var container = document.getElementById("mynetwork");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  window.kgNetwork = network;
  var settled = !options.physics.enabled;
  var factor = 1, whole = 1;
  function readable() {
    if (!fonts.keep) { return; }
    var wanted = Math.max(1, 1 / Math.max(network.getScale(), whole));
    if (Math.abs(wanted - factor) / factor < 0.02) { return; }
    factor = wanted;
    network.setOptions({nodes: {font: {size: fonts.node * factor}}, edges: {font: {size: fonts.edge * factor}}});
  }
  network.on("zoom", readable);
  network.once("stabilizationIterationsDone", function () {
    settled = true;
    network.setOptions({physics: false});
    network.fit();
    whole = Math.min(1, network.getScale());
    readable();
  });
  network.on("afterDrawing", function () {
    if (settled && !document.body.dataset.ready) { document.body.dataset.ready = "true"; }
  });
  if (!settled) {
    setTimeout(function () { settled = true; network.redraw(); }, 10000);
  } else {
    whole = Math.min(1, network.getScale());
    readable();
  }
  function norm(text) { return text.normalize("NFKC").toLowerCase().replace(/\\s+/g, " ").trim(); }
  var find = document.getElementById("find");
  var found = document.getElementById("find-result");
  function search() {
    var wanted = norm(find.value);
    if (!wanted) { found.textContent = ""; return; }
    var exact = [], partial = [];
    nodes.forEach(function (n) {
      var all = n.names.map(norm);
      if (all.indexOf(wanted) >= 0) { exact.push(n); }
      else if (all.some(function (name) { return name.indexOf(wanted) >= 0; })) { partial.push(n); }
    });
    var hits = exact.length ? exact : partial;
    if (!hits.length) {
      network.unselectAll();
      found.textContent = "No node is named “" + find.value.trim() + "”.";
      return;
    }
    var ids = hits.map(function (n) { return n.id; });
    network.selectNodes(ids);
    if (ids.length === 1) { network.focus(ids[0], {scale: Math.max(network.getScale(), 1), animation: false}); }
    else { network.fit({nodes: ids, animation: false}); }
    readable();
    found.textContent = hits.length === 1 ? "Found: " + hits[0].names[0]
      : hits.length + " nodes: " + hits.map(function (n) { return n.names[0]; }).join("; ");
  }
  find.addEventListener("change", search);
  find.addEventListener("keydown", function (e) { if (e.key === "Enter") { search(); } });
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


def _wrapped(label: str) -> str:
    """A long label over a few lines, cut after ``LABEL_LINES``: canvas labels do not wrap by themselves."""
    lines = textwrap.wrap(label, LINE_WIDTH, break_long_words=True) or [label]
    if len(lines) > LABEL_LINES:
        lines = [*lines[: LABEL_LINES - 1], _cut(" ".join(lines[LABEL_LINES - 1 :]), LINE_WIDTH)]
    return "\n".join(lines)


def path_edges(graph: nx.MultiDiGraph) -> tuple[list[str], set[frozenset[str]]]:
    """The best path's nodes (``graph.graph["path"]``) and its links, as unordered pairs."""
    nodes = [n for n in str(graph.graph.get("path", "")).split() if n in graph]
    return nodes, {frozenset(pair) for pair in pairwise(nodes)}


def build_network(graph: nx.MultiDiGraph, focus: str | None = None) -> Network:
    """The pyvis Network of a graph: coloured by class, sized by links, laid out ahead when large."""
    from pyvis.edge import Edge
    from pyvis.network import Network
    from pyvis.node import Node

    large = graph.number_of_nodes() > PHYSICS_LIMIT
    pos = positions(graph) if large else {}
    on_path, path_links = path_edges(graph)
    net = Network(directed=True, cdn_resources="in_line")
    # Network.add_node/add_edge check membership in a list (quadratic: minutes for 5,000 nodes), so the
    # nodes and edges are built with pyvis's Node and Edge classes and appended.
    for nid, data in graph.nodes(data=True):
        fill = netstyle.colour(data)
        colour: dict[str, object] = {
            "background": fill,
            "border": "#333333",
            "highlight": {"background": fill, "border": "#000000"},
        }
        opts: dict[str, object] = {
            "title": _node_title(data),
            "color": colour,
            "size": 10 + 3 * math.sqrt(graph.degree(nid)) + (12 if nid == focus else 0),
            "names": names(graph, nid),
        }
        if nid == focus or nid in on_path:
            opts["borderWidth"] = 4
            colour["border"] = netstyle.PATH_COLOUR
        if nid in pos:
            opts["x"], opts["y"] = pos[nid]
        shape = SHAPES.get(data.get("kind", ""), "dot")
        net.nodes.append(Node(nid, shape, _wrapped(data.get("label", nid)), **opts).options)
        net.node_ids.append(nid)
    for u, v, key, data in graph.edges(keys=True, data=True):
        opts = {"id": key, "title": _edge_title(graph, u, v, data)}
        if not large:  # edge labels cost drawing time; large graphs keep them in the tooltip
            sources = ", ".join(data.get("sources", "").split())
            opts["label"] = f"{data.get('label', '')} ({sources})" if sources else data.get("label", "")
        if frozenset((u, v)) in path_links:
            opts["width"] = 5
            opts["color"] = {"color": netstyle.PATH_COLOUR, "highlight": netstyle.PATH_COLOUR}
            opts["path"] = True
        net.edges.append(Edge(u, v, directed=True, **opts).options)
    # A dict is what pyvis's get_network_data expects when options are set directly.
    net.options = {
        "physics": {
            "enabled": not large,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -90, "springLength": 170, "avoidOverlap": 0.6},
            "stabilization": {"iterations": 400},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.9}},
            "width": 1.5,
            "smooth": False if large else {"type": "dynamic"},
            "font": {
                "size": netstyle.EDGE_FONT_PX,
                "align": "horizontal",
                "color": netstyle.EDGE_FONT_COLOUR,
                "strokeWidth": 4,
                "strokeColor": "#ffffff",
            },
            "scaling": {"label": {"drawThreshold": netstyle.EDGE_FONT_PX}},
            "color": {"color": netstyle.EDGE_COLOUR, "highlight": "#222222", "hover": "#222222"},
        },
        "nodes": {
            "font": {"size": netstyle.NODE_FONT_PX, "color": "#111111", "strokeWidth": 4, "strokeColor": "#ffffff"},
            "borderWidth": 1,
            "scaling": {"label": {"drawThreshold": netstyle.NODE_FONT_PX}},
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        # positions are given for large graphs; vis-network's own initial layout would only cost time
        "layout": {"improvedLayout": not large, "randomSeed": 1},
    }
    return net


def render_html(graph: nx.MultiDiGraph, title: str, focus: str | None = None, summary: str = "") -> str:
    """The whole page as a string; a graph without nodes is an error, never a blank page."""
    if graph.number_of_nodes() == 0:
        raise KGError("the graph has no node, so there is nothing to draw")
    net = build_network(graph, focus)
    nodes, edges, _, _, _, options = net.get_network_data()
    js, css = _vis_assets()
    on_path, _ = path_edges(graph)
    kinds = {data.get("kind") for _, data in graph.nodes(data=True)}
    env = Environment(autoescape=True, finalize=_escape_text)
    page = env.from_string(_PAGE).render(
        title=title,
        summary=summary or _summary(graph),
        left_out=graph.graph.get("left_out", ""),
        legend=[entry.__dict__ | {"classes": list(entry.classes)} for entry in netstyle.legend(_node_data(graph))],
        find_names=sorted({name for nid in graph for name in names(graph, nid, hidden=False)}, key=str.casefold),
        path=" → ".join(graph.nodes[n].get("label", n) for n in on_path),
        shapes=[text for kind, text in SHAPE_LEGEND.items() if kind in kinds],
        nodes_json=Markup(_json(nodes)),
        edges_json=Markup(_json(edges)),
        options_json=Markup(_json(json.loads(options))),
        fonts_json=Markup(
            _json({"node": netstyle.NODE_FONT_PX, "edge": netstyle.EDGE_FONT_PX, "keep": len(graph) <= KEEP_LABELS})
        ),
        vis_js=Markup(js),
        vis_css=Markup(css),
    )
    return page


def _summary(graph: nx.MultiDiGraph) -> str:
    """The line under the heading: the counts, and for a view a node budget cut short, how much it shows."""
    if graph.graph.get("shown"):
        return f"Showing {graph.graph['shown']} (the rest is listed under Left out), {graph.number_of_edges()} links"
    return f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} links"


def _node_data(graph: nx.MultiDiGraph) -> list[dict]:
    return [data for _, data in graph.nodes(data=True)]


def _escape_text(value: object) -> object:
    """Jinja finalizer: data text is HTML-escaped, with "/" as "&#47;" so an IRI in a label is no URL."""
    if hasattr(value, "__html__"):
        return value
    return Markup(str(escape(value)).replace("/", "&#47;"))


def write_html(graph: nx.MultiDiGraph, path: Path, title: str, focus: str | None = None, summary: str = "") -> None:
    """Write the page to ``path`` (one file, nothing else needed beside it)."""
    write_text(Path(path), render_html(graph, title, focus, summary))


def notebook_view(graph: nx.MultiDiGraph, title: str, focus: str | None = None, height: int = 650) -> HTML:
    """Display in a notebook as ``<iframe srcdoc=…>``: works in JupyterLab, VS Code and Colab, where
    pyvis's ``show()`` (an IFrame of a file path) does not. The frame is sandboxed to scripts only."""
    from IPython.display import HTML

    page = render_html(graph, title, focus)
    style = f"width: 100%; height: {int(height)}px; border: 1px solid #ddd;"
    return HTML(  # wrapped in a div: IPython warns about a bare <iframe> and suggests the IFrame that breaks
        f'<div><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="{style}" title="{html.escape(title)}"></iframe></div>'
    )
