"""`kg ingest`: an article's text → a draft in data/drafts/ that `kg validate --drafts` accepts.

Text → mentions → figures and relations → the draft's graphs; then the project's own validation (pySHACL
and every project check) runs on the shipped graph plus the draft, and any drafted item it finds fault with is
dropped and noted, so that the reviewer starts from a draft that is valid as it stands.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD
from rdflib.term import Node

from kg.dataset.load import load_dataset
from kg.dataset.paths import INSTALLED, Source, drafts_dir, project_root, shapes_path, shipped_sources
from kg.dataset.resolve import curie
from kg.errors import InputError
from kg.ingest.draft import Builder, DraftGraphs
from kg.ingest.figures import Figure, FigureReader
from kg.ingest.mentions import Linker, Mention, mention_is
from kg.ingest.relations import Post, Relation, RelationReader
from kg.ingest.text import Text, read_text
from kg.ingest.vocabulary import Vocabulary
from kg.publish.rdf import lexical_turtle
from kg.quality.checks import run_checks
from kg.quality.findings import Finding
from kg.quality.shacl import shacl_findings
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, QDO, article_iri
from kg.vocab.terms import RECORD_CLASSES

SHORT_ID = re.compile(r"^a\d{3,}$")
#: The largest file `kg ingest` reads: a long report is some 100 kB of text; more is a corpus, not an article.
MAX_ARTICLE_BYTES = 2_000_000
#: How often validation may prune the draft before giving up (each pass drops what the last one found).
_PRUNE_PASSES = 4


@dataclass
class Draft:
    """A drafted article: what was read, what was drafted, and how long it took."""

    short_id: str
    identifier: str
    raw: str
    text: Text
    mentions: list[Mention]
    figures: list[Figure]
    relations: list[Relation]
    posts: list[Post]
    graphs: DraftGraphs
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def items(self) -> int:
        g = self.graphs.article
        return len(set(g.subjects(QDO.draftRule, None)))


def next_short_id(root: Path | None = None) -> str:
    """The first aNNN not used by a shipped article or a draft."""
    root = root or project_root()
    used = {
        int(p.name[1:4])
        for folder in (root / "data" / "triples", drafts_dir(root))
        if folder.is_dir()
        for p in folder.glob("a[0-9][0-9][0-9]*.ttl")
    }
    n = 0
    while n in used:
        n += 1
    return f"a{n:03d}"


def _main_place(mentions: list[Mention], vocabulary: Vocabulary) -> URIRef | None:
    """The city the article is about: the one it names most."""
    cities = Counter(m.iri for m in mentions if m.iri is not None and vocabulary.is_a(m.iri, QDO.City))
    return cities.most_common(1)[0][0] if cities else None


def draft_article(
    raw: str,
    vocabulary: Vocabulary,
    short_id: str,
    *,
    title: str | None = None,
    published: date | None = None,
    publisher: str | None = None,
    root: Path | None = None,
    base: list[Source] | None = None,
    prune: bool = True,
) -> Draft:
    """Draft an article. ``base`` is the graph the draft is validated against (default: the shipped graph)."""
    started = time.perf_counter()
    if not SHORT_ID.match(short_id):
        raise InputError(f"{short_id!r} is not an article id (aNNN, e.g. a005)")
    text = read_text(raw)
    if published is not None:
        text.date, text.date_line = published, None  # the date given wins over any printed one
    mentions = Linker(vocabulary).link(text)
    main = _main_place(mentions, vocabulary)
    figures = FigureReader(vocabulary).read(text, mentions, text.date)
    relations, posts = RelationReader(vocabulary).read(text, mentions, main)
    identifier = f"{int(short_id[1:]):03d}_{hashlib.sha256(raw.encode('utf-8')).hexdigest()[:16]}"
    root = root or project_root()
    base = base if base is not None else shipped_sources(root)
    base_ds = draft_dataset(DraftGraphs(Graph(), Graph(), Graph()), article_iri(short_id), base) if prune else None
    taken = {s for s in base_ds.subjects() if isinstance(s, URIRef)} if base_ds is not None else set()
    builder = Builder(vocabulary, short_id, text, main, taken)
    _article_node(builder, identifier, title or text.title, publisher)
    for m in mentions:
        if m.how == "fuzzy":
            builder.alias(m)
        elif m.new:
            builder.entity(m)  # every name the graph does not know is proposed, used in a statement or not
    for r in relations:
        builder.relation(r)
    records: dict[int, URIRef] = {}
    for fig in figures:
        builder.figure(fig, _plan_for(fig, mentions, builder), records)
    for p in posts:
        builder.post(p, _event_for(p, mentions, builder))
    draft = Draft(short_id, identifier, raw, text, mentions, figures, relations, posts, builder.out)
    if prune:
        _prune(draft, root, base)
    draft.seconds = time.perf_counter() - started
    return draft


def _article_node(builder: Builder, identifier: str, title: str | None, publisher: str | None) -> None:
    g, art, text = builder.out.article, builder.article, builder.text
    g.add((art, RDF.type, QDO.Article))
    g.add((art, DCTERMS.identifier, Literal(identifier)))
    g.add((art, QDO.shortId, Literal(builder.short_id)))
    g.add((art, DCTERMS.title, Literal(title or f"Untitled article {builder.short_id}")))
    g.add((art, QDO.sourceFile, Literal(f"data/drafts/{builder.short_id}.txt")))
    g.add((art, DCTERMS.language, Literal("en")))
    if text.date is not None:
        g.add((art, DCTERMS.date, Literal(text.date.isoformat(), datatype=XSD.date)))
    note = (
        f"Printed as '{text.date_line}'; read by kg ingest."
        if text.date_line
        else "Date given on the command line."
        if text.date
        else "No date printed; none given."
    )
    g.add((art, QDO.dateNote, Literal(note)))
    if publisher:
        known = next(
            (
                e.iri
                for e in builder.vocabulary.of_class(QDO.MediaOrganization)
                if any(n.text.casefold() == publisher.casefold() for n in e.names)
            ),
            None,
        )
        if known is None:
            builder.out.notes.append(f"publisher {publisher!r} is not known: proposed as a new media organisation")
            known = _new_publisher(builder, publisher)
        g.add((art, DCTERMS.publisher, known))


def _new_publisher(builder: Builder, name: str) -> URIRef:
    first = builder.text.sentences[0] if builder.text.sentences else None
    if first is None:
        raise InputError("the article has no text to draft")
    mention = Mention(name, first.start, first.start, first, None, "new", 1.0, QDO.MediaOrganization, name)
    return builder.entity(mention)


def _plan_for(fig: Figure, mentions: list[Mention], builder: Builder) -> URIRef | None:
    """The plan or policy that sets a target: the last one named at or before it, else a proposed plan."""
    if not fig.target:
        return None
    at = fig.sentence.start + fig.start
    named = [m for m in mentions if m.start <= at and mention_is(builder.vocabulary, m, QDO.PolicyInstrument)]
    if named:
        return builder.entity(named[-1].iri or named[-1])
    label = f"Plan stated in article {builder.short_id}"
    proposal = Mention(label, fig.sentence.start, fig.sentence.start, fig.sentence, None, "new", 0.2, QDO.Plan, label)
    return builder.entity(proposal)


def _event_for(post: Post, mentions: list[Mention], builder: Builder) -> URIRef | None:
    """The event a post is reported at: one named in the post's sentence or the one before."""
    sentences = builder.text.sentences
    index = sentences.index(post.sentence)
    nearby = {post.sentence, *(sentences[index - 1 : index])}
    for m in mentions:
        if m.sentence in nearby and mention_is(builder.vocabulary, m, QDO.Event):
            return builder.entity(m.iri or m)
    return None


# --- validation-driven pruning ---------------------------------------------------------------------------------


def draft_dataset(graphs: DraftGraphs, article: URIRef, base: list[Source]) -> Dataset:
    """The base graph (without any article graph of the same name) with the draft's parts in their graphs."""
    ds = load_dataset(sources=[s for s in base if s.graph != article])
    for part, name in ((graphs.article, article), (graphs.entities, ENTITIES_GRAPH), (graphs.curated, CURATED_GRAPH)):
        target = ds.graph(name)
        for triple in part:
            target.add(triple)
    return ds


def _items(g: Graph) -> set[Node]:
    records = {s for cls in RECORD_CLASSES for s in g.subjects(RDF.type, cls)}
    return records | set(g.subjects(RDF.type, RDF.Statement))


def _prune(draft: Draft, root: Path, base: list[Source]) -> None:
    """Validate the draft with the base graph and drop what validation finds fault with, until nothing is left.

    The checks read article texts under a project root; the draft's text is not in the project yet, so they
    run against a scratch root holding it, with the project's articles linked in (nothing is written to the
    project).
    """
    graphs, article = draft.graphs, article_iri(draft.short_id)
    with tempfile.TemporaryDirectory(prefix="kg-ingest-") as scratch:
        data = Path(scratch) / "data"
        (data / "drafts").mkdir(parents=True)
        (data / "drafts" / f"{draft.short_id}.txt").write_text(draft.raw, encoding="utf-8")
        (data / "articles").symlink_to((root / "data" / "articles").resolve(), target_is_directory=True)
        for _ in range(_PRUNE_PASSES):
            ds = draft_dataset(graphs, article, base)
            findings = shacl_findings(ds, shapes_path(root)) + run_checks(ds, Path(scratch))
            faulty = _faulty(graphs, findings)
            if not faulty:
                return
            for node, finding in faulty.items():
                draft.dropped.append(f"{curie(node)}: {finding.message}")
                _drop(graphs, node)


def _faulty(graphs: DraftGraphs, findings: list[Finding]) -> dict[Node, Finding]:
    """Draft items and new entities a finding names (in where it is or in its message). A finding about a new
    entity that also names a property one of its statements uses faults that statement, not the entity."""
    g = graphs.article
    names = {curie(n): n for n in _items(g) | set(graphs.new_entities)}
    out: dict[Node, Finding] = {}
    for f in findings:
        tokens = [t.rstrip(".") for t in re.findall(r"[\w-]+:[\w.-]+", f"{f.where} {f.message}")]
        for token in tokens:
            node = names.get(token)
            if node is None:
                continue
            if node in graphs.new_entities:
                statements = [
                    st
                    for st in {*g.subjects(RDF.subject, node), *g.subjects(RDF.object, node)}
                    if (predicate := g.value(st, RDF.predicate)) is not None and curie(predicate) in tokens
                ]
                if statements:
                    for st in statements:
                        out.setdefault(st, f)
                    continue
            out.setdefault(node, f)
    return out


def _drop(graphs: DraftGraphs, node: Node) -> None:
    """Remove an item (with what only it asserts and the curators' readings of it), or a new entity with its
    proposal and every item that uses it."""
    g = graphs.article
    if node in graphs.new_entities:
        graphs.entities.remove((node, None, None))
        graphs.new_entities.pop(node)  # type: ignore[call-overload]
        users = {s for s, _p, _o in g.triples((None, None, node))} | {s for s, _p, _o in g.triples((node, None, None))}
        for st in set(g.subjects(RDF.subject, node)) | set(g.subjects(RDF.object, node)):
            users.add(st)
        for user in users & _items(g):
            _drop(graphs, user)
        g.remove((node, None, None))
        g.remove((None, None, node))
        return
    if (node, RDF.type, RDF.Statement) in g:
        triple = (g.value(node, RDF.subject), g.value(node, RDF.predicate), g.value(node, RDF.object))
        others = [
            st
            for st in g.subjects(RDF.subject, triple[0])
            if st != node and g.value(st, RDF.predicate) == triple[1] and g.value(st, RDF.object) == triple[2]
        ]
        if not others and None not in triple:
            g.remove(triple)
    g.remove((node, None, None))
    g.remove((None, None, node))
    for reading in list(graphs.curated.subjects(RDF.subject, node)):
        p, o = graphs.curated.value(reading, RDF.predicate), graphs.curated.value(reading, RDF.object)
        graphs.curated.remove((node, p, o))
        graphs.curated.remove((reading, None, None))


# --- files ---------------------------------------------------------------------------------------------------------


def draft_files(root: Path, short_id: str) -> dict[str, Path]:
    folder = drafts_dir(root)
    return {
        "text": folder / f"{short_id}.txt",
        "article": folder / f"{short_id}.ttl",
        "entities": folder / f"{short_id}.entities.ttl",
        "curated": folder / f"{short_id}.curated.ttl",
    }


def write_draft(draft: Draft, root: Path | None = None) -> dict[str, Path]:
    """Write the draft's text and three graphs to data/drafts/ (refusing to overwrite a draft or an article)."""
    root = root or project_root()
    files = draft_files(root, draft.short_id)
    if (root / "data" / "triples" / f"{draft.short_id}.ttl").exists():
        raise InputError(f"{draft.short_id} is already an article of the graph (data/triples/{draft.short_id}.ttl)")
    if any(p.exists() for p in files.values()):
        raise InputError(
            f"a draft {draft.short_id} already exists in {files['article'].parent}: review it (kg review "
            f"{draft.short_id}) or remove its files first"
        )
    files["text"].parent.mkdir(parents=True, exist_ok=True)
    files["text"].write_text(draft.raw, encoding="utf-8")
    headers = {
        "article": f"# Draft of {draft.short_id}, written by kg ingest: review it with `kg review {draft.short_id}`.\n",
        "entities": f"# New entities and aliases proposed by kg ingest for {draft.short_id} (joins entities.ttl).\n",
        "curated": f"# Readings kg ingest proposes for {draft.short_id}, each with a rationale (joins curated.ttl).\n",
    }
    for part, graph in (
        ("article", draft.graphs.article),
        ("entities", draft.graphs.entities),
        ("curated", draft.graphs.curated),
    ):
        files[part].write_text(headers[part] + lexical_turtle(graph), encoding="utf-8")
    return files


def ingest(
    path: Path,
    short_id: str | None = None,
    *,
    title: str | None = None,
    published: date | None = None,
    publisher: str | None = None,
    root: Path | None = None,
) -> Draft:
    """Read an article file, draft it against the whole graph and write the draft (what `kg ingest` does)."""
    root = root or project_root()
    if root.resolve() == INSTALLED.resolve():
        raise InputError(
            "kg ingest writes drafts into the project's data, never into the copy installed with kg: "
            "set KG_ROOT to a checkout"
        )
    try:
        if path.stat().st_size > MAX_ARTICLE_BYTES:
            raise InputError(
                f"{path}: {path.stat().st_size:,} bytes is not one article (at most {MAX_ARTICLE_BYTES:,}): "
                "ingest articles one by one"
            )
        raw = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}): save the article as UTF-8 plain text") from None
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")
    short_id = short_id or next_short_id(root)
    ds = load_dataset(sources=shipped_sources(root))
    vocabulary = Vocabulary.from_dataset(ds)
    draft = draft_article(raw, vocabulary, short_id, title=title, published=published, publisher=publisher, root=root)
    write_draft(draft, root)
    return draft
