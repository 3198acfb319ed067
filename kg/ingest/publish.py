"""Publishing a reviewed draft: what the reviewer accepted joins the shipped graph, or nothing changes.

The accepted items, without draft marks and proposals, become ``data/triples/aNNN.ttl``; the text is copied to
``data/articles/<identifier>.txt`` and indexed in ``articles.csv``; new entities and names are appended to
``entities.ttl`` and the curators' readings to ``curated.ttl``, each under a comment naming the article. Then the
whole project is validated as ``kg validate`` does; on any finding every file is put back byte for byte and the
findings are reported. Only a clean publication removes the draft.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from kg.dataset.paths import articles_dir
from kg.dataset.resolve import curie
from kg.errors import KGError
from kg.ingest.draft import ARTICLE_PREFIXES
from kg.ingest.review import (
    ACCEPTED,
    ARTICLE,
    CURATED,
    ENTITIES,
    PREFIX_IRIS,
    REJECTED,
    Review,
    ReviewError,
    Triple,
    parse_turtle,
    read_graph,
    turtle_text,
    write_atomically,
)
from kg.quality.findings import Finding
from kg.quality.shacl import validate
from kg.report.terminal import one_line
from kg.vocab.namespaces import QDO, article_iri

#: The prefixes every article file declares.
INDEX_COLUMNS = ("short_id", "id", "file", "iri", "title", "publisher", "date", "date_note")


class PublishFindings(KGError):
    """Validation found problems once the draft was in place; every file was put back as it was (exit code 1)."""

    exit_code = 1

    def __init__(self, short_id: str, findings: list[Finding], notes: list[str]) -> None:
        super().__init__(
            f"{short_id} was not published: validation found {len(findings)} problem(s); every file is as it was"
        )
        self.findings = findings
        self.notes = notes


@dataclass(frozen=True)
class Published:
    """What a publication wrote and removed, and what validation said."""

    short_id: str
    written: tuple[Path, ...]
    removed: tuple[Path, ...]
    accepted: int
    rejected: int
    triples: int
    reasoned: bool
    notes: tuple[str, ...]


def publish(review: Review, reasoner: bool = True) -> Published:
    """Publish a fully decided draft and validate the project (HermiT too when ``reasoner`` and Java is present,
    as ``kg validate`` decides); PublishFindings after restoring every file when validation finds anything."""
    changes = _changes(review)
    before = {path: path.read_bytes() if path.exists() else None for path in changes}
    try:
        for path, data in changes.items():
            write_atomically(path, data)
        report = validate(root=review.draft.root, reasoner=reasoner)
    except BaseException:  # an interrupt or a failed write included: nothing half-published stays
        _restore(before)
        raise
    if not report.ok:
        _restore(before)
        raise PublishFindings(review.short_id, report.findings, report.notes)
    removed = tuple(path for path in review.draft.paths.values() if path.exists())
    for path in removed:
        path.unlink()
    counts = review.counts()
    return Published(
        review.short_id,
        tuple(changes),
        removed,
        counts[ACCEPTED],
        counts[REJECTED],
        report.triples,
        report.reasoned,
        tuple(report.notes),
    )


def _restore(before: dict[Path, bytes | None]) -> None:
    failed = []
    for path, data in before.items():
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, data)
        except (OSError, KGError):
            failed.append(str(path))
    if failed:
        raise KGError(f"could not restore {', '.join(failed)}; `git status` shows what changed")


def _changes(review: Review) -> dict[Path, bytes]:
    """Every file publication writes, with its new content; refused before anything is written."""
    draft = review.draft
    undecided = review.undecided()
    if undecided:
        keys = ", ".join(item.key for item in undecided[:5]) + (", …" if len(undecided) > 5 else "")
        raise ReviewError(
            f"{len(undecided)} item(s) of {draft.short_id} are undecided ({keys}): decide them first "
            f"(kg review {draft.short_id}, or --accept-all)"
        )
    triples = draft.root / "data" / "triples"
    target = triples / f"{draft.short_id}.ttl"
    text_file = articles_dir(draft.root) / f"{draft.identifier}.txt"
    index = articles_dir(draft.root) / "articles.csv"
    for path in (target, text_file):
        if path.exists():
            raise ReviewError(f"{path.relative_to(draft.root)} already exists: {draft.short_id} is published")
    accepted = [item for item in review.items if item.state == ACCEPTED]
    new_entities = [t for item in accepted for t in item.triples(ENTITIES)]
    changes = {
        text_file: draft.paths["text"].read_bytes(),
        target: _article_file(review).encode("utf-8"),
        index: _index(index, review, new_entities),
    }
    for part, what in ((ENTITIES, "new entities and names"), (CURATED, "the curators' readings")):
        blocks = [item.triples(part) for item in accepted if item.triples(part)]
        if blocks:
            path = triples / f"{part}.ttl"
            changes[path] = _appended(
                path, blocks, f'{draft.short_id} "{one_line(draft.title)}": {what}, reviewed with kg review'
            )
    return changes


def _article_file(review: Review) -> str:
    """The article graph as written by hand: prefixes, a banner, the metadata, then each accepted item."""
    draft = review.draft
    source = Literal(f"data/articles/{draft.identifier}.txt")
    metadata = [(s, p, source if p == QDO.sourceFile else o) for s, p, o in draft.metadata]
    prefixes = {p: PREFIX_IRIS[p] for p in ARTICLE_PREFIXES}
    blocks = [
        item.triples(ARTICLE)
        for item in review.items
        if item.state == ACCEPTED and item.kind != "proposal" and item.triples(ARTICLE)
    ]
    rule = "# " + "=" * 76
    text = (
        "".join(f"@prefix {p + ':':<8} <{iri}> .\n" for p, iri in prefixes.items())
        + f'\n{rule}\n# {draft.short_id} - "{one_line(draft.title)}"\n{rule}\n'
        + f"# Drafted by kg ingest from data/drafts/{draft.short_id}.txt; reviewed with kg review.\n\n"
        + "# --- Article metadata ---\n"
        + turtle_text(sorted(metadata), prefixes)
        + "\n\n# --- Statements and records, in the order of the text ---\n"
        + "\n\n".join(turtle_text(block, prefixes) for block in blocks)
        + "\n"
    )
    _check_reads_back(text, [*metadata, *(t for block in blocks for t in block)], f"data/triples/{draft.short_id}.ttl")
    return text


def _appended(path: Path, blocks: list[list[Triple]], comment: str) -> bytes:
    """``path`` with the blocks appended under ``comment``, written with only the prefixes it declares."""
    prefixes = {
        prefix: str(iri) for prefix, iri in Graph(bind_namespaces="none").parse(path, format="turtle").namespaces()
    }
    body = "\n".join(turtle_text(block, prefixes) for block in blocks)
    header = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in prefixes.items())
    _check_reads_back(header + body, [t for block in blocks for t in block], str(path))
    old = path.read_bytes()
    return old + (b"\n" if old and not old.endswith(b"\n") else b"") + f"\n# --- {comment} ---\n{body}\n".encode()


def _check_reads_back(text: str, triples: list[Triple], where: str) -> None:
    """Refuse to write Turtle that would not read back as exactly the reviewed triples."""
    if set(parse_turtle(text, where)) != set(triples):
        raise KGError(f"cannot publish: the Turtle written for {where} would not read back as the reviewed triples")


def _index(path: Path, review: Review, new_entities: list[Triple]) -> bytes:
    """articles.csv with the article's row appended, its publisher named by preferred label as the rows are."""
    draft = review.draft
    old = path.read_bytes() if path.exists() else b""
    with io.StringIO(old.decode("utf-8"), newline="") as stream:
        rows = list(csv.DictReader(stream))
    if any(row.get("short_id") == draft.short_id for row in rows):
        raise ReviewError(f"{path.relative_to(draft.root)} already lists {draft.short_id}")
    labels = read_graph(draft.root / "data" / "triples" / "entities.ttl")
    for triple in new_entities:
        labels.add(triple)

    def values(prop: Node) -> list[Node]:
        return [o for s, p, o in draft.metadata if p == prop]

    def label(node: Node) -> str:
        return str(labels.value(node, SKOS.prefLabel) or curie(node))

    first = {prop: str(next(iter(values(prop)), "")) for prop in (DCTERMS.date, QDO.dateNote)}
    row = [
        draft.short_id,
        draft.identifier,
        f"{draft.identifier}.txt",
        str(article_iri(draft.short_id)),
        draft.title,
        "; ".join(sorted(label(p) for p in values(DCTERMS.publisher))),
        first[DCTERMS.date],
        first[QDO.dateNote],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    if not old:
        writer.writerow(INDEX_COLUMNS)
    writer.writerow(row)
    separator = b"\r\n" if old and not old.endswith(b"\n") else b""
    return old + separator + out.getvalue().encode("utf-8")
