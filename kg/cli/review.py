"""`kg review aNNN`: walk a draft of `kg ingest` item by item in the terminal, or decide and publish it from a
script. Exit codes: 0 ok, 1 validation findings on publish (every file restored), 2 usage or input error."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from kg.errors import KGError
from kg.report.terminal import one_line, printable

if TYPE_CHECKING:  # kg.ingest.review is imported when the command runs: every other kg command starts faster
    from kg.ingest.review import Item, Review

_KEYS = "a accept, e edit, r reject, n new item, b back, q quit"


@click.command("review")
@click.argument("short_id", metavar="aNNN")
@click.option("--list", "show_list", is_flag=True, help="Print the items in text order with their decisions.")
@click.option("--accept-all", is_flag=True, help="Accept every undecided item (rejections stay).")
@click.option("--publish", "publish_it", is_flag=True, help="Publish the draft when every item is decided.")
@click.option("--no-reasoner", is_flag=True, help="Publish without HermiT's OWL 2 DL check (it needs Java).")
def review_command(short_id: str, show_list: bool, accept_all: bool, publish_it: bool, no_reasoner: bool) -> None:
    """Review draft aNNN (data/drafts/): accept, edit or reject each item, add what the pipeline missed, publish.

    Without options, an interactive walk through the items in the order of the text, starting at the first
    undecided one; every decision is saved at once (data/drafts/aNNN.review.json), so q, or Ctrl-D, and a later
    `kg review aNNN` resume. With options, the steps they name, in this order: --accept-all, --list, --publish.
    """
    from kg.ingest.review import open_review

    review = open_review(short_id)
    if not (show_list or accept_all or publish_it):
        _walk(review)
        return
    if accept_all:
        blocked = review.accept_all()
        click.echo(f"{review.short_id}: {_summary(review)}", err=True)
        for _, why in blocked:
            click.echo(f"left undecided: {printable(why)}", err=True)
    if show_list:
        _print_list(review)
    if publish_it:
        _publish(review, reasoner=not no_reasoner)


def _summary(review: Review) -> str:
    counts = review.counts()
    return f"{sum(counts.values())} item(s): " + ", ".join(f"{n} {state}" for state, n in counts.items())


def _print_list(review: Review) -> None:
    for n, item in enumerate(review.items, start=1):
        rule = f"{item.rule} {item.confidence}" if item.rule else "-"
        quote = item.place.sentence or (item.evidence[0] if item.evidence else "")
        excerpt = quote if len(quote) <= 60 else quote[:59] + "…"
        how = " added" if item.added else " edited" if item.edited else ""
        line = f"{n:>3} {item.state:<9} {item.kind:<9} {item.key}  [{rule}]{how}"
        click.echo(one_line(f"{line}  {excerpt!r}" if quote else line))
    click.echo(_summary(review))


def _publish(review: Review, reasoner: bool) -> None:
    from kg.ingest.publish import PublishFindings, publish

    try:
        done = publish(review, reasoner=reasoner)
    except PublishFindings as exc:
        for note in exc.notes:
            click.echo(f"note: {printable(note)}", err=True)
        for finding in exc.findings:
            click.echo(printable(str(finding)))
        click.echo(f"error: {printable(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    for note in done.notes:
        click.echo(f"note: {printable(note)}", err=True)
    checked = "SHACL, the project checks and HermiT" if done.reasoned else "SHACL and the project checks"
    click.echo(
        f"published {done.short_id}: {done.accepted} item(s) accepted, {done.rejected} rejected; "
        f"{done.triples} triples pass {checked}."
    )
    for path in done.written:
        click.echo(f"  wrote {path.relative_to(review.draft.root)}")
    click.echo(f"  removed the draft ({len(done.removed)} file(s) in data/drafts/)")


# --- the interactive walk -------------------------------------------------------------------------------------


def _show(item: Item, number: int, total: int) -> None:
    """The item: a header, its paragraph with the sentence highlighted, its Turtle; data made printable."""
    from kg.ingest.review import ACCEPTED, REJECTED

    colour = {ACCEPTED: "green", REJECTED: "red"}.get(item.state, "yellow")
    state = click.style(item.state, fg=colour, bold=True)
    rule = f"  rule {item.rule}, confidence {item.confidence}" if item.rule else ""
    edited = "  (added)" if item.added else "  (edited)" if item.edited else ""
    click.echo("\n" + click.style(f"── {number}/{total}  {item.kind} {printable(item.key)}", bold=True) + f"  {state}")
    click.echo(printable(f"{rule}{edited}").strip() or "no draft rule")
    place = item.place
    if place.paragraph is not None and place.span is not None:
        start, end = place.span
        sentence = click.style(printable(place.paragraph[start:end]), fg="cyan", bold=True, underline=True)
        click.echo("\n" + printable(place.paragraph[:start]) + sentence + printable(place.paragraph[end:]))
    elif item.evidence:
        click.echo("\n" + click.style(printable(item.evidence[0]), fg="cyan", bold=True))
    else:
        click.echo("\n(no quote of the article places this item)")
    click.echo("\n" + printable(item.turtle()).rstrip())


def _in_editor(offered: str, apply: Callable[[str], str]) -> bool:
    """Open ``offered`` in $EDITOR and apply what the reviewer saves, again while it is refused and they want to
    retry (their text kept); whether it was applied. Saving it unchanged, or not saving, changes nothing."""
    while True:
        text = click.edit(offered, extension=".ttl")
        if text is None or text == offered:
            return False
        try:
            click.echo(printable(apply(text)))
        except KGError as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
            if not click.confirm("edit it again?", default=True):
                return False
            offered = text
            continue
        return True


def _walk(review: Review) -> None:
    items = review.items
    if not items:
        click.echo(f"{review.short_id}: the draft holds no items")
        return
    undecided = review.undecided()
    at = items.index(undecided[0]) if undecided else 0
    while True:
        items = review.items
        if at >= len(items):
            undecided = review.undecided()
            if not undecided:
                click.echo(
                    f"\n{review.short_id}: {_summary(review)}; publish with kg review {review.short_id} --publish"
                )
                return
            click.echo(f"\n{len(undecided)} item(s) still undecided: back to the first of them")
            at = items.index(undecided[0])
        item = items[at]
        _show(item, at + 1, len(items))
        try:
            key = click.prompt(_KEYS, type=click.Choice(list("aernbq")), show_choices=False)
        except click.Abort:
            key = "q"
        try:
            at = _act(review, item, key, at)
        except KGError as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
        except click.Abort:  # end of input while asking whether to edit again
            at = -1
        if at < 0:
            click.echo(f"\n{review.short_id}: {_summary(review)}; saved in {review.path.name}")
            return


def _act(review: Review, item: Item, key: str, at: int) -> int:
    """Do what the key says; the index of the item to show next (-1 to stop)."""
    if key == "q":
        return -1
    if key == "b":
        return max(at - 1, 0)
    if key == "a":
        review.accept(item.key)
    elif key == "r":
        also = review.reject(item.key)
        if also:
            click.echo(printable(f"also rejected, as they use its entity: {', '.join(i.key for i in also)}"))
    elif key == "e":
        if not _in_editor(
            review.edit_text(item), lambda text: f"edited and accepted {review.edit(item.key, text).key}"
        ):
            click.echo("unchanged")
            return at
    elif key == "n":
        if not _in_editor(review.template(item), lambda text: f"added {review.add(text).key} (accepted)"):
            click.echo("nothing added")
        return review.items.index(item)
    items = review.items
    at += 1
    while at < len(items) and items[at].cause is not None:  # rejected with their proposal: decided already
        at += 1
    return at


def register(group: click.Group) -> None:
    """Add `review` to the `kg` command group."""
    group.add_command(review_command)
