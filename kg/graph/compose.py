"""A view of the graph as a user asks for it, and the file it is drawn into.

The whole graph, an entity's neighbourhood, the paths between two entities, or what a query's answer
names; filtered by class and predicate; written as an offline page, a static figure or a file for other
tools. `kg graph` and `kg central` are options over these functions, and notebooks and benchmarks call
them too. A neighbourhood without filters is fetched by a walk (kg.graph.walk) instead of converting the
whole graph first, so it costs the same on a big store or a remote endpoint as on the shipped files.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from rdflib import Dataset, URIRef

from kg.dataset.resolve import label_of, lookup_graph, resolve_entity
from kg.engines.remote import Endpoint
from kg.errors import KGError, ResolveError
from kg.graph.budget import MAX_NODES, check_max_nodes
from kg.graph.convert import ConvertOptions
from kg.graph.draw import draw_figure
from kg.graph.files import write_graph
from kg.graph.html import write_html
from kg.graph.views import (
    HUB_LIMIT,
    Central,
    centrality,
    components,
    entity_graph,
    neighbourhood,
    paths_between,
    query_graph,
    shortest_path,
    whole_graph,
)
from kg.graph.walk import OxigraphSource, QuadSource, RemoteSource, local_source, walk
from kg.query.saved import looks_like_name, lookup, read_query_file
from kg.query.sparql import run_query
from kg.vocab.formats import FIGURES

WHOLE_TITLE = "Qingdao industrial knowledge graph"


@dataclass(frozen=True)
class ViewRequest:
    """What to draw: at most one of ``focus``, ``path`` and ``query`` (none: the whole graph)."""

    focus: str | None = None  # an entity's label, alias, CURIE or IRI
    depth: int = 1
    hub_limit: int | None = HUB_LIMIT  # nodes with more neighbours are not walked through; None: no limit
    path: tuple[str, str] | None = None
    query: str | None = None  # a saved question's name or a .rq file
    literals: str = "attributes"  # or "nodes"
    classes: tuple[str, ...] = ()
    predicates: tuple[str, ...] = ()
    ontology: bool = False
    statements: bool = False
    all_nodes: bool = False  # paths also through records, articles and values
    max_nodes: int | None = MAX_NODES  # a focus view's node budget (kg.graph.budget); None: every node within depth

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.focus, self.path, self.query)) > 1:
            raise KGError("give at most one of focus, path and query")
        check_max_nodes(self.max_nodes)

    @property
    def name(self) -> str:
        """What the view shows, for a file name: whole, focus-NAME, path-A-B or query-NAME."""
        if self.focus is not None:
            return f"focus-{self.focus}"
        if self.path is not None:
            return f"path-{self.path[0]}-{self.path[1]}"
        if self.query is not None:
            return f"query-{Path(self.query).stem}"
        return "whole"

    @property
    def walks(self) -> bool:
        """Whether the view is a neighbourhood fetched by a walk: a focus without class or predicate filters."""
        return self.focus is not None and not self.classes and not self.predicates


@dataclass(frozen=True)
class View:
    """A drawable view: the graph, its default title, and the node it centres on (if any)."""

    graph: nx.MultiDiGraph
    title: str
    centre: str | None = None
    titled: bool = False  # a graph file keeps the default title too (focus walks), not only one given


def compose_view(
    request: ViewRequest,
    ds: Dataset | None = None,
    endpoint: Endpoint | None = None,
    memory_limit: int | None = None,
) -> View:
    """The view ``request`` asks for, from ``ds`` or (a focus view only) from a remote ``endpoint``."""
    if endpoint is not None:
        if not request.walks:
            raise KGError("a remote endpoint draws a focus view (without class or predicate filters)")
        name = request.focus or ""
        return _walked(request, RemoteSource(endpoint), resolve_entity(lookup_graph(endpoint, name), name))
    if ds is None:
        raise KGError("compose_view needs a dataset or an endpoint")
    if request.walks:
        source = local_source(ds)
        return _walked(request, source, _resolved(source, ds, request.focus or ""))
    options: ConvertOptions = {
        "literals": request.literals,
        "classes": [resolve_entity(ds, c) for c in request.classes],
        "predicates": [resolve_entity(ds, p) for p in request.predicates],
        "ontology": request.ontology,
        "statements": request.statements,
    }
    if request.query is not None:
        text, name = query_text(request.query)
        return View(query_graph(ds, run_query(ds, text, memory_limit=memory_limit), **options), f"Query: {name}")
    view = whole_graph(ds, **options)
    ends = [resolve_entity(ds, name) for name in request.path or ((request.focus,) if request.focus else ())]
    missing = [label_of(ds, n) for n in ends if str(n) not in view]
    if missing:  # resolved in the dataset, so the filters left it out
        raise ResolveError(f"{' and '.join(missing)} is left out by --class or --predicate, so there is no view of it")
    if request.focus is not None:
        (node,) = ends
        view = neighbourhood(view, node, request.depth, request.hub_limit, max_nodes=request.max_nodes)
        return View(view, f"{label_of(ds, node)} and its links (depth {request.depth})", str(node))
    if request.path is not None:
        a, b = ends
        try:
            view = paths_between(view if request.all_nodes else entity_graph(view), a, b)
        except ResolveError as exc:
            raise ResolveError(f"{exc}: --path links entities; add --all-nodes for records and articles") from None
        return View(view, f"How {label_of(ds, a)} and {label_of(ds, b)} are linked")
    return View(view, WHOLE_TITLE)


def _resolved(source: QuadSource, ds: Dataset, name: str) -> URIRef:
    """The entity ``name`` means, resolved on the few triples that matter where that is quicker (Oxigraph's
    store); a name that resolves to none or several entities is said again with the whole graph's suggestions."""
    if isinstance(source, OxigraphSource):
        try:
            return resolve_entity(source.names(name), name)
        except ResolveError:
            pass
    return resolve_entity(ds, name)


def _walked(request: ViewRequest, source: QuadSource, node: URIRef) -> View:
    """The neighbourhood of the request's focus from a walk, not from converting the whole graph."""
    with paused_collector():
        found = walk(source, node, request.depth, request.hub_limit, request.max_nodes)
        view = found.view(request.literals, request.ontology, request.statements)
    title = f"{label_of(found.dataset, node)} and its links (depth {request.depth})"
    return View(view, title, str(node), titled=True)


@contextmanager
def paused_collector() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while. Why: a full collection walks every object of the
    process, and a loaded million-triple dataset is millions of them (half a second a collection on Oxigraph's,
    seconds on rdflib's); building a focus view's hundred thousand small objects would start one or two. What
    the view makes is freed by reference counting, or by the first collection after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def query_text(spec: str) -> tuple[str, str]:
    """The text and name of a query given as a .rq file or a saved question's name."""
    path = Path(spec)
    if path.is_file():
        return read_query_file(path), path.stem
    if not looks_like_name(spec):
        raise KGError(f"--query {spec!r} is neither a file nor a saved question (see `kg queries`)")
    saved = lookup(spec)  # a mistyped name: "did you mean …?"
    return saved.text, saved.name


def write_view(view: View, output: Path, fmt: str, title: str | None = None) -> str:
    """Write ``view`` to ``output`` as ``fmt`` (html, a figure, or a file for other tools); a line saying what
    was written. A view without nodes is an error, never an empty page. The title is stored in a graph file
    only when one is given: tools show the file's own name otherwise."""
    if view.graph.number_of_nodes() == 0:
        raise KGError("the view has no node, so there is nothing to draw; nothing was written")
    heading = title or view.title
    if fmt == "html":
        write_html(view.graph, output, heading, focus=view.centre)
    elif fmt in FIGURES:
        draw_figure(view.graph, fmt, heading, view.centre).save(output)
    else:
        if title is not None or view.titled:
            view.graph.graph["title"] = heading
        write_graph(view.graph, output, fmt)
    return f"wrote {output} ({fmt}): {view.graph.number_of_nodes()} nodes, {view.graph.number_of_edges()} links"


def default_output(view: str, fmt: str, folder: Path | None = None) -> Path:
    """``graph-VIEW.FMT`` in ``folder`` (default: the current one), VIEW cut to letters, digits and dashes;
    numbered ``-2``, ``-3`` … when the name is taken, so a file already there is never overwritten."""
    slug = re.sub(r"[^a-z0-9]+", "-", view.casefold()).strip("-")[:60].strip("-") or "view"
    folder = folder or Path.cwd()
    candidate, n = folder / f"graph-{slug}.{fmt}", 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"graph-{slug}-{n}.{fmt}"
    return candidate


@dataclass(frozen=True)
class CentralReport:
    """What `kg central` reports: the most central nodes, the components and, when asked, a shortest path."""

    top: list[Central]
    graph: nx.MultiDiGraph  # what was counted: the entities, or all nodes
    drawn: int  # nodes of the whole graph `kg graph` draws
    all_nodes: bool
    components: list[set[str]]
    ends: tuple[str, str] | None  # the two entities of the path asked for
    path: list[tuple[str, str, str, dict]] | None  # its steps (none when both ends are one entity)


def central_report(
    ds: Dataset, top: int = 10, path: tuple[str, str] | None = None, all_nodes: bool = False
) -> CentralReport:
    """The ``top`` most central entities (betweenness, then degree), the connected components, and a shortest
    path between the two entities of ``path`` (hubs avoided)."""
    ends = [resolve_entity(ds, name) for name in path] if path is not None else None
    full = whole_graph(ds)
    graph = full if all_nodes else entity_graph(full)
    if ends is None:
        return CentralReport(
            centrality(graph, top), graph, full.number_of_nodes(), all_nodes, components(graph), None, None
        )
    a, b = ends
    steps = shortest_path(graph, a, b)
    return CentralReport(
        centrality(graph, top), graph, full.number_of_nodes(), all_nodes, components(graph), (str(a), str(b)), steps
    )
