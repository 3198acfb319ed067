"""`kg graph` (draw or export a view of the graph) and `kg central` (the most central entities)."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import dataset_options, limit_options, open_dataset, resolve_limits
from kg.errors import KGError, ResolveError
from kg.graph.files import FIGURES, FORMATS

_ALL_NODES = click.option(
    "--all-nodes",
    is_flag=True,
    help="Paths and centrality also through records, articles and values (by default entities only).",
)


def _convert(
    ds, literals: str, classes: tuple[str, ...], predicates: tuple[str, ...], ontology: bool, statements: bool
):
    from kg.dataset.resolve import resolve_entity

    return {
        "literals": literals,
        "classes": [resolve_entity(ds, c) for c in classes],
        "predicates": [resolve_entity(ds, p) for p in predicates],
        "ontology": ontology,
        "statements": statements,
    }


def _query_text(spec: str) -> tuple[str, str]:
    from kg.query.saved import looks_like_name, lookup, read_query_file

    path = Path(spec)
    if path.is_file():
        return read_query_file(path), path.stem
    if not looks_like_name(spec):
        raise KGError(f"--query {spec!r} is neither a file nor a saved question (see `kg queries`)")
    saved = lookup(spec)  # a mistyped name: "did you mean …?"
    return saved.text, saved.name


@click.command("graph")
@click.option("--focus", metavar="ENTITY", help="The neighbourhood of an entity (label, alias, CURIE or IRI).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Links from --focus.")
@click.option(
    "--hub-limit",
    type=click.IntRange(min=0),
    default=25,
    show_default=True,
    help="With --focus, do not walk through nodes with more neighbours than this (e.g. Qingdao); 0 = no limit.",
)
@click.option("--path", "path", nargs=2, metavar="A B", help="The shortest paths between two entities.")
@click.option(
    "--query",
    "query",
    metavar="FILE.rq|NAME",
    help="A CONSTRUCT query's graph, or the entities and records a SELECT answer names (select their IRIs).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="html (interactive page), svg/png/pdf (static figure, Graphviz), graphml/gexf/json (for other tools). "
    "Default: from the output file's suffix, else html.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write. Default: graph-VIEW.FORMAT in the current folder (e.g. graph-focus-cosmoplat.html), "
    "numbered -2, -3 … rather than overwrite a file that is there.",
)
@click.option("--title", help="Heading of the page or figure.")
@click.option(
    "--literals",
    type=click.Choice(["attributes", "nodes"]),
    default="attributes",
    show_default=True,
    help="Literal values as node attributes or as nodes of their own.",
)
@click.option("--class", "classes", multiple=True, metavar="CLASS", help="Only nodes of this class (repeatable).")
@click.option("--predicate", "predicates", multiple=True, metavar="P", help="Only links with this predicate.")
@click.option("--ontology", is_flag=True, help="Include the ontology's own terms (classes, units, ...) as nodes.")
@click.option("--statements", is_flag=True, help="Include the rdf:Statement reifications as nodes.")
@click.option("--endpoint", metavar="URL", help="Draw the --focus view from this SPARQL endpoint instead.")
@_ALL_NODES
@limit_options
@dataset_options
def graph_command(
    focus: str | None,
    depth: int,
    hub_limit: int,
    path: tuple[str, str] | None,
    query: str | None,
    fmt: str | None,
    output: Path | None,
    title: str | None,
    literals: str,
    classes: tuple[str, ...],
    predicates: tuple[str, ...],
    ontology: bool,
    statements: bool,
    endpoint: str | None,
    all_nodes: bool,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Draw a view of the graph: an offline HTML page, a static figure (SVG, PNG, PDF), or a file for Gephi,
    Cytoscape or d3.

    Without --focus, --path or --query: the whole graph. A view with nothing to draw (e.g. a SELECT answer
    naming no IRI) is an error, never an empty page.
    """
    from kg.dataset.outputs import check_file
    from kg.engines.limits import limited
    from kg.graph.files import format_for

    if sum(x is not None for x in (focus, path, query)) > 1:
        raise click.UsageError("give at most one of --focus, --path and --query")
    if endpoint is not None and (focus is None or classes or predicates or data or store):
        raise click.UsageError("--endpoint draws a --focus view (without --class, --predicate, --data or --store)")
    if output is None:
        fmt = fmt or "html"
        output = default_output(_view_name(focus, path, query), fmt)
    fmt = format_for(output, fmt)
    check_file(output)  # refused before the work, not after
    seconds, memory = resolve_limits(timeout, memory_limit)
    walk = focus is not None and not classes and not predicates
    ds = None if endpoint is not None else open_dataset(data, engine, store)
    with limited(seconds, memory):
        if walk:
            view, label = _focus_view(focus, depth, hub_limit, endpoint, ds, literals, ontology, statements)
            centre = view.graph.pop("centre")
            _draw(view, output, fmt, title or f"{label} and its links (depth {depth})", centre)
            return
        options = _convert(ds, literals, classes, predicates, ontology, statements)
        view, default_title, centre = _view(ds, options, memory, focus, depth, hub_limit, path, query, all_nodes)
        _draw(view, output, fmt, title or default_title, centre, explicit_title=title is not None)


def _view_name(focus: str | None, path: tuple[str, str] | None, query: str | None) -> str:
    """What the view shows, for the default file name: whole, focus-NAME, path-A-B or query-NAME."""
    if focus is not None:
        return f"focus-{focus}"
    if path is not None:
        return f"path-{path[0]}-{path[1]}"
    if query is not None:
        return f"query-{Path(query).stem}"
    return "whole"


def default_output(view: str, fmt: str, folder: Path | None = None) -> Path:
    """``graph-VIEW.FMT`` in ``folder`` (default: the current one), VIEW cut to letters, digits and dashes;
    numbered ``-2``, ``-3`` … when the name is taken, so a file already there is never overwritten."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", view.casefold()).strip("-")[:60].strip("-") or "view"
    folder = folder or Path.cwd()
    candidate, n = folder / f"graph-{slug}.{fmt}", 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"graph-{slug}-{n}.{fmt}"
    return candidate


def _view(ds, options: dict, memory: int | None, focus, depth, hub_limit, path, query, all_nodes):
    """The networkx view the options ask for, its default title and its centre (if any)."""
    from kg.dataset.resolve import label_of, resolve_entity
    from kg.graph.views import entity_graph, neighbourhood, paths_between, query_graph, whole_graph

    if query is not None:
        from kg.query.sparql import run_query

        text, name = _query_text(query)
        return query_graph(ds, run_query(ds, text, memory_limit=memory), **options), f"Query: {name}", None
    view = whole_graph(ds, **options)
    ends = [resolve_entity(ds, name) for name in path or ((focus,) if focus is not None else ())]
    missing = [label_of(ds, n) for n in ends if str(n) not in view]
    if missing:  # resolved in the dataset, so the filters left it out
        raise ResolveError(f"{' and '.join(missing)} is left out by --class or --predicate, so there is no view of it")
    if focus is not None:
        (node,) = ends
        view = neighbourhood(view, node, depth, hub_limit or None)
        return view, f"{label_of(ds, node)} and its links (depth {depth})", str(node)
    if path is not None:
        a, b = ends
        try:
            view = paths_between(view if all_nodes else entity_graph(view), a, b)
        except ResolveError as exc:
            raise ResolveError(f"{exc}: --path links entities; add --all-nodes for records and articles") from None
        return view, f"How {label_of(ds, a)} and {label_of(ds, b)} are linked", None
    return view, "Qingdao industrial knowledge graph", None


def _draw(view, output: Path, fmt: str, title: str, centre: str | None, explicit_title: bool = True) -> None:
    from kg.graph.draw import draw_figure
    from kg.graph.files import write_graph
    from kg.graph.html import write_html

    if view.number_of_nodes() == 0:
        raise KGError("the view has no node, so there is nothing to draw; nothing was written")
    if fmt == "html":
        write_html(view, output, title, focus=centre)
    elif fmt in FIGURES:
        draw_figure(view, fmt, title, centre).save(output)
    else:
        if explicit_title:
            view.graph["title"] = title
        write_graph(view, output, fmt)
    click.echo(f"wrote {output} ({fmt}): {view.number_of_nodes()} nodes, {view.number_of_edges()} links", err=True)


def _focus_view(focus, depth, hub_limit, endpoint, ds, literals, ontology, statements):
    """The neighbourhood of ``focus`` from a walk (kg.graph.walk), not from converting the whole graph."""
    from kg.dataset.resolve import label_of, resolve_entity
    from kg.graph.convert import rdf_to_nx
    from kg.graph.views import neighbourhood
    from kg.graph.walk import LocalSource, RemoteSource, walk

    if endpoint is not None:
        from kg.dataset.resolve import lookup_graph
        from kg.engines.limits import remaining
        from kg.engines.remote import Endpoint

        remote = Endpoint(endpoint, timeout=remaining() or 3600.0)
        node = resolve_entity(lookup_graph(remote, focus), focus)
        source = RemoteSource(remote)
    else:
        node = resolve_entity(ds, focus)
        source = LocalSource(ds)
    found = walk(source, node, depth, hub_limit or None)
    options = {"literals": literals, "ontology": ontology, "statements": statements}
    view = rdf_to_nx(found.dataset, class_use=found.class_use, **options)  # type: ignore[arg-type]
    view = neighbourhood(view, node, depth, hub_limit or None, hubs=found.hubs)
    view.graph["centre"] = str(node)
    return view, label_of(found.dataset, node)


@click.command("central")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many entities to list.")
@click.option("--path", "path", nargs=2, metavar="A B", help="Also print a shortest path between two entities.")
@_ALL_NODES
@limit_options
@dataset_options
def central_command(
    top: int,
    path: tuple[str, str] | None,
    all_nodes: bool,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """The most central entities (betweenness, then degree), the connected components, a shortest path."""
    from kg.engines.limits import limited

    ds = open_dataset(data, engine, store)
    with limited(*resolve_limits(timeout, memory_limit)):
        _central(ds, top, path, all_nodes)


def _central(ds, top: int, path: tuple[str, str] | None, all_nodes: bool) -> None:
    from kg.dataset.resolve import resolve_entity
    from kg.graph.views import centrality, components, entity_graph, shortest_path, whole_graph
    from kg.query.results import Rows, format_table
    from kg.report.terminal import one_line

    ends = [resolve_entity(ds, name) for name in path] if path is not None else None
    full = whole_graph(ds)
    graph = full if all_nodes else entity_graph(full)
    rows = [
        (str(i), c.label, c.group, str(c.links), f"{c.degree:.3f}", f"{c.betweenness:.3f}")
        for i, c in enumerate(centrality(graph, top), start=1)
    ]
    header = ["rank", "entity", "class", "links", "degree", "betweenness"]
    click.echo(format_table(Rows(header, rows)))  # type: ignore[arg-type]
    parts = components(graph)
    isolated = sum(1 for c in parts if len(c) == 1)
    largest = len(parts[0]) if parts else 0
    if all_nodes:
        counted = f"Counted: all {graph.number_of_nodes()} nodes, the graph `kg graph` draws"
    else:
        counted = (
            f"Counted: {graph.number_of_nodes()} entities. `kg graph` draws {full.number_of_nodes()} nodes: "
            f"the other {full.number_of_nodes() - graph.number_of_nodes()} are records (figures, targets, posts) "
            "and articles, left out because they link whatever they mention; --all-nodes counts them"
        )
    click.echo(
        f"\n{counted}.\n{graph.number_of_edges()} links; {len(parts)} connected components, "
        f"the largest with {largest} nodes; {isolated} isolated."
    )
    if ends is not None:
        a, b = ends
        steps = shortest_path(graph, a, b)
        click.echo(
            "\n"
            + one_line(f"Path from {graph.nodes[str(a)]['label']} to {graph.nodes[str(b)]['label']} (hubs avoided):")
        )
        for u, v, direction, attrs in steps:
            left, right = graph.nodes[u]["label"], graph.nodes[v]["label"]
            sources = ", ".join(attrs.get("sources", "").split()) or "no source"
            click.echo(one_line(f"  {left} {direction} {attrs.get('label', '')} {direction} {right}  [{sources}]"))


def register(group: click.Group) -> None:
    """Add `graph` and `central` to the `kg` command group."""
    group.add_command(graph_command)
    group.add_command(central_command)
