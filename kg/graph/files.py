"""Graph files for other tools: GraphML (Gephi, Cytoscape, yEd), GEXF (Gephi), node-link JSON (d3, Cytoscape.js);
and which format a file name asks for, the drawings (HTML, SVG, PNG, PDF) included.

All three are written by networkx. The graph from ``kg.graph.convert`` already meets what the readers
need: every attribute value is a string and every edge key (written as the edge id) is unique.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import SubElement

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from kg.dataset.outputs import atomic_file, format_from_suffix
from kg.errors import KGError

SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".json": "json",
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
}


def format_for(path: Path, fmt: str | None) -> str:
    """The format asked for, else the one the file's suffix names (no other suffix: no HTML in a .ttl file)."""
    return fmt or format_from_suffix(path, SUFFIXES)


def node_link_json(graph: nx.MultiDiGraph) -> str:
    """Node-link JSON: ``{"nodes": [{"id": …}], "links": [{"source": …, "target": …, "key": …}], …}``."""
    return json.dumps(nx.node_link_data(graph, edges="links"), ensure_ascii=False, indent=1)


def read_node_link_json(text: str) -> nx.MultiDiGraph:
    """The graph back from ``node_link_json``."""
    graph = nx.node_link_graph(json.loads(text), directed=True, multigraph=True, edges="links")
    assert isinstance(graph, nx.MultiDiGraph)  # as node_link_json wrote it; networkx's stub says only Graph
    return graph


def _with_edge_ids(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose edges carry their key as ``id``: networkx's GEXF writer numbers edges 0, 1, … unless
    an edge has an ``id``, and the reader gives the id back as an attribute."""
    copy = graph.copy()
    for _, _, key, data in copy.edges(keys=True, data=True):
        data["id"] = key
    return copy


def _sorted(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The same graph with nodes and edges in id order, so a file does not depend on which engine or store
    the triples came from (their iteration orders differ)."""
    out: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    out.graph.update(graph.graph)
    out.add_nodes_from(sorted(graph.nodes(data=True), key=lambda n: n[0]))
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    # a multigraph takes (u, v, key, data) edges; networkx's stub knows only (u, v) and (u, v, data)
    out.add_edges_from(edges)  # type: ignore[arg-type]
    return out


def _write_gexf(graph: nx.MultiDiGraph, stream: BinaryIO) -> None:
    """GEXF, with what the graph says about itself (its title, what a focus view left out) as the description in
    the file's meta element: networkx's writer keeps no graph attribute but the name."""
    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph(graph)
    about = [str(graph.graph[key]) for key in ("title", "shown") if graph.graph.get(key)]
    if graph.graph.get("left_out"):
        about.append(f"left out: {graph.graph['left_out']}")
    meta = writer.xml.find("meta")
    if about and meta is not None:
        SubElement(meta, "description").text = "; ".join(about)
    writer.write(stream)


def write_graph(graph: nx.MultiDiGraph, path: Path, fmt: str) -> None:
    """Write ``graph`` as GraphML, GEXF or node-link JSON, nodes and edges in id order."""
    if fmt not in ("graphml", "gexf", "json"):
        raise KGError(f"unknown graph file format {fmt!r}; use graphml, gexf or json")
    graph = _sorted(graph)
    with atomic_file(Path(path)) as stream:
        if fmt == "graphml":
            nx.write_graphml(graph, stream, encoding="utf-8", prettyprint=True)
        elif fmt == "gexf":
            _write_gexf(_with_edge_ids(graph), stream)
        else:
            stream.write(node_link_json(graph).encode("utf-8"))
