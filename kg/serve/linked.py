"""Linked Data under `kg serve`: every IRI of the graph dereferences, with content negotiation, and the site's
pages (kg.site) are served at the same paths the static site has.

``GET /id/Haier`` names the thing, not a document, so it answers **303 See Other** to the document for what
the client accepts: ``/id/Haier.html`` for browsers, ``.ttl``, ``.jsonld``, ``.nt`` or ``.rdf`` for RDF
clients (the 303 pattern of "Cool URIs for the Semantic Web"). The documents have URLs of their own, so they
can be linked, cached and cited, and they are the very files `kg site` writes, so the server, the static copy
and the w3id redirect agree. ``/ontology`` answers the same way with the ontology's reference page or its
Turtle; an IRI the graph does not have gets 404 with a link to search for it.

Runs inside a query worker (kg.serve.pool), which holds the dataset: one Site per worker, built on first use.
"""

from __future__ import annotations

import weakref
from urllib.parse import quote, unquote

from rdflib import Dataset

from kg.serve.negotiation import choose
from kg.serve.protocol import Answer, error
from kg.site.paths import IRI_BASE, ONTOLOGY_PAGE, TWINS, page_of
from kg.site.render import POLICY, Site
from kg.vocab.namespaces import ONTOLOGY_BASE

#: Media types an IRI is offered in (HTML first: what "*/*" gets) -> document suffix.
OFFERS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    **{media: suffix for suffix, (media, _) in TWINS.items()},
    "application/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/json": "jsonld",
    "text/plain": "nt",
    "application/xml": "rdf",
}
_sites: weakref.WeakKeyDictionary[Dataset, Site] = weakref.WeakKeyDictionary()


def site_of(ds: Dataset) -> Site:
    site = _sites.get(ds)
    if site is None:
        site = _sites[ds] = Site(ds, workbench=True)
    return site


def answer_path(ds: Dataset, path: str, accept: str | None) -> Answer:
    """The answer for a GET of ``path`` (percent-encoded as sent): a site file, a 303 to one, or a 404."""
    site = site_of(ds)
    try:
        rel = unquote(path, errors="strict").removeprefix("/")
    except UnicodeDecodeError:
        return error(400, "the path is not percent-encoded UTF-8")
    if "\x00" in rel or "/../" in f"/{rel}/" or "//" in rel:
        return error(400, "malformed path")
    if path == "/ontology":
        return _see_other(ONTOLOGY_PAGE, accept, {"html": "index.html", "ttl": "ontology.ttl"}, "/ontology/")
    _, dot, suffix = rel.rpartition(".")
    if dot and "/" not in suffix and (suffix in TWINS or suffix in ("html", "js", "css", "svg")):
        file = site.render(rel)
        if file is None:
            return _not_found(site, rel, accept)
        headers = {"Cache-Control": "no-cache"}
        if file.media.startswith("text/html"):
            headers["Content-Security-Policy"] = POLICY
        return Answer(200, file.media, file.body, headers)
    page = page_of(IRI_BASE + rel) if rel.startswith("id/") else None
    if page is None or site.iri_of(page) is None:
        return _not_found(site, rel, accept)
    return _see_other(page, accept, {suffix: f"{page.rsplit('/', 1)[-1]}.{suffix}" for suffix in ("html", *TWINS)})


def _see_other(page: str, accept: str | None, documents: dict[str, str], folder: str | None = None) -> Answer:
    """303 to the document of ``page`` the client prefers (Vary: Accept), or 406 listing what there is."""
    offers = [media for media, suffix in OFFERS.items() if suffix in documents]
    media = choose(accept, offers)
    if media is None:
        return error(406, f"this resource is available as {', '.join(offers)}")
    name = documents[OFFERS[media]]
    base = folder or "/" + page.rsplit("/", 1)[0] + "/"
    location = base + quote(name)
    body = f"See {location}\n".encode()
    return Answer(303, "text/plain; charset=utf-8", body, {"Location": location, "Vary": "Accept"})


def _not_found(site: Site, rel: str, accept: str | None) -> Answer:
    """404: an HTML page with a search link for browsers, one line of text for everyone else."""
    iri = IRI_BASE + rel if rel.startswith("id/") else ONTOLOGY_BASE if rel.startswith("ontology") else ""
    if choose(accept, ["text/html", "text/plain"]) == "text/html":
        depth = rel.count("/")
        page = "/".join(["x"] * depth + ["404"]) if depth else "404"
        body = site.not_found(page, iri or "/" + rel).encode("utf-8")
        return Answer(404, "text/html; charset=utf-8", body, {"Content-Security-Policy": POLICY})
    return error(404, f"not found: /{rel}; search the names at /search.html")
