"""`kg export` and `kg docs`: the graph for other RDF tools, and the ontology's HTML reference."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import DATA_OPTION, limit_options, resolve_limits
from kg.vocab.formats import EXPORT_FORMATS


def _format_for(fmt: str | None, output: Path | None) -> str:
    """--format, else the -o file's suffix (no other suffix), else Turtle on stdout."""
    from kg.dataset.outputs import format_from_suffix
    from kg.publish.rdf import SUFFIXES

    if fmt:
        return fmt
    return "turtle" if output is None else format_from_suffix(output, SUFFIXES)


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="turtle (default, or from the -o suffix), trig, nquads, nt, jsonld, xml. "
    "trig, nquads and jsonld keep the named graphs; the others write their union.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout.")
@click.option("--graph", metavar="NAME", help="Only one graph: a001, entities, curated, ontology, a CURIE or IRI.")
@click.option("--entities-only", is_flag=True, help="Only the shared entities (qdg:entities): types, labels, aliases.")
@click.option(
    "--with-ontology/--without-ontology",
    default=None,
    help="Add or leave out the ontology graph (default: with it for the whole graph, without for --graph).",
)
@click.option("--inferred", is_flag=True, help="Add what the ontology entails (OWL 2 RL) as the graph qdg:inferred.")
@click.option("--inferred-only", is_flag=True, help="Only what the ontology entails from the chosen graphs.")
@limit_options
@DATA_OPTION
def export_command(
    fmt: str | None,
    output: Path | None,
    graph: str | None,
    entities_only: bool,
    with_ontology: bool | None,
    inferred: bool,
    inferred_only: bool,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
) -> None:
    """Write the graph for other RDF tools: the same graph gives byte-identical output, run after run."""
    from kg.dataset.load import load_dataset
    from kg.dataset.outputs import check_file, write_text
    from kg.engines.limits import limited
    from kg.publish.rdf import Scope, export

    if inferred and inferred_only:
        raise click.UsageError("--inferred adds to the export, --inferred-only replaces it: give one of them")
    scope = Scope(
        graph=graph,
        entities_only=entities_only,
        with_ontology=with_ontology,
        inferred="only" if inferred_only else "add" if inferred else "none",
    )
    fmt = _format_for(fmt, output)
    if output is not None:
        check_file(output)
    ds = load_dataset(data)
    with limited(*resolve_limits(timeout, memory_limit)):
        result = export(ds, fmt, scope)
    if result.note and result.fmt != "turtle":  # Turtle carries the note as a header comment
        click.echo(f"note: {result.note}", err=True)
    if output is None:
        click.echo(result.text, nl=False)
        return
    write_text(output, result.text)
    from kg.publish.rdf import QUAD_FORMATS

    what = f"{result.quads} quads in" if result.fmt in QUAD_FORMATS else f"{result.triples} triples from"
    click.echo(f"wrote {what} {len(result.graphs)} graph(s) as {result.fmt} to {output}", err=True)


@click.command("docs")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write index.html and core-classes.svg into (the committed copy is docs/ontology).",
)
@limit_options
def docs_command(out_dir: Path, timeout: float | None, memory_limit: str | None) -> None:
    """Write the ontology's HTML reference (pyLODE, with a diagram of the core classes); it works offline."""
    from kg.engines.limits import limited
    from kg.publish.docs import write_docs

    with limited(*resolve_limits(timeout, memory_limit)):
        written = write_docs(out_dir)
    for path in written:
        click.echo(f"wrote {path}", err=True)


def register(group: click.Group) -> None:
    """Add `export` and `docs` to the `kg` command group."""
    group.add_command(export_command)
    group.add_command(docs_command)
