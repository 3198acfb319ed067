"""The site's files, each rendered on demand from a SiteData: `kg site` writes them all, `kg serve` answers one.

Every page comes from a Jinja template with autoescape on, so every text from the data is escaped; JSON
(schema.org descriptions, the search index) goes through Jinja's ``htmlsafe_json_dumps``, which escapes ``<``,
``>``, ``&`` and ``'``. Pages load nothing from elsewhere: one stylesheet and two scripts of our own, under a
Content-Security-Policy that allows only those. Every link is relative (kg.site.paths.link), so the same files
work from ``file://``, from any static host, and under `kg serve`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.dataset.resolve import curie
from kg.engines.oxigraph import OxigraphBackend
from kg.engines.rdflib import RdflibBackend
from kg.engines.registry import backend_of
from kg.errors import KGError
from kg.graph.style import FAMILIES, OTHER
from kg.query.results import rows
from kg.query.saved import SavedQuery, saved_queries
from kg.query.sparql import run_query
from kg.site import drawing
from kg.site.annotate import annotate
from kg.site.model import ArticleMeta, EntityView, SiteData, Term, entity_view
from kg.site.paths import ONTOLOGY_PAGE, TWINS, link, page_of, root_of
from kg.site.twins import description, plain_graph, twin_text
from kg.vocab.namespaces import DATA_BASE, ONTOLOGY_BASE, ONTOLOGY_IRI, QDO

STATIC = Path(__file__).with_name("static")
#: What a page may load: our stylesheet and scripts, images inline; no frames, no plugins, no other origin.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"
)
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    **{
        f".{suffix}": media + ("; charset=utf-8" if media.startswith("text/") else "")
        for suffix, (media, _) in TWINS.items()
    },
}
#: Rows of a saved question's answer shown on the questions page (the question itself gives the rest).
ANSWER_ROWS = 200
QUERY_TIMEOUT = 60.0


@dataclass(frozen=True)
class File:
    path: str
    media: str
    body: bytes


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kg.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = htmlsafe_json_dumps
    return env


def _local(iri: URIRef) -> str:
    return re.split(r"[#/]", str(iri))[-1]


class Site:
    """The whole site over one dataset. ``render(path)`` gives one file or None; ``paths()`` lists them all."""

    def __init__(self, ds: Dataset, root: Path | None = None, answers: bool = True, workbench: bool = False) -> None:
        """``answers``: run the saved questions for their page; ``workbench``: the pages are served by `kg serve`,
        whose workbench (at the site's root) runs them live, so the questions page links there instead."""
        self.data = SiteData(ds, root)
        self.env = _environment()
        self.answers = answers and not workbench
        self.workbench = workbench
        self._pages = {page_of(iri): iri for iri in self.data.subjects}
        self._last_twin: tuple[URIRef, Graph] | None = None

    # --- the site's files --------------------------------------------------------------------------------------

    @cached_property
    def class_pages(self) -> dict[str, URIRef]:
        out = {}
        for cls in self.data.class_members:
            prefix = "" if str(cls).startswith(ONTOLOGY_BASE) else f"{_prefix(cls)}-"
            name = prefix + _local(cls)
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}", name):
                out[f"class/{name}"] = cls
        return out

    @cached_property
    def ontology_files(self) -> dict[str, str]:
        """The ontology reference: `kg docs`'s pages (docs/ontology of the checkout, else rendered with pyLODE),
        else a plain list of the terms (an installed copy without the docs extra)."""
        folder = self.data.root / "docs" / "ontology"
        if (folder / "index.html").is_file():
            return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}
        try:
            from kg.publish.docs import render_docs

            return render_docs(self.data.root / "ontology.ttl")
        except KGError:
            return {"index.html": self._render("ontology.html", ONTOLOGY_PAGE, terms=self._terms())}

    def paths(self) -> Iterator[str]:
        yield from ("index.html", "search.html", "queries.html", "404.html", "search-index.js")
        yield from (p.name for p in sorted(STATIC.iterdir()))
        for page in sorted(self._pages, key=str):
            yield f"{page}.html"
            yield from (f"{page}.{suffix}" for suffix in TWINS)
        yield from (f"{page}.html" for page in self.class_pages)
        yield from (f"ontology/{name}" for name in self.ontology_files)
        yield "ontology/ontology.ttl"

    def render(self, path: str) -> File | None:
        """The file at site path ``path`` (e.g. ``id/Haier.html``), or None when the site has none there."""
        stem, dot, suffix = path.rpartition(".")
        if not dot or "/." in path or path.startswith("/"):
            return None
        media = MEDIA.get(f".{suffix}")
        body = self._body(stem, suffix, path)
        if body is None or media is None:
            return None
        return File(path, media, body if isinstance(body, bytes) else body.encode("utf-8"))

    def _body(self, stem: str, suffix: str, path: str) -> str | bytes | None:
        if "/" not in path and (STATIC / path).is_file():
            return (STATIC / path).read_bytes()
        if path.startswith("ontology/"):
            if path == "ontology/ontology.ttl":
                return twin_text(plain_graph(self.data.ds.graph(ONTOLOGY_IRI)), "ttl")
            return self.ontology_files.get(path.removeprefix("ontology/"))
        pages = {
            "index.html": self.home,
            "search.html": self.search_page,
            "queries.html": self.queries_page,
            "404.html": self.not_found_page,
            "search-index.js": self.search_index,
        }
        if path in pages:
            return pages[path]()
        if stem in self.class_pages and suffix == "html":
            return self.class_page(stem)
        iri = self._pages.get(stem)
        if iri is None:
            return None
        if suffix == "html":
            return self.page(iri)
        if suffix in TWINS:
            try:
                return twin_text(self.twin(iri), suffix)
            except KGError:
                return None  # a term that format cannot hold (the other twins still have it)
        return None

    def iri_of(self, page: str) -> URIRef | None:
        """The IRI whose page is ``page`` (site path without suffix)."""
        return self._pages.get(page)

    # --- rendering helpers -------------------------------------------------------------------------------------

    def _render(self, template: str, page: str, **context: Any) -> str:
        def to(target: URIRef | str | None, suffix: str = ".html") -> str | None:
            if target is None:
                return None
            if isinstance(target, URIRef):
                if str(target).startswith(ONTOLOGY_BASE):
                    anchor = self.ontology_anchors.get(target, "")
                    return link(page, ONTOLOGY_PAGE, ".html", anchor)
                target_page = page_of(target)
                if target_page is None or target_page not in self._pages:
                    return None
                return link(page, target_page, suffix)
            return link(page, target, suffix)

        return self.env.get_template(template).render(
            page=page,
            root=root_of(page),
            to=to,
            policy=POLICY,
            families=[*FAMILIES, OTHER],
            **context,
        )

    @cached_property
    def ontology_anchors(self) -> dict[URIRef, str]:
        from kg.publish.docs import _anchors

        page = self.ontology_files.get("index.html", "")
        found = _anchors(page)
        if not found:
            found = {term: _local(term) for term in self._term_iris()}
        return found

    def _term_iris(self) -> list[URIRef]:
        onto = self.data.ds.graph(ONTOLOGY_IRI)
        kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        return sorted(
            {t for k in kinds for t in onto.subjects(RDF.type, k) if isinstance(t, URIRef) and t.startswith(str(QDO))}
        )

    def _terms(self) -> list[tuple[str, str, str]]:
        onto = self.data.ds.graph(ONTOLOGY_IRI)
        return [
            (_local(t), self.data.label(t), str(onto.value(t, SKOS.definition) or onto.value(t, RDFS.comment) or ""))
            for t in self._term_iris()
        ]

    # --- pages -------------------------------------------------------------------------------------------------

    def twin(self, iri: URIRef) -> Graph:
        """The description of ``iri`` its twins write; the last one is kept, as a site writes an IRI's four
        twins one after the other."""
        if self._last_twin is None or self._last_twin[0] != iri:
            self._last_twin = (iri, description(self.data.ds, iri, self._proofs))
        return self._last_twin[1]

    @cached_property
    def _proofs(self) -> set[Node]:
        return self.data.statements | self.data.record_nodes

    def page(self, iri: URIRef) -> str:
        meta = self.data.articles.get(iri)
        if meta is not None:
            return self.article_page(meta)
        view = entity_view(self.data, iri)
        page = page_of(iri)
        assert page is not None
        nodes = drawing.layout(Term(view.label, iri), view.family.colour, view.neighbours)
        return self._render(
            "entity.html",
            page,
            view=view,
            nodes=nodes,
            width=drawing.WIDTH,
            height=drawing.HEIGHT,
            twins=TWINS,
            schema=self._schema(view),
            kind=self._kind(iri),
        )

    def _kind(self, iri: URIRef) -> str:
        if iri in self.data.statements:
            return "statement"
        if iri in self.data.record_nodes:
            return "record"
        if any(g.identifier == iri for g in self.data.graphs):
            return "graph"
        return "entity"

    def _schema(self, view: EntityView) -> Markup:
        """schema.org JSON-LD for search engines: the nearest schema.org class, names, and the articles that
        state something about it (``subjectOf``)."""
        schema = self.data.schema_types
        types = sorted({_local(schema[c]) for c in self.data.classes.get(view.iri, []) if c in schema})
        doc: dict[str, Any] = {"@context": "https://schema.org", "@type": types or "Thing", "@id": str(view.iri)}
        doc["name"] = view.label
        if view.aliases:
            doc["alternateName"] = [a.name for a in view.aliases]
        if view.description:
            doc["description"] = view.description
        articles = self.data.articles
        sources = [s.source.iri for s in view.sections if s.source.iri in articles]
        if sources:
            doc["subjectOf"] = [{"@type": "NewsArticle", "@id": str(g), "headline": articles[g].title} for g in sources]
        return htmlsafe_json_dumps(doc, indent=1)

    def article_page(self, meta: ArticleMeta) -> str:
        page = page_of(meta.iri)
        assert page is not None
        text = self.data.article_text(meta)
        annotated = annotate(self.data, meta.iri, text) if text is not None else None
        doc: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "@id": str(meta.iri),
            "headline": meta.title,
            "identifier": meta.short_id,
        }
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date):
            doc["datePublished"] = meta.date
        if meta.publishers:
            doc["publisher"] = [{"@type": "Organization", "name": name} for name in meta.publishers]
        return self._render(
            "article.html",
            page,
            meta=meta,
            annotated=annotated,
            view=entity_view(self.data, meta.iri),
            twins=TWINS,
            schema=htmlsafe_json_dumps(doc, indent=1),
        )

    def home(self) -> str:
        classes = [(p, self.data.label(c), len(self.data.class_members[c])) for p, c in self.class_pages.items()]
        classes.sort(key=lambda t: t[1].casefold())
        return self._render(
            "index.html",
            "index",
            articles=list(self.data.articles.values()),
            classes=classes,
            triples=len(self.data.ds),
            entities=sum(1 for n in self.data.subjects if self.data.is_entity(n)),
            graphs=len(self.data.graphs),
        )

    def class_page(self, page: str) -> str:
        cls = self.class_pages[page]
        members = [
            (
                n,
                self.data.label(n),
                sorted(str(a) for a in self.data.ds.objects(n, SKOS.altLabel)),
                str(
                    self.data.ds.value(n, RDFS.comment)
                    or self.data.ds.value(n, URIRef("http://purl.org/dc/terms/description"))
                    or ""
                ),
            )
            for n in self.data.class_members[cls]
        ]
        definition = self.data.ds.value(cls, SKOS.definition) or self.data.ds.value(cls, RDFS.comment)
        return self._render(
            "class.html",
            page,
            cls=cls,
            label=self.data.label(cls),
            definition=str(definition or ""),
            members=members,
            colour=self.data.colour_of_class(cls),
        )

    def search_index(self) -> str:
        entries = []
        for node in self.data.subjects:
            if not (self.data.is_entity(node) or node in self.data.articles):
                continue
            names = sorted({str(n) for p in (SKOS.altLabel, SKOS.hiddenLabel) for n in self.data.ds.objects(node, p)})
            kinds = [self.data.label(c) for c in self.data.classes.get(node, ())]
            entries.append([self.data.label(node), names, ", ".join(kinds), f"{page_of(node)}.html"])
        entries.sort(key=lambda e: str(e[0]).casefold())
        return "window.KG_SEARCH = " + htmlsafe_json_dumps(entries) + ";\n"

    def search_page(self) -> str:
        return self._render("search.html", "search")

    def not_found_page(self) -> str:
        return self._render("404.html", "404", missing="")

    def not_found(self, page: str, missing: str) -> str:
        """The page a server sends with 404 for an unknown IRI: what was asked for and a search for it."""
        return self._render("404.html", page, missing=missing)

    @cached_property
    def _answers(self) -> list[tuple[SavedQuery, list[str], list[list[Term]], int, str]]:
        """Each saved question with its answer (at most ANSWER_ROWS rows shown), or why there is none.

        They are answered by Oxigraph even when the site reads rdflib's dataset: the tests prove every saved
        question gets the same answer on both engines, and at 100k triples rdflib takes minutes for what
        Oxigraph answers in seconds (benchmarks/results.md)."""
        out: list[tuple[SavedQuery, list[str], list[list[Term]], int, str]] = []
        questions = saved_queries(self.data.root / "queries").values()
        if not self.answers:
            return [(saved, [], [], 0, "") for saved in questions]
        ds, done = self._answering_dataset()
        try:
            for saved in questions:
                try:
                    result = run_query(ds, saved.name, timeout=QUERY_TIMEOUT)
                    if result.type == "ASK":
                        out.append((saved, ["answer"], [[Term(str(bool(result.askAnswer)).lower())]], 1, ""))
                        continue
                    table = rows(result)
                    cells = [[self._cell(t) for t in row] for row in table.rows[:ANSWER_ROWS]]
                    out.append((saved, table.variables, cells, len(table.rows), ""))
                except KGError as exc:
                    out.append((saved, [], [], 0, str(exc)))
        finally:
            done()
        return out

    def _answering_dataset(self) -> tuple[Dataset, Callable[[], None]]:
        """The dataset to answer the saved questions on, and what to call when done: the site's own when an
        Oxigraph engine holds it, else a copy in an in-memory Oxigraph store, whose query worker is stopped
        afterwards (so that the site's renderers may be forked from a process with no other process of its own
        running)."""
        if not isinstance(backend_of(self.data.ds), RdflibBackend):
            return self.data.ds, lambda: None
        copy = OxigraphBackend.empty()
        for graph in self.data.graphs:
            copy.add_graph(graph.identifier, graph)  # type: ignore[arg-type]
        return copy.dataset, copy.retire

    def _cell(self, term: Node | None) -> Term:
        if term is None:
            return Term("")
        if isinstance(term, Literal):
            return Term(str(term), literal=True)
        if isinstance(term, URIRef) and (str(term).startswith(DATA_BASE) or str(term).startswith(ONTOLOGY_BASE)):
            return Term(self.data.label(term), term)
        return Term(str(term))

    def queries_page(self) -> str:
        return self._render(
            "queries.html", "queries", answers=self._answers, limit=ANSWER_ROWS, workbench=self.workbench
        )


def _prefix(cls: URIRef) -> str:
    text = curie(cls)
    return text.split(":", 1)[0] if ":" in text and not text.startswith("<") else "ext"
