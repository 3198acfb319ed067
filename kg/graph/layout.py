"""Node positions for graphs too large for the browser's physics simulation.

Below a few hundred nodes the page lays itself out with vis-network's physics. Above that the
positions are computed here: networkx's spring layout for mid-sized graphs, and Graphviz's
``sfdp`` (a multilevel force layout) when it is installed, because networkx's spring layout grows
with the square of the node count (about 60 s for 5,000 nodes on 2 cores, sfdp about 2 s).
networkx's own Graphviz bridges are no help here: ``nx_pydot`` parses sfdp's output with pyparsing
(about 30 s for 5,000 nodes) and ``nx_agraph`` needs pygraphviz compiled against Graphviz's
headers, so sfdp is called directly with its plain-text output format.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg.engines.limits import expired, remaining

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("kg.layout")

#: Above this many nodes the layout is computed here and physics is off in the page.
PHYSICS_LIMIT = 300
#: Width of the square the positions are scaled to, in vis-network's canvas units.
SCALE = 3000.0


def _sfdp(graph: nx.Graph, sfdp: str) -> dict[str, tuple[float, float]]:
    nodes = list(graph)
    index = {n: i for i, n in enumerate(nodes)}
    # Integer names keep arbitrary node ids (IRIs, quotes) out of the DOT text.
    dot = "graph { " + " ".join(f"{index[u]} -- {index[v]};" for u, v in graph.edges() if u != v)
    dot += " ".join(f"{i};" for i in range(len(nodes))) + " }"
    try:
        proc = subprocess.run(
            [sfdp, "-Tplain"], input=dot, capture_output=True, text=True, timeout=remaining(), check=True
        )
    except subprocess.TimeoutExpired:
        raise expired() from None
    pos = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            pos[nodes[int(parts[1])]] = (float(parts[2]), float(parts[3]))
    return pos


def positions(graph: nx.Graph, seed: int = 1) -> dict[str, tuple[float, float]]:
    """Positions of every node, scaled to a ``SCALE``-wide square centred on 0 (y grows downwards)."""
    simple = nx.Graph(graph.to_undirected(as_view=True)) if graph.is_directed() or graph.is_multigraph() else graph
    sfdp = shutil.which("sfdp")
    raw: dict[str, tuple[float, float]] | dict[str, np.ndarray[Any, Any]] | None = None  # sfdp's, or networkx's
    if sfdp and len(simple) > 1:
        try:
            raw = _sfdp(simple, sfdp)
        except (subprocess.CalledProcessError, OSError, ValueError, IndexError) as exc:
            log.warning("Graphviz sfdp failed (%s); laying out with networkx instead", exc)
    if raw is None:
        raw = nx.spring_layout(simple, seed=seed)
    if not raw:
        return {}
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {n: ((x - cx) / span * SCALE, (cy - y) / span * SCALE) for n, (x, y) in raw.items()}
