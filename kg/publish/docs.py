"""The ontology's HTML reference (pyLODE) with a diagram of the core classes, readable offline.

pyLODE writes the reference — classes, properties, domains, ranges, definitions, alignments —
with its CSS inline and no scripts or assets fetched; links to other vocabularies stay plain
hyperlinks. It draws no diagram, so one is added: an inline SVG of the classes the object
properties connect. The layout is computed here, in integers, rather than by a layout library,
so the committed page stays byte-identical from one machine and library version to the next.

The page is safe whatever the ontology says. pyLODE 3.3 renders each literal as Markdown and
lets any HTML in it through (``pylode.utils.rdf_obj_html``), while it escapes the same texts
itself in titles, link texts and attributes, so escaping the graph beforehand would show
``&lt;`` in half the places. Instead the characters that start markup — HTML's ``< > &`` and
Markdown's link and image brackets ``[ ]`` — are swapped for Unicode noncharacters throughout
the graph (IRIs, literals and prefixes alike, so pyLODE's comparisons between them still hold);
pyLODE renders text it cannot take for markup, and the characters come back escaped for where
they land (HTML entities; JSON escapes in the JSON-LD block). A real sanitiser (nh3, i.e.
Ammonia) then keeps only the elements and attributes pyLODE writes and only http(s) and mailto
links, which removes ``javascript:`` and ``data:`` IRIs from hrefs. A Content-Security-Policy
forbids scripts and every load from outside the page as a second barrier.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import TypeGuard

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.dataset.outputs import check_folder, write_text
from kg.dataset.paths import project_root
from kg.errors import KGError
from kg.vocab.namespaces import QDO

PAGE = "index.html"
DIAGRAM = "core-classes.svg"
_WIDTH = 960
_HEIGHT = 860
_BOX_HEIGHT = 26
_CHAR_WIDTH = 7.4
#: The page loads nothing and runs nothing: styles are inline, the icons are data: URLs.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_MARKUP = "<>&[]"
_STAND_INS = [chr(0xFDD0 + i) for i in range(len(_MARKUP))]  # noncharacters: never text of their own
_HIDE = str.maketrans({**{c: "\ufffd" for c in _STAND_INS}, **dict(zip(_MARKUP, _STAND_INS, strict=True))})
_AS_HTML = str.maketrans({s: html.escape(c) for s, c in zip(_STAND_INS, _MARKUP, strict=True)})
_AS_JSON = str.maketrans({s: f"\\u{ord(c):04x}" for s, c in zip(_STAND_INS, _MARKUP, strict=True)})
#: What pyLODE writes in the body (and what Markdown makes of text without links): all else is removed.
_TAGS = {"a", "br", "code", "dd", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p"}
_TAGS |= {"pre", "span", "strong", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
_ATTRIBUTES = {"*": {"class", "id", "title"}, "a": {"href"}}

Edge = tuple[URIRef, URIRef, str, bool]  # from, to, label, is-subclass


def _local(iri: URIRef) -> str:
    return str(iri)[len(str(QDO)) :]


def _ours(iri: object) -> TypeGuard[URIRef]:
    return isinstance(iri, URIRef) and str(iri).startswith(str(QDO))


def core_edges(onto: Graph) -> list[Edge]:
    """Each object property between two of our classes (one of each inverse pair), and subclass links among them."""
    grouped: dict[tuple[URIRef, URIRef], list[str]] = defaultdict(list)
    for prop in sorted(p for p in onto.subjects(RDF.type, OWL.ObjectProperty) if _ours(p)):
        if (None, OWL.inverseOf, prop) in onto:
            continue  # the inverse is drawn from the property that declares it
        for domain in onto.objects(prop, RDFS.domain):
            for rng in onto.objects(prop, RDFS.range):
                if _ours(domain) and _ours(rng):
                    grouped[(domain, rng)].append(_local(prop))
    edges: list[Edge] = [(d, r, ", ".join(sorted(names)), False) for (d, r), names in sorted(grouped.items())]
    nodes = {e[0] for e in edges} | {e[1] for e in edges}
    for sup in sorted(nodes):  # a class split in two or fewer kinds (Figure: Observation, Target) shows them
        kinds = [c for c in onto.subjects(RDFS.subClassOf, sup) if _ours(c)]
        if len(kinds) <= 2:
            nodes.update(kinds)
    for cls in sorted(nodes):
        for sup in sorted(s for s in onto.objects(cls, RDFS.subClassOf) if isinstance(s, URIRef)):
            if sup in nodes and sup != cls:
                edges.append((cls, sup, "", True))
    return edges


def _circle_order(edges: list[Edge]) -> list[URIRef]:
    """Nodes in breadth-first order from the best-connected one, so that linked classes sit side by side."""
    neighbours: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b, _, _ in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    remaining = sorted(neighbours, key=lambda n: (-len(neighbours[n]), str(n)))
    order: list[URIRef] = []
    while remaining:
        queue = [remaining[0]]
        while queue:
            node = queue.pop(0)
            if node in order:
                continue
            order.append(node)
            queue.extend(sorted(neighbours[node] - set(order), key=str))
        remaining = [n for n in remaining if n not in order]
    return order


def _layout(edges: list[Edge]) -> dict[URIRef, tuple[int, int]]:
    """Force-directed placement (Fruchterman–Reingold) from a circle, in plain floats: same result everywhere."""
    order = _circle_order(edges)
    n = len(order)
    if not n:
        return {}
    x = [math.cos(2 * math.pi * i / n) for i in range(n)]
    y = [math.sin(2 * math.pi * i / n) for i in range(n)]
    index = {node: i for i, node in enumerate(order)}
    links = {(index[a], index[b]) for a, b, _, _ in edges if a != b}
    k = 2.4 / math.sqrt(n)
    steps = 300
    for step in range(steps):
        dx, dy = [0.0] * n, [0.0] * n
        for i in range(n):
            for j in range(i + 1, n):
                ex, ey = x[i] - x[j], y[i] - y[j]
                dist = max(math.hypot(ex, ey), 1e-3)
                force = k * k / dist / dist
                dx[i] += ex * force
                dy[i] += ey * force
                dx[j] -= ex * force
                dy[j] -= ey * force
        for i, j in links:
            ex, ey = x[i] - x[j], y[i] - y[j]
            dist = max(math.hypot(ex, ey), 1e-3)
            force = dist / k
            dx[i] -= ex * force
            dy[i] -= ey * force
            dx[j] += ex * force
            dy[j] += ey * force
        for i in range(n):  # gravity keeps parts that no property links from drifting apart
            dx[i] -= x[i] * 1.5
            dy[i] -= y[i] * 1.5
        limit = 0.1 * (1 - step / steps)
        for i in range(n):
            length = max(math.hypot(dx[i], dy[i]), 1e-9)
            x[i] += dx[i] / length * min(length, limit)
            y[i] += dy[i] / length * min(length, limit)
    min_x, max_x, min_y, max_y = min(x), max(x), min(y), max(y)
    margin_x, margin_y = 110, 60
    return {
        node: (
            round(margin_x + (x[i] - min_x) / ((max_x - min_x) or 1) * (_WIDTH - 2 * margin_x)),
            round(margin_y + (y[i] - min_y) / ((max_y - min_y) or 1) * (_HEIGHT - 2 * margin_y - 20)),
        )
        for i, node in enumerate(order)
    }


def _border(cx: int, cy: int, tx: int, ty: int, half_w: float) -> tuple[int, int]:
    """Where the line from a box's centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(half_w / abs(dx) if dx else math.inf, (_BOX_HEIGHT / 2) / abs(dy) if dy else math.inf)
    return round(cx + dx * scale), round(cy + dy * scale)


def core_diagram(onto: Graph, anchors: dict[URIRef, str] | None = None) -> str:
    """An SVG of the core classes: boxes (linked to their section when ``anchors`` knows it) and labelled arrows."""
    edges = core_edges(onto)
    pos = _layout(edges)
    order = sorted(pos, key=str)
    anchors = anchors or {}
    half = {node: (len(_local(node)) * _CHAR_WIDTH + 16) / 2 for node in order}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}" style="max-width: 100%; height: auto" role="img" aria-labelledby="core-title" '
        'font-family="sans-serif" font-size="12">',
        '<title id="core-title">Core classes of the Qingdao industrial knowledge graph ontology</title>',
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>',
        '<marker id="subclass" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="12" markerHeight="12" '
        'orient="auto-start-reverse"><path d="M0,0 L12,6 L0,12 z" fill="#fff" stroke="#2a6"/></marker>',
        "</defs>",
    ]
    labels = []
    for a, b, label, is_sub in edges:
        (ax, ay), (bx, by) = pos[a], pos[b]
        if a == b:  # a property from a class to itself: a loop above the box
            x1, y1, x2 = round(ax - half[a] / 2), ay - _BOX_HEIGHT // 2, round(ax + half[a] / 2)
            out.append(
                f'<path d="M{x1},{y1} C{x1},{y1 - 45} {x2},{y1 - 45} {x2},{y1}" fill="none" stroke="#444" '
                'marker-end="url(#arrow)"/>'
            )
            labels.append((ax, y1 - 40, label))
            continue
        x1, y1 = _border(ax, ay, bx, by, half[a])
        x2, y2 = _border(bx, by, ax, ay, half[b])
        style = (
            'stroke="#2a6" stroke-dasharray="5,3" marker-end="url(#subclass)"'
            if is_sub
            else ('stroke="#444" marker-end="url(#arrow)"')
        )
        out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {style}/>')
        if label:
            labels.append(((x1 + x2) // 2, (y1 + y2) // 2, label))
    for node in order:
        x, y = pos[node]
        w = round(half[node] * 2)
        box = (
            f'<rect x="{round(x - half[node])}" y="{y - _BOX_HEIGHT // 2}" width="{w}" height="{_BOX_HEIGHT}" '
            f'rx="5" fill="#eef4fb" stroke="#369"/><text x="{x}" y="{y + 4}" text-anchor="middle">'
            f"{html.escape(_local(node))}</text>"
        )
        anchor = anchors.get(node)
        out.append(f'<a href="#{html.escape(anchor)}">{box}</a>' if anchor else box)
    for x, y, label in labels:
        out.append(
            f'<text x="{x}" y="{y}" text-anchor="middle" font-size="11" fill="#333" stroke="#fff" '
            f'stroke-width="3" paint-order="stroke">{html.escape(label)}</text>'
        )
    legend_y = _HEIGHT - 14
    out.append(
        f'<text x="10" y="{legend_y}" font-size="11" fill="#333">Solid arrow: object property, from its domain '
        "to its range (one of each inverse pair). Dashed green arrow: subclass of.</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _anchors(page: str) -> dict[URIRef, str]:
    """pyLODE names each term's section after its label; find the section of each IRI on the page."""
    found: dict[URIRef, str] = {}
    for m in re.finditer(r'<div class="property entity" id="([^"]+)">.*?<code>([^<]+)</code>', page, flags=re.S):
        found.setdefault(URIRef(html.unescape(m.group(2))), html.unescape(m.group(1)))
    return found


def _import_renderers() -> tuple[type, ModuleType]:
    """pyLODE's OntPub and nh3. Importing pyLODE 3.3 calls ``logging.basicConfig(level=DEBUG)`` (in its
    supermodel loader), which would print its and every library's debug lines; the root logger is put back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import nh3
        from pylode import OntPub
    except ImportError:
        raise KGError("kg docs needs pyLODE 3.3 and nh3: pip install -e '.[docs]'") from None
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    return OntPub, nh3


def _hidden(term: Node) -> Node:
    if isinstance(term, URIRef | Literal):
        text = str(term).translate(_HIDE)
        if text != str(term):
            return URIRef(text) if isinstance(term, URIRef) else Literal(text, term.language, term.datatype)
    return term


def _hide_markup(graph: Graph) -> None:
    """Swap every character that starts markup, in ``graph``'s IRIs, literals and prefixes, for its stand-in.

    In place, so that the triples keep the order they were parsed in (pyLODE lists them in that order)."""
    for prefix, namespace in list(graph.namespaces()):
        if (hidden := _hidden(namespace)) is not namespace:
            graph.bind(prefix, hidden, override=True, replace=True)
    for triple in list(graph):
        shown = (_hidden(triple[0]), _hidden(triple[1]), _hidden(triple[2]))
        if any(a is not b for a, b in zip(shown, triple, strict=True)):
            graph.remove(triple)
            graph.add(shown)


def _safe_page(page: str, nh3: ModuleType) -> str:
    """pyLODE's page with the hidden characters back (escaped), its body sanitised and the CSP in its head."""
    head, body_open, rest = page.partition("<body>")
    body, body_close, tail = rest.rpartition("</body>")
    if not body_open or not body_close:
        raise KGError("pyLODE's page has no body; is pyLODE 3.3 installed?")
    head = re.sub(
        r"(<script[^>]*>)(.*?)(</script>)", lambda m: m[1] + m[2].translate(_AS_JSON) + m[3], head, flags=re.S
    )
    head = head.translate(_AS_HTML).replace(
        "<head>", f'<head>\n    <meta http-equiv="Content-Security-Policy" content="{CSP}">', 1
    )
    body = nh3.clean(
        body.translate(_AS_HTML),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    return head + body_open + body + body_close + tail.translate(_AS_HTML)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def render_docs(ontology: Path | None = None) -> dict[str, str]:
    """The documentation files, by name: the pyLODE page with the diagram inserted, and the diagram alone."""
    OntPub, nh3 = _import_renderers()
    path = ontology or project_root() / "ontology.ttl"
    try:
        onto, shown = (Graph().parse(path, format="turtle") for _ in range(2))  # pyLODE changes the graph it shows
    except Exception as exc:  # rdflib's parsers raise many types, even IndexError on a file cut short
        raise KGError(f"{path}: cannot read the ontology: {_first_line(exc)}") from None
    _hide_markup(shown)
    try:
        page = OntPub(ontology=shown).make_html(include_css=True)
    except Exception as exc:  # pyLODE's own refusals (no title) and its failures on graphs it does not expect
        raise KGError(f"{path}: pyLODE cannot document this ontology: {_first_line(exc)}") from None
    page = _safe_page(page, nh3)
    svg = core_diagram(onto, _anchors(page))
    section = (
        '<div class="section" id="diagram">\n<h2>Core classes</h2>\n<p>The classes the object properties link; '
        "click a class for its definition. Solid arrows go from a property's domain to its range.</p>\n"
        f"{svg}</div>\n"
    )
    marker = '<div class="section" id="classes">'
    if core_edges(onto) and marker in page:  # an ontology without our classes has nothing to draw
        page = page.replace(marker, section + marker, 1)
    return {PAGE: page if page.endswith("\n") else page + "\n", DIAGRAM: svg}


def write_docs(out_dir: Path, ontology: Path | None = None) -> list[Path]:
    """Write the documentation into ``out_dir`` (created if needed); returns the files written."""

    check_folder(out_dir)
    files = render_docs(ontology)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KGError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    for name, text in files.items():
        write_text(out_dir / name, text)
    return [out_dir / name for name in files]
