"""`kg ingest ARTICLE`: draft every fact of a new article for review (kg.ingest.pipeline)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from kg.errors import InputError
from kg.report.terminal import printable


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{printable(value)!r} is not a date (YYYY-MM-DD)") from None


@click.command()
@click.argument("article", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--id", "short_id", metavar="aNNN", help="The article's id (default: the next free aNNN).")
@click.option(
    "--date",
    "published",
    callback=_date,
    metavar="YYYY-MM-DD",
    help="Its date (when none is printed, or to correct the printed one).",
)
@click.option("--title", help="Its title, when the first lines do not give it.")
@click.option("--publisher", help="Its publisher (a known media organisation's name, or a new one).")
def ingest(
    article: Path, short_id: str | None, published: date | None, title: str | None, publisher: str | None
) -> None:
    """Draft ARTICLE (UTF-8 plain text) into data/drafts/aNNN.*: entities linked by the graph's names, figures
    and targets as records, the core relations, each with its sentence, rule and confidence. Review it with
    `kg review aNNN`; `kg validate --drafts` checks it; `--with-drafts` lets other commands see it."""
    from kg.ingest.pipeline import SHORT_ID
    from kg.ingest.pipeline import ingest as run

    if short_id is not None and not SHORT_ID.match(short_id):
        raise InputError(f"--id {printable(short_id)!r} is not an article id (aNNN, e.g. a005)")
    draft = run(article, short_id, title=title, published=published, publisher=publisher)
    g = draft.graphs
    new = len(g.new_entities)
    click.echo(
        f"Drafted {draft.short_id} ({printable(draft.text.title or 'untitled')}) in {draft.seconds:.1f} s: "
        f"{len(draft.text.sentences)} sentences, {draft.items} items to review "
        f"({len(draft.figures)} figures, {len(draft.relations)} relations, {len(draft.posts)} posts, "
        f"{new} new entities)."
    )
    for note in [*g.notes, *draft.dropped]:
        click.echo(f"note: {printable(note)}", err=True)
    click.echo(f"Next: kg review {draft.short_id}")


def register(group: click.Group) -> None:
    group.add_command(ingest)
