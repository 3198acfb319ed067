"""Reviewing a draft of `kg ingest`: its items in the order of the text, each accepted, edited or rejected, and
items the pipeline missed added, with the decisions kept in ``data/drafts/aNNN.review.json``.

The draft files are the pipeline's output and are never changed here: decisions, edits and additions live in the
review file and are applied each time the draft is read, so a review can stop and resume, and publishing
(kg.ingest.publish) builds the accepted graphs from both. A review file made for other draft files (the pipeline
ran again) is refused rather than applied to items it was not made for.

Every triple of a draft belongs to an item, so nothing is published unreviewed:

- ``statement``: an rdf:Statement with the triple it asserts (a triple two statements assert stays while either
  is accepted);
- ``record``: an Observation, Target, PostHolding or RecognitionAward, with the ``qdo:sets`` triple naming it;
- ``proposal``: an EntityProposal with the entity it proposes (its triples in aNNN.entities.ttl);
- ``names``: new names of an existing entity (aNNN.entities.ttl);
- ``reading``: a curators' reading (aNNN.curated.ttl) about no item or proposed entity; a reading about one
  belongs to that item and goes with it;
- ``loose``: any other triple of the article graph, by subject.

Rejecting a proposal also rejects every item that uses its entity, and accepting it again reopens them: the walk
follows the text, where an entity is usually introduced before the items that use it, so rejecting the entity
once is what the reviewer means. Accepting (or writing) an item that uses a rejected proposal's entity is refused.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from kg.dataset.load import parse_into
from kg.dataset.paths import INSTALLED, drafts_dir, project_root
from kg.dataset.resolve import curie, expand_name
from kg.engines.rdflib import new_dataset
from kg.engines.terms import term_from_ox, unsupported_problem
from kg.errors import InputError, KGError
from kg.ingest.text import read_text
from kg.publish.rdf import LexicalTurtle
from kg.quality.findings import normalise_space
from kg.report.terminal import one_line
from kg.vocab.namespaces import PREFIXES, QD, QDO, article_iri
from kg.vocab.terms import DRAFT_MARKS, RECORD_CLASSES

SHORT_ID = re.compile(r"a\d{3,}")
#: dcterms:identifier of an article: its number and 16 hex digits; it names the text file in data/articles/.
IDENTIFIER = re.compile(r"(\d{3,})_[0-9a-f]{16}")
UNDECIDED, ACCEPTED, REJECTED = "undecided", "accepted", "rejected"
STATES = (UNDECIDED, ACCEPTED, REJECTED)
#: The draft rule of an item the reviewer added (its confidence is 1).
ADDED_RULE = "reviewer:added"
#: The graphs an item's triples join when it is accepted.
ARTICLE, ENTITIES, CURATED = "article", "entities", "curated"
PARTS = (ARTICLE, ENTITIES, CURATED)
#: Kinds of item, in the order items of one sentence are shown: an entity before what uses it.
KINDS = ("proposal", "names", "statement", "record", "reading", "loose")
#: Kinds whose node must keep a verbatim qdo:evidence.
EVIDENCED = ("statement", "record", "proposal")
#: Predicates that only name or describe an entity: outside an item's own node they go to the entities graph.
ENTITY_PREDICATES = frozenset({SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, DCTERMS.description})
_RECORDS = RECORD_CLASSES - {QDO.EntityProposal}
#: Base IRI for the reviewer's Turtle: an IRI under it was written relative, which the graph never uses.
_RELATIVE = "http://relative.invalid/"
#: The project's prefixes, predeclared in the reviewer's Turtle and used when showing an item.
PREFIX_IRIS = {prefix: str(ns) for prefix, ns in PREFIXES.items()}

Triple = tuple[Node, Node, Node]
Quad = tuple[str, Triple]


class ReviewError(KGError):
    """A review action that cannot be done as asked (exit code 2); nothing was changed."""


# --- files ---------------------------------------------------------------------------------------------------


def check_short_id(short_id: str) -> str:
    """``short_id`` if it is an article's short id (a005); anything else never becomes part of a path."""
    if not SHORT_ID.fullmatch(short_id):
        raise InputError(f"{short_id!r} is not a draft's short id: give one like a005")
    return short_id


def draft_paths(short_id: str, root: Path | None = None) -> dict[str, Path]:
    """The files of draft ``short_id``: its text, article graph, entities, curated readings and review."""
    folder = drafts_dir(root)
    sid = check_short_id(short_id)
    return {
        "text": folder / f"{sid}.txt",
        ARTICLE: folder / f"{sid}.ttl",
        ENTITIES: folder / f"{sid}.entities.ttl",
        CURATED: folder / f"{sid}.curated.ttl",
        "review": folder / f"{sid}.review.json",
    }


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step (a temporary file beside it, flushed and renamed), so an interrupted write
    leaves the old content. Not kg.dataset.outputs: that refuses data/, which review and publish exist to write."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


def read_graph(path: Path) -> Graph:
    """A Turtle file as kg reads every data file (errors name the file and line)."""
    ds = new_dataset()
    name = URIRef(path.resolve().as_uri())
    parse_into(ds, path, name)
    return ds.graph(name)


def parse_turtle(text: str, where: str = "your Turtle") -> Graph:
    """The reviewer's Turtle, read by Oxigraph's parser as kg reads every file (rdflib's would rewrite ``01`` as
    ``1`` and ``0.0000001`` as the ill-typed ``1E-7``). The project's prefixes are declared on its first line, so
    line numbers in errors are the reviewer's own (columns, which the header would shift, are left out)."""
    header = " ".join(f"@prefix {prefix}: <{iri}> ." for prefix, iri in PREFIX_IRIS.items())
    try:
        quads = list(ox.parse(f"{header} {text}".encode(), format=ox.RdfFormat.TURTLE, base_iri=_RELATIVE))
    except UnicodeEncodeError as exc:
        raise ReviewError(f"{where}: not text: {exc.reason} at character {exc.start}") from None
    except SyntaxError as exc:
        detail = re.sub(r"^Parser error at line \d+ (column \d+|between columns \d+ and \d+): ", "", exc.msg)
        raise ReviewError(f"{where}, line {exc.lineno}: {detail}") from None
    graph = Graph()
    blanks: dict[str, BNode] = {}
    for q in quads:
        problem = unsupported_problem(q.object)
        if problem:
            raise ReviewError(f"{where}: {problem}")
        graph.add((term_from_ox(q.subject, blanks), term_from_ox(q.predicate, blanks), term_from_ox(q.object, blanks)))
    return graph


# --- Turtle as people read it ---------------------------------------------------------------------------------


class _Fragment(LexicalTurtle):
    """kg's Turtle writer (every literal as its lexical form) that never makes up a prefix: what it writes goes
    where only the prefixes it was given are declared."""

    def get_pname(self, uri: Any, gen_prefix: bool = True) -> str | None:
        return super().get_pname(uri, False)


def turtle_text(triples: Iterable[Triple], prefixes: Mapping[str, str]) -> str:
    """Turtle without @prefix lines, one block per subject in the order subjects first come; IRIs outside
    ``prefixes`` are written in full."""
    by_subject: dict[Node, list[Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple[0], []).append(triple)
    blocks = []
    for group in by_subject.values():
        graph = Graph(bind_namespaces="none")
        for prefix, iri in prefixes.items():
            graph.bind(prefix, iri)
        for triple in group:
            graph.add(triple)
        buffer = BytesIO()
        _Fragment(graph).serialize(buffer, encoding="utf-8")
        lines = buffer.getvalue().decode("utf-8").splitlines(keepends=True)
        start = 0
        while start < len(lines) and (lines[start].startswith("@prefix ") or not lines[start].strip()):
            start += 1  # the declarations come first; a line of a long string further down stays as it is
        blocks.append("".join(lines[start:]).strip())
    return "\n".join(blocks)


def _order(triples: Iterable[Triple], node: Node | None) -> list[Triple]:
    """Asserted triples first, then the item's own node, then the statements that reify them, as the data files are
    written."""
    triples = list(triples)
    statements = {s for s, p, o in triples if p == RDF.type and o == RDF.Statement}
    return sorted(triples, key=lambda t: (t[0] in statements, t[0] == node, str(t[0]), str(t[1]), t[2].n3()))


# --- where an item is in the text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an item's evidence is: its offset in the article with whitespace collapsed (to order items), and the
    paragraph around it with the span of the sentences it is in (to show it)."""

    position: int | None = None
    paragraph: str | None = None
    span: tuple[int, int] | None = None

    @property
    def sentence(self) -> str | None:
        if self.paragraph is None or self.span is None:
            return None
        return self.paragraph[self.span[0] : self.span[1]]


def _flatten(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace collapsed as checks compare quotes, and each character's offset in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    for m in re.finditer(r"\S+", text):
        if chars:
            chars.append(" ")
            offsets.append(m.start() - 1)
        chars.append(m.group())
        offsets.extend(range(m.start(), m.end()))
    return "".join(chars), offsets


class _Locator:
    """Finds quotes in an article: paragraphs and sentences as kg ingest splits them (kg.ingest.text)."""

    def __init__(self, raw: str) -> None:
        self.flat = normalise_space(raw)
        self.text = read_text(raw)
        self.body, self.offsets = _flatten(self.text.body)

    def contains(self, quote: str) -> bool:
        return normalise_space(quote) in self.flat

    def place(self, quotes: Iterable[str]) -> Place:
        found = sorted(
            (at, quote) for quote in map(normalise_space, quotes) if quote and (at := self.flat.find(quote)) >= 0
        )
        if not found:
            return Place()
        position, quote = found[0]
        at = self.body.find(quote)
        if at < 0:  # in the header (title, dateline), which has no sentences
            return Place(position)
        start, end = self.offsets[at], self.offsets[at + len(quote) - 1] + 1
        sentences = [s for s in self.text.sentences if s.start < end and s.end > start]
        if not sentences:
            return Place(position)
        p_start, p_end = self.text.paragraphs[sentences[0].paragraph]
        span = (sentences[0].start - p_start, min(sentences[-1].end, p_end) - p_start)
        return Place(position, self.text.body[p_start:p_end], span)


# --- items ----------------------------------------------------------------------------------------------------


@dataclass
class Item:
    """One thing to decide: the triples it adds to each graph, the rule that drafted it, the decision."""

    key: str
    kind: str
    node: Node
    quads: frozenset[Quad]
    rule: str | None = None
    confidence: str | None = None
    state: str = UNDECIDED
    #: The proposal whose rejection rejected this item too; accepting that proposal reopens it.
    cause: str | None = None
    #: The reviewer's Turtle, when they edited or added the item.
    edited: str | None = None
    added: bool = False
    place: Place = field(default_factory=Place)

    def triples(self, part: str) -> list[Triple]:
        return _order((t for p, t in self.quads if p == part), self.node)

    @property
    def evidence(self) -> list[str]:
        """The quotes that place the item in the text: its node's qdo:evidence, or the names it adds."""
        if self.kind == "names":
            return sorted(str(o) for _, (_, p, o) in self.quads if p in ENTITY_PREDICATES - {DCTERMS.description})
        return sorted(str(o) for _, (s, p, o) in self.quads if p == QDO.evidence and s == self.node)

    @property
    def uses(self) -> set[Node]:
        return _iris(self.quads)

    @property
    def proposes(self) -> set[Node]:
        return {o for _, (s, p, o) in self.quads if p == QDO.proposes and s == self.node}

    def turtle(self) -> str:
        """The item as Turtle with the project's prefixes, each part under a comment naming the file it joins."""
        blocks = []
        for part, comment in (
            (ARTICLE, ""),
            (ENTITIES, "# → data/triples/entities.ttl\n"),
            (CURATED, "# → data/triples/curated.ttl (the curators' reading, with its rationale)\n"),
        ):
            triples = self.triples(part)
            if triples:
                blocks.append(comment + turtle_text(triples, PREFIX_IRIS))
        return "\n\n".join(blocks) + "\n"


def _iris(quads: Iterable[Quad]) -> set[Node]:
    return {term for _, (s, _, o) in quads for term in (s, o) if isinstance(term, URIRef)}


def _typed(graph: Graph, classes: Iterable[Node]) -> set[Node]:
    return {s for cls in classes for s in graph.subjects(RDF.type, cls)}


def _reified(graph: Graph, statements: Iterable[Node]) -> dict[Triple, list[Node]]:
    out: dict[Triple, list[Node]] = {}
    for st in sorted(statements, key=str):
        s, p, o = (graph.value(st, prop) for prop in (RDF.subject, RDF.predicate, RDF.object))
        if s is not None and p is not None and o is not None:
            out.setdefault((s, p, o), []).append(st)
    return out


def _split(short_id: str, article: Graph, entities: Graph, curated: Graph) -> tuple[list[Triple], dict[str, Item]]:
    """The article's own metadata, and every other triple of the three graphs grouped into items (module doc)."""
    statements = set(article.subjects(RDF.type, RDF.Statement))
    kinds: dict[Node, str] = {n: "record" for n in _typed(article, _RECORDS)}
    kinds.update({n: "statement" for n in statements})
    kinds.update({n: "proposal" for n in _typed(article, [QDO.EntityProposal])})
    proposed = {
        o: p for p in sorted(_typed(article, [QDO.EntityProposal]), key=str) for o in article.objects(p, QDO.proposes)
    }
    groups: dict[str, tuple[str, Node, set[Quad], dict[Node, str]]] = {}

    def add(key: str, kind: str, node: Node, part: str, triple: Triple) -> None:
        _, _, quads, marks = groups.setdefault(key, (kind, node, set(), {}))
        if triple[1] in DRAFT_MARKS:
            marks[triple[1]] = str(triple[2])
        else:
            quads.add((part, triple))

    def owner(node: Node) -> tuple[str, str, Node] | None:
        """The item a triple about ``node`` belongs to: the node's own, or the proposal of the entity it is."""
        if node in kinds:
            return curie(node), kinds[node], node
        if node in proposed:
            return curie(proposed[node]), "proposal", proposed[node]
        return None

    metadata = []
    stated = _reified(article, statements)
    art = article_iri(short_id)
    for triple in article:
        s, p, o = triple
        if s == art:
            if p not in DRAFT_MARKS:
                metadata.append(triple)
            continue
        owners = [s] if s in kinds else []
        if p == QDO.sets and kinds.get(o) == "record":
            owners.append(o)
        owners += stated.get(triple, [])
        for n in dict.fromkeys(owners):
            add(curie(n), kinds[n], n, ARTICLE, triple)
        if not owners:
            add(f"loose:{curie(s)}", "loose", s, ARTICLE, triple)
    for triple in entities:
        found = owner(triple[0]) if triple[0] in proposed else None
        add(*(found or (f"names:{curie(triple[0])}", "names", triple[0])), ENTITIES, triple)
    readings = set(curated.subjects(RDF.type, RDF.Statement))
    read = _reified(curated, readings)
    for triple in curated:
        s = triple[0]
        for reading in [s] if s in readings else read.get(triple, [None]):
            about = s if reading is None else curated.value(reading, RDF.subject)
            found = owner(about) if about is not None else None
            if found is None:  # about no item: an item of its own
                found = (curie(reading), "reading", reading) if reading else (f"curated:{curie(s)}", "reading", s)
            add(*found, CURATED, triple)
    items = {
        key: Item(key, kind, node, frozenset(quads), marks.get(QDO.draftRule), marks.get(QDO.confidence))
        for key, (kind, node, quads, marks) in groups.items()
    }
    return metadata, items


def _parts(graph: Graph) -> tuple[Graph, Graph, Graph]:
    """The reviewer's Turtle split into the graphs its triples join: a curators' reading (an rdf:Statement with
    qdo:rationale, and the triple it reifies unless a quoted statement reifies it too) to the curated graph; a
    proposed entity's triples and names or descriptions of entities to the entities graph; the rest to the
    article graph."""
    article, entities, curated = Graph(), Graph(), Graph()
    statements = set(graph.subjects(RDF.type, RDF.Statement))
    readings = {s for s in statements if (s, QDO.rationale, None) in graph}
    stated, read = _reified(graph, statements - readings), _reified(graph, readings)
    nodes = statements | _typed(graph, RECORD_CLASSES)
    proposed = set(graph.objects(None, QDO.proposes))
    for triple in graph:
        s, p, _ = triple
        if s in readings or (triple in read and triple not in stated):
            curated.add(triple)
        elif triple not in stated and s not in nodes and (s in proposed or p in ENTITY_PREDICATES):
            entities.add(triple)
        else:
            article.add(triple)
    return article, entities, curated


# --- the draft ------------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A draft as kg ingest wrote it: the text, the article's metadata, its items as drafted."""

    short_id: str
    root: Path
    text: str
    identifier: str
    title: str
    metadata: list[Triple]
    items: dict[str, Item]
    fingerprint: str

    @property
    def paths(self) -> dict[str, Path]:
        return draft_paths(self.short_id, self.root)


def read_draft(short_id: str, root: Path | None = None) -> Draft:
    """Draft ``short_id`` from data/drafts/, its items as drafted; InputError if it is missing or malformed."""
    root = root or project_root()
    if root.resolve() == INSTALLED.resolve():
        raise InputError(
            "kg review writes the project's data, never the copy installed with kg: set KG_ROOT to a checkout"
        )
    paths = draft_paths(short_id, root)
    if not paths[ARTICLE].is_file() or not paths["text"].is_file():
        raise InputError(f"no draft {short_id} in {drafts_dir(root)} (kg ingest writes aNNN.txt and aNNN.ttl there)")
    contents = {name: paths[name].read_bytes() if paths[name].is_file() else b"" for name in ("text", *PARTS)}
    digest = hashlib.sha256()  # which files the saved decisions were made for
    for name, data in contents.items():
        digest.update(f"{paths[name].name}\0{len(data)}\0".encode() + data)
    try:
        text = contents["text"].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{paths['text']}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    graphs = [read_graph(paths[p]) if paths[p].is_file() else Graph() for p in PARTS]
    metadata, items = _split(short_id, *graphs)
    art = article_iri(short_id)
    values = {p: [str(o) for s, q, o in metadata if q == p] for p in (QDO.shortId, DCTERMS.identifier, DCTERMS.title)}
    if values[QDO.shortId] != [short_id]:
        raise InputError(f"{paths[ARTICLE]}: {curie(art)} needs qdo:shortId {short_id!r}, once")
    identifiers = values[DCTERMS.identifier]
    m = IDENTIFIER.fullmatch(identifiers[0]) if len(identifiers) == 1 else None
    if m is None or m.group(1) != short_id[1:]:
        raise InputError(
            f"{paths[ARTICLE]}: {curie(art)} needs one dcterms:identifier {short_id[1:]}_ and 16 hex digits, "
            f"got {identifiers!r}"
        )
    title = values[DCTERMS.title][0] if values[DCTERMS.title] else ""
    return Draft(short_id, root, text, identifiers[0], title, metadata, items, digest.hexdigest())


# --- the review -----------------------------------------------------------------------------------------------


class Review:
    """A draft under review: its items in text order with their decisions, saved to aNNN.review.json on every
    change (atomically), so notebooks and the CLI can stop at any point and resume."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self._locator = _Locator(draft.text)
        self._items = {key: replace(item) for key, item in draft.items.items()}  # the draft keeps its own
        for item in self._items.values():
            item.place = self._locator.place(item.evidence)
        self._resume()

    @property
    def short_id(self) -> str:
        return self.draft.short_id

    @property
    def path(self) -> Path:
        return self.draft.paths["review"]

    @property
    def items(self) -> list[Item]:
        """Every item in the order its evidence comes in the text; items without evidence in the text last."""

        def order(item: Item) -> tuple[bool, int, int, str]:
            position = item.place.position
            return position is None, position or 0, KINDS.index(item.kind), item.key

        return sorted(self._items.values(), key=order)

    def undecided(self) -> list[Item]:
        return [item for item in self.items if item.state == UNDECIDED]

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for item in self._items.values() if item.state == state) for state in STATES}

    def item(self, name: str) -> Item:
        """The item named by its key, its node's IRI or CURIE, or the node's local name (``a005-s01``)."""
        if name in self._items:
            return self._items[name]
        iri = expand_name(name) or QD[name]
        if curie(iri) in self._items:
            return self._items[curie(iri)]
        close = difflib.get_close_matches(name, list(self._items), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (kg review --list shows them)"
        raise ReviewError(f"no item {name!r} in draft {self.short_id}{hint}")

    def accept(self, name: str) -> Item:
        """Accept an item as drafted; for a proposal, reopen what its rejection rejected."""
        item = self.item(name)
        self._check_usable(item, item.quads)
        self._decide(item, ACCEPTED)
        self.save()
        return item

    def reject(self, name: str) -> list[Item]:
        """Reject an item; for a proposal, also every item that uses its entity. Returns those others."""
        item = self.item(name)
        self._decide(item, REJECTED)
        also = []
        if item.kind == "proposal":
            for other in self.items:
                if other is not item and other.state != REJECTED and item.proposes & other.uses:
                    other.state, other.cause = REJECTED, item.key
                    also.append(other)
        self.save()
        return also

    def edit(self, name: str, turtle: str) -> Item:
        """Replace an item's triples by the reviewer's Turtle for it, and accept it. Refused (nothing changed) when
        the Turtle does not parse, holds no verbatim evidence, or is not this one item."""
        item = self.item(name)
        new = self._item_from_turtle(turtle, item)
        self._check_usable(item, new.quads)
        item.quads, item.edited = new.quads, turtle
        item.place = self._locator.place(item.evidence)
        self._decide(item, ACCEPTED)
        self.save()
        return item

    def add(self, turtle: str) -> Item:
        """Add an item the pipeline missed, accepted and marked as the reviewer's (rule reviewer:added, confidence
        1): one statement, record, entity proposal or curators' reading, with verbatim evidence."""
        new = self._item_from_turtle(turtle, None)
        self._check_usable(new, new.quads)
        new.rule, new.confidence, new.state, new.edited, new.added = ADDED_RULE, "1", ACCEPTED, turtle, True
        self._items[new.key] = new
        self.save()
        return new

    def accept_all(self) -> list[tuple[Item, str]]:
        """Accept every undecided item; returns those left undecided (they use a rejected proposal's entity)."""
        blocked = []
        for item in self.undecided():
            try:
                self._check_usable(item, item.quads)
            except ReviewError as exc:
                blocked.append((item, str(exc)))
                continue
            item.state = ACCEPTED
        self.save()
        return blocked

    def edit_text(self, item: Item) -> str:
        """The Turtle offered for editing an item."""
        return (
            f"# {item.key}: edit and save to replace the item (it is then accepted); save it unchanged to keep it.\n"
            f"# Predeclared prefixes: {', '.join(PREFIX_IRIS)}. Every qdo:evidence quotes the article verbatim.\n"
            + item.turtle()
        )

    def template(self, near: Item | None = None) -> str:
        """Turtle for a new item, its evidence the sentence of ``near`` (the item the reviewer is at)."""
        sentence = near.place.sentence if near is not None else None
        taken = [int(m.group(1)) for k in self._items if (m := re.fullmatch(rf"qd:{self.short_id}-s(\d+)", k))]
        node = f"qd:{self.short_id}-s{max(taken, default=0) + 1:02d}"
        return (
            f"# A new item for {self.short_id}: saved, it is added and accepted (rule {ADDED_RULE}).\n"
            "# One statement (its triple and rdf:Statement, as below), one record (qdo:Observation, qdo:Target,\n"
            "# qdo:PostHolding, qdo:RecognitionAward), one qdo:EntityProposal with its entity, or one curators'\n"
            "# reading (an rdf:Statement with qdo:rationale). qdo:evidence quotes the article verbatim.\n"
            f"# Predeclared prefixes: {', '.join(PREFIX_IRIS)}.\n\n"
            "qd:Subject qdo:property qd:Object .\n"
            f"{node} a rdf:Statement ; rdf:subject qd:Subject ; rdf:predicate qdo:property ; rdf:object qd:Object ;\n"
            f"    dcterms:source art:{self.short_id} ;\n"
            f"    qdo:evidence {Literal(sentence or 'the words of the article that state it').n3()} .\n"
        )

    def save(self) -> None:
        """Write what differs from the draft (decisions, edits, additions) to the review file, in one step."""
        entries: dict[str, dict[str, object]] = {}
        for item in self._items.values():
            entry: dict[str, object] = {}
            if item.state != UNDECIDED:
                entry["state"] = item.state
            if item.cause is not None:
                entry["cause"] = item.cause
            if item.edited is not None:
                entry["turtle"] = item.edited
            if item.added:
                entry["added"] = True
            if entry:
                entries[item.key] = entry
        document = {"draft": self.short_id, "fingerprint": self.draft.fingerprint, "items": entries}
        text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        write_atomically(self.path, text.encode("utf-8"))

    # --- inside ---

    def _decide(self, item: Item, state: str) -> None:
        item.state, item.cause = state, None
        if item.kind == "proposal" and state == ACCEPTED:
            for other in self._items.values():
                if other.cause == item.key:
                    other.state, other.cause = UNDECIDED, None

    def _check_usable(self, item: Item, quads: Iterable[Quad]) -> None:
        used = _iris(quads)
        for other in self.items:
            if other is item or other.kind != "proposal" or other.state != REJECTED:
                continue
            for entity in sorted(other.proposes & used, key=str):
                raise ReviewError(
                    f"{item.key} uses {curie(entity)}, whose proposal {other.key} is rejected: "
                    f"accept {other.key} first, or edit {item.key}"
                )

    def _item_from_turtle(self, turtle: str, expected: Item | None) -> Item:
        what = f"the edit of {expected.key}" if expected is not None else "the new item"
        graph = parse_turtle(turtle, what)
        for triple in graph:
            for term in triple:
                if isinstance(term, BNode):
                    raise ReviewError(f"{what}: blank nodes are not used in this graph; name every node with an IRI")
                if isinstance(term, URIRef) and term.startswith(_RELATIVE):
                    relative = term[len(_RELATIVE) :]
                    raise ReviewError(f"{what}: <{relative}> is a relative IRI; write it in full or with a prefix")
        metadata, items = _split(self.short_id, *_parts(graph))
        if metadata:
            raise ReviewError(f"{what}: the article's own metadata ({curie(article_iri(self.short_id))}) is no item")
        if not items:
            raise ReviewError(f"{what} holds no triples; to drop an item, reject it")
        if len(items) > 1:
            raise ReviewError(f"{what} holds {len(items)} items ({', '.join(sorted(items))}); write one at a time")
        [new] = items.values()
        if expected is not None and new.key != expected.key:
            raise ReviewError(
                f"{what} holds {new.key} instead; an edit keeps its item (reject it and add a new one to replace it)"
            )
        if expected is None:
            self._check_new(new, what)
        for quote in (str(o) for _, (_, p, o) in new.quads if p == QDO.evidence):
            if not self._locator.contains(quote):
                raise ReviewError(
                    f"{what}: qdo:evidence {one_line(quote)!r} is not in the article's text "
                    "(compared with runs of whitespace as one space); a quote is verbatim"
                )
        if new.kind in EVIDENCED and not new.evidence:
            raise ReviewError(f"{what}: {new.key} needs a qdo:evidence quoting the article verbatim")
        if new.kind == "reading" and not any(p == QDO.rationale for _, (_, p, _) in new.quads):
            raise ReviewError(f"{what}: a curators' reading needs a qdo:rationale")
        new.place = self._locator.place(new.evidence)
        return new

    def _check_new(self, new: Item, what: str) -> None:
        if new.key in self._items:
            raise ReviewError(f"{what}: {new.key} is already an item; edit it instead")
        if new.kind in ("loose", "names") or new.key.startswith("curated:"):
            raise ReviewError(
                f"{what} is no statement, record, entity proposal or curators' reading (see the template); "
                "a triple between entities needs its rdf:Statement with qdo:evidence"
            )
        about = next((o for _, (s, p, o) in new.quads if s == new.node and p == RDF.subject), None)
        nodes = [i for i in self._items.values() if i.kind in EVIDENCED]
        owners = {i.node: i for i in nodes} | {entity: i for i in nodes for entity in i.proposes}
        if new.kind == "reading" and about in owners:
            raise ReviewError(f"{what} is a reading about {curie(about)}: edit {owners[about].key} to add it there")

    def _resume(self) -> None:
        """Apply the decisions, edits and additions saved for this very draft."""
        path = self.path
        if not path.exists():
            return
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise InputError(f"{path}: cannot read the saved review: {exc}") from None
        entries = document.get("items") if isinstance(document, dict) else None
        if not isinstance(entries, dict) or document.get("draft") != self.short_id:
            raise InputError(f"{path}: not a saved review of {self.short_id}")
        if document.get("fingerprint") != self.draft.fingerprint:
            raise InputError(
                f"{path}: the draft files changed since these decisions were made (kg ingest ran again?); "
                "move the review file away to review the new draft"
            )
        for key, entry in entries.items():
            try:
                self._restore(key, entry)
            except KGError as exc:
                raise InputError(f"{path}: {key}: {exc}") from None

    def _restore(self, key: str, entry: object) -> None:
        if not isinstance(entry, dict):
            raise InputError("not a saved decision")
        state, cause, turtle = entry.get("state", UNDECIDED), entry.get("cause"), entry.get("turtle")
        if state not in STATES or not isinstance(cause, str | None) or not isinstance(turtle, str | None):
            raise InputError("not a saved decision")
        if entry.get("added"):
            if turtle is None:
                raise InputError("an added item without its Turtle")
            item = self._item_from_turtle(turtle, None)
            if item.key != key:
                raise InputError(f"the saved Turtle holds {item.key}")
            item.rule, item.confidence, item.added = ADDED_RULE, "1", True
            self._items[key] = item
        elif key not in self._items:
            raise InputError("no such item in the draft")
        item = self._items[key]
        if turtle is not None and not item.added:
            item.quads = self._item_from_turtle(turtle, item).quads
            item.place = self._locator.place(item.evidence)
        item.state, item.cause, item.edited = state, cause, turtle


def open_review(short_id: str, root: Path | None = None) -> Review:
    """Draft ``short_id`` under review, with the decisions saved so far."""
    return Review(read_draft(check_short_id(short_id), root))
