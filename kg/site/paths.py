"""Where each IRI's pages live, in the static site and under `kg serve`: one mapping for both.

An IRI ``https://w3id.org/qingdao-kg/id/Haier`` is the thing; its documents are ``id/Haier.html`` and the
machine-readable twins ``id/Haier.ttl``, ``.jsonld``, ``.nt`` and ``.rdf`` beside it (the path after the
``/qingdao-kg/`` of the IRI, plus a suffix), so the w3id redirect, the server's 303 and a static host all
agree. A local name that is not a plain file name (from data other than ours) gets a hashed name, so no IRI
can write outside the site or clash with another's file.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

from rdflib import URIRef

from kg.vocab.namespaces import DATA_BASE, ONTOLOGY_BASE

#: What the IRIs' paths start with on w3id.org; a page's path is the rest.
IRI_BASE = DATA_BASE.removesuffix("id/")
ONTOLOGY_PAGE = "ontology/index"
#: Folders of the data namespace whose IRIs keep their folder (articles and named graphs).
_FOLDERS = ("article", "graph")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")
#: Twin suffix -> (media type, rdflib format); the page itself is ``.html``.
TWINS = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


def _file_name(name: str) -> str:
    if _SAFE.fullmatch(name) and not name.endswith(".") and ".." not in name:
        return name
    return "_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:20]


def page_of(iri: URIRef | str) -> str | None:
    """The site path (no suffix) of the page describing ``iri``, or None for an IRI outside our namespaces.
    Ontology terms share the ontology's reference page."""
    text = str(iri)
    if text == ONTOLOGY_BASE or text.startswith(ONTOLOGY_BASE + "#"):
        return ONTOLOGY_PAGE
    if not text.startswith(DATA_BASE) or text == DATA_BASE:
        return None
    local = text[len(DATA_BASE) :].split("#", 1)[0]
    folder, sep, rest = local.partition("/")
    if sep and folder in _FOLDERS and rest:
        return f"id/{folder}/{_file_name(rest)}"
    return f"id/{_file_name(local)}"


def link(from_page: str, to_page: str, suffix: str = ".html", anchor: str = "") -> str:
    """A relative link from one site page to another (both site paths without suffix), so the site works from
    ``file://`` and from any folder of any host."""
    target = posixpath.relpath(to_page + suffix, posixpath.dirname(from_page) or ".")
    return target + (f"#{anchor}" if anchor else "")


def root_of(page: str) -> str:
    """The relative path from ``page`` to the site's root folder ("" at the root, "../" one level down)."""
    return "../" * page.count("/")


#: The site's top-level files and folders: the paths `kg serve` answers from the site (the rest is its endpoint).
TOP_FILES = frozenset(
    {"index.html", "search.html", "queries.html", "404.html", "search-index.js", "site.css", "search.js"}
)
FOLDERS = ("id", "class", "ontology")


def is_site_path(path: str) -> bool:
    """Whether an HTTP path (``/id/Haier``, ``/index.html``) belongs to the site."""
    if path == "/ontology" or path.removeprefix("/") in TOP_FILES:
        return True
    return path.startswith(tuple(f"/{folder}/" for folder in FOLDERS))
