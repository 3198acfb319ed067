"""Views of the relationship graph (neighbourhood, paths, query result) and the analyses researchers ask for.

Each view returns a MultiDiGraph that keeps every attribute of the full graph, so any view can be
exported or drawn. Links are followed in both directions: "Chery built the platform" links Chery
and the platform whichever way the predicate points. Nodes are named as on the command line (IRI,
CURIE, label or alias: ``kg.graph.names``); errors say what is wrong in this graph, not which option to use.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any, Unpack, cast

import networkx as nx
from rdflib import Dataset, URIRef
from rdflib.query import Result, ResultRow

from kg.errors import KGError
from kg.graph.budget import NO_CLASS, select
from kg.graph.convert import ConvertOptions, rdf_to_nx
from kg.graph.names import find_node
from kg.query.sparql import construct_graph

#: Node kinds that link entities without being one: records, articles and literal values.
ENTITY_KINDS = frozenset({"entity", "resource"})

#: Nodes with more distinct neighbours than this are not walked through by ``neighbourhood``.
HUB_LIMIT = 25


def whole_graph(ds: Dataset, **options: Unpack[ConvertOptions]) -> nx.MultiDiGraph:
    """The whole dataset as a graph (see ``kg.graph.convert.rdf_to_nx`` for the options)."""
    return rdf_to_nx(ds, **options)


def neighbourhood(
    graph: nx.MultiDiGraph,
    node: URIRef | str,
    depth: int = 1,
    hub_limit: int | None = HUB_LIMIT,
    hubs: frozenset[str] | set[str] = frozenset(),
    max_nodes: int | None = None,
) -> nx.MultiDiGraph:
    """Everything within ``depth`` links of a node (an IRI, CURIE, label or alias), with every link among them.

    A hub (a node other than the centre with more than ``hub_limit`` distinct neighbours, e.g.
    Qingdao, which nearly everything is located in) is shown but not walked through: through it
    every neighbourhood of depth 2 would be most of the graph. ``hub_limit=None`` walks through all.
    ``hubs`` names nodes known to be hubs in a bigger graph ``graph`` was taken from (kg.graph.walk).
    ``max_nodes`` keeps at most that many nodes, chosen as kg.graph.budget says; when some are left out,
    the view's graph attributes say how many and of which classes (``shown``, ``left_out``, ...).
    """
    centre = find_node(graph, node)
    chosen = select(_Links(graph), centre, depth, hub_limit, max_nodes, hubs)
    view = graph.subgraph(chosen.nodes).copy()
    view.graph.update(chosen.attributes(depth))
    return view


@dataclass
class _Links:
    """A networkx graph as the node budget reads it: links either way, supported by their edges' sources."""

    graph: nx.MultiDiGraph

    def links(self, nodes: Sequence[str], limit: int | None) -> dict[str, dict[str, int] | None]:
        undirected = self.graph.to_undirected(as_view=True)
        return {
            n: None
            if limit is not None and len(undirected[n]) > limit
            else {m: _support(e) for m, e in undirected[n].items()}
            for n in nodes
        }

    def classes(self, nodes: Sequence[str]) -> dict[str, str]:
        data = self.graph.nodes
        return {n: str(data[n].get("group", NO_CLASS)) if data[n].get("class") else NO_CLASS for n in nodes}


def _support(edges: Mapping[Any, dict]) -> int:
    """The statements between two nodes, each counted once per source stating it (once if none is named)."""
    return sum(len(data.get("sources", "").split()) or 1 for data in edges.values())


def entity_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Only the entities: records, articles and literal nodes left out (they link everything to everything)."""
    keep = [n for n, data in graph.nodes(data=True) if data.get("kind") in ENTITY_KINDS]
    return graph.subgraph(keep).copy()


def _hub_weighted(graph: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph with each link costing 1 + log2 of the larger degree of its ends, so
    that among paths of equal length those through hubs (Qingdao is linked to nearly everything) come last."""
    simple: nx.Graph[str] = nx.Graph(graph.to_undirected(as_view=True))
    for u, v, data in simple.edges(data=True):
        data["cost"] = 1 + math.log2(max(simple.degree(u), simple.degree(v)))
    return simple


def paths_between(
    graph: nx.MultiDiGraph, a: URIRef | str, b: URIRef | str, max_paths: int = 5, max_extra: int = 2
) -> nx.MultiDiGraph:
    """The best paths between two nodes (IRIs, CURIEs, labels or aliases): at most ``max_paths``, at most
    ``max_extra`` links longer than the shortest, hubs avoided as in ``shortest_path``. Every link between
    consecutive nodes of a path is kept, in whichever direction it points. The best path's nodes are in the
    view's ``graph["path"]``, so drawings highlight it."""
    start, end = find_node(graph, a), find_node(graph, b)
    if start == end:
        raise KGError(f"{a!r} and {b!r} are the same node; a path needs two")
    simple = _hub_weighted(graph)
    try:
        found = list(islice(nx.shortest_simple_paths(simple, start, end, weight="cost"), max_paths * 4))
    except nx.NetworkXNoPath:
        raise KGError(f"no path links {a} and {b} in this graph") from None
    fewest = min(len(p) for p in found)
    found = [p for p in found if len(p) <= fewest + max_extra][:max_paths]
    edges: set[tuple[str, str, Hashable]] = set()
    for path in found:
        for u, v in pairwise(path):
            edges.update((u, v, k) for k in graph.get_edge_data(u, v, default={}))
            edges.update((v, u, k) for k in graph.get_edge_data(v, u, default={}))
    # a multigraph's edges are (u, v, key); networkx's stub knows only a simple graph's (u, v)
    view = graph.edge_subgraph(edges).copy()  # type: ignore[arg-type]
    view.graph["path"] = " ".join(found[0])  # a string, as GraphML allows (IRIs hold no spaces)
    return view


def query_graph(ds: Dataset, result: Result, **options: Unpack[ConvertOptions]) -> nx.MultiDiGraph:
    """A query's result as a graph: a CONSTRUCT/DESCRIBE result converted with the dataset's labels and sources;
    a SELECT answer as what it names (``answer_view``). Raises KGError, saying why, when nothing is left to draw."""

    if result.type in ("CONSTRUCT", "DESCRIBE"):
        view = rdf_to_nx(construct_graph(result), context=ds, **options)
        if not view:
            raise KGError(f"the {result.type} query made no triple, so there is nothing to draw")
        return view
    if result.type != "SELECT":
        raise KGError(f"a {result.type} query has no graph to draw; use SELECT or CONSTRUCT")
    rows = [row for row in result if isinstance(row, ResultRow)]  # a SELECT's rows
    named = list(dict.fromkeys(str(term) for row in rows for term in row if isinstance(term, URIRef)))
    if not rows:
        raise KGError("the query has no answer (0 rows), so there is nothing to draw")
    if not named:
        raise KGError(
            "the answer names no IRI, only values, so there is nothing to draw: select the entities' IRIs "
            "as well as their labels, e.g. ?plan besides ?planLabel"
        )
    full = rdf_to_nx(ds, **options)
    present = [n for n in named if n in full]
    if not present:
        raise KGError(
            f"none of the {len(named)} IRIs the answer names is a node of the graph drawn (ontology terms, "
            "statements and graph names are not; nor is what a class or predicate filter leaves out)"
        )
    return answer_view(full, present)


def answer_view(graph: nx.MultiDiGraph, named: list[str], hub_limit: int = HUB_LIMIT) -> nx.MultiDiGraph:
    """What a table of IRIs says as a picture: the nodes it names and every link among them, and for context

    - what each named record (figure, target, post) is about: the nodes it links to, articles aside (the
      sources are on the links already);
    - go-betweens: a node linked to named nodes that are not yet connected, as "Chery and COSMOPlat jointly
      built the platform" connects Chery; hubs (more than ``hub_limit`` neighbours, e.g. Qingdao) are no
      go-betweens, since they link everything;
    - for a named node still alone, its direct links (unless it is a hub and not the only node named): a lone
      dot answers nothing.
    """
    undirected = graph.to_undirected(as_view=True)
    keep = set(named)
    for n in named:
        if graph.nodes[n].get("kind") == "record":
            keep.update(m for m in graph.successors(n) if graph.nodes[m].get("kind") != "article")
    part = {n: i for i, c in enumerate(nx.connected_components(undirected.subgraph(keep))) for n in c}
    if len(set(part.values())) > 1:
        near = {m for n in named for m in undirected[n]} - keep
        keep.update(
            m
            for m in near
            if len(undirected[m]) <= hub_limit and len({part[x] for x in undirected[m] if x in part}) > 1
        )
    drawn = undirected.subgraph(keep)
    for n in named:
        if not any(m != n for m in drawn[n]) and (len(named) == 1 or len(undirected[n]) <= hub_limit):
            keep.update(undirected[n])
    return graph.subgraph(keep).copy()


@dataclass(frozen=True)
class Central:
    node: str
    label: str
    group: str
    degree: float
    betweenness: float
    links: int


def centrality(graph: nx.MultiDiGraph, top: int = 10) -> list[Central]:
    """The most central nodes: normalised degree and betweenness over distinct neighbours, either direction.

    Sorted by betweenness (who bridges the graph), then degree.
    """
    simple: nx.Graph[str] = nx.Graph(graph.to_undirected(as_view=True))
    simple.remove_edges_from(nx.selfloop_edges(simple))
    degree = nx.degree_centrality(simple) if len(simple) > 1 else dict.fromkeys(simple, 0.0)
    between = nx.betweenness_centrality(simple)
    ranked = sorted(simple, key=lambda n: (-between[n], -degree[n], n))[:top]
    return [
        Central(
            n,
            graph.nodes[n].get("label", n),
            graph.nodes[n].get("group", ""),
            degree[n],
            between[n],
            simple.degree(n),
        )
        for n in ranked
    ]


def components(graph: nx.MultiDiGraph) -> list[set[str]]:
    """Connected components (links in either direction), largest first."""
    return sorted(nx.weakly_connected_components(graph), key=lambda c: (-len(c), min(c)))


def best_path(graph: nx.MultiDiGraph, a: URIRef | str, b: URIRef | str) -> list[str]:
    """The nodes of the most telling short path between two nodes (hubs avoided, see ``shortest_path``)."""
    start, end = find_node(graph, a), find_node(graph, b)
    try:
        return nx.shortest_path(_hub_weighted(graph), start, end, weight="cost")
    except nx.NetworkXNoPath:
        raise KGError(f"no path links {a} and {b} in this graph") from None


def shortest_path(graph: nx.MultiDiGraph, a: URIRef | str, b: URIRef | str) -> list[tuple[str, str, str, dict]]:
    """The most telling short path, as (from, to, direction, edge attributes) steps ("→" follows the predicate).

    Each link costs 1 + log2 of the larger degree of its ends: a path through a hub says little.
    """
    nodes = best_path(graph, a, b)
    steps = []
    for u, v in pairwise(nodes):
        # links by key: kg.graph.convert's keys are strings, which networkx's stub types only as Hashable
        forward = cast("dict[str, dict] | None", graph.get_edge_data(u, v))
        if forward:
            steps.append((u, v, "→", forward[min(forward)]))
        else:
            backward = cast("dict[str, dict]", graph.get_edge_data(v, u))
            steps.append((u, v, "←", backward[min(backward)]))
    return steps
