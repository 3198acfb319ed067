"""`kg graph` (draw or export a view of the graph) and `kg central` (the most central entities)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kg.cli.options import dataset_options, limit_options, open_dataset, resolve_limits
from kg.graph.budget import MAX_NODES
from kg.vocab.formats import VIEW_FORMATS

if TYPE_CHECKING:
    from kg.graph.compose import CentralReport

_ALL_NODES = click.option(
    "--all-nodes",
    is_flag=True,
    help="Paths and centrality also through records, articles and values (by default entities only).",
)


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
@click.option(
    "--max-nodes",
    type=click.IntRange(min=0),
    default=MAX_NODES,
    show_default=True,
    help="With --focus, show at most this many nodes: the nearest first, each class in turn, the best supported "
    "(most sources) first; the view says what it left out. 0 = no limit.",
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
    type=click.Choice(list(VIEW_FORMATS)),
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
    max_nodes: int,
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
    from kg.engines.limits import limited, remaining
    from kg.engines.remote import Endpoint
    from kg.graph.compose import ViewRequest, compose_view, default_output, write_view
    from kg.graph.files import format_for

    if sum(x is not None for x in (focus, path, query)) > 1:
        raise click.UsageError("give at most one of --focus, --path and --query")
    if endpoint is not None and (focus is None or classes or predicates or data or store):
        raise click.UsageError("--endpoint draws a --focus view (without --class, --predicate, --data or --store)")
    request = ViewRequest(
        focus,
        depth,
        hub_limit or None,
        path,
        query,
        literals,
        classes,
        predicates,
        ontology,
        statements,
        all_nodes,
        max_nodes or None,
    )
    if output is None:
        fmt = fmt or "html"
        output = default_output(request.name, fmt)
    fmt = format_for(output, fmt)
    check_file(output)  # refused before the work, not after
    seconds, memory = resolve_limits(timeout, memory_limit)
    ds = None if endpoint is not None else open_dataset(data, engine, store)
    with limited(seconds, memory):
        remote = None if endpoint is None else Endpoint(endpoint, timeout=remaining() or 3600.0)
        view = compose_view(request, ds, remote, memory)
        click.echo(write_view(view, output, fmt, title), err=True)
    left_out = view.graph.graph.get("left_out")
    if left_out:
        click.echo(f"showing {view.graph.graph['shown']}; left out: {left_out} (--max-nodes shows more)", err=True)


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
    from kg.graph.compose import central_report

    ds = open_dataset(data, engine, store)
    with limited(*resolve_limits(timeout, memory_limit)):
        _print_central(central_report(ds, top, path, all_nodes))


def _print_central(report: CentralReport) -> None:
    from kg.query.results import Rows, format_table
    from kg.report.terminal import one_line

    rows = [
        (str(i), c.label, c.group, str(c.links), f"{c.degree:.3f}", f"{c.betweenness:.3f}")
        for i, c in enumerate(report.top, start=1)
    ]
    header = ["rank", "entity", "class", "links", "degree", "betweenness"]
    click.echo(format_table(Rows(header, rows)))  # type: ignore[arg-type]
    graph, parts = report.graph, report.components
    isolated = sum(1 for c in parts if len(c) == 1)
    largest = len(parts[0]) if parts else 0
    if report.all_nodes:
        counted = f"Counted: all {graph.number_of_nodes()} nodes, the graph `kg graph` draws"
    else:
        counted = (
            f"Counted: {graph.number_of_nodes()} entities. `kg graph` draws {report.drawn} nodes: "
            f"the other {report.drawn - graph.number_of_nodes()} are records (figures, targets, posts) "
            "and articles, left out because they link whatever they mention; --all-nodes counts them"
        )
    click.echo(
        f"\n{counted}.\n{graph.number_of_edges()} links; {len(parts)} connected components, "
        f"the largest with {largest} nodes; {isolated} isolated."
    )
    if report.ends is not None and report.path is not None:
        start, end = (graph.nodes[n]["label"] for n in report.ends)
        click.echo("\n" + one_line(f"Path from {start} to {end} (hubs avoided):"))
        for u, v, direction, attrs in report.path:
            left, right = graph.nodes[u]["label"], graph.nodes[v]["label"]
            sources = ", ".join(attrs.get("sources", "").split()) or "no source"
            click.echo(one_line(f"  {left} {direction} {attrs.get('label', '')} {direction} {right}  [{sources}]"))


def register(group: click.Group) -> None:
    """Add `graph` and `central` to the `kg` command group."""
    group.add_command(graph_command)
    group.add_command(central_command)
