"""`kg site`: the graph as a static Linked Data site (kg.site) to browse offline or publish on any static host."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import dataset_options, limit_options, open_dataset, resolve_limits


@click.command("site")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write the site into: new, empty, or a site kg wrote before (which is replaced).",
)
@click.option(
    "--published-at",
    metavar="URL",
    help="Address the site will be published at (https://…/): also write w3id.htaccess, the w3id.org rule that "
    "redirects the graph's IRIs to it.",
)
@click.option("--no-answers", is_flag=True, help="List the saved questions without running them (faster at scale).")
@limit_options
@dataset_options
def site_command(
    out_dir: Path,
    published_at: str | None,
    no_answers: bool,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Write a page for every IRI of the graph (entities with their evidence by source, annotated articles,
    records), class indexes, the saved questions with their answers, the ontology reference and an offline
    search, with Turtle, JSON-LD, N-Triples and RDF/XML twins beside each page. Links are relative: open
    OUTPUT/index.html from disk, or publish the folder as it is (see README, "Browsing and publishing")."""
    from kg.engines.limits import limited
    from kg.site.build import write_site

    ds = open_dataset(data, engine, store)
    with limited(*resolve_limits(timeout, memory_limit)):
        built = write_site(ds, out_dir, answers=not no_answers, published_at=published_at)
    size = built.bytes / 1_000_000
    click.echo(
        f"wrote {built.pages} pages and {built.files - built.pages} other files ({size:.1f} MB) to {out_dir} "
        f"in {built.seconds:.1f} s; open {out_dir / 'index.html'}",
        err=True,
    )


def register(group: click.Group) -> None:
    group.add_command(site_command)
