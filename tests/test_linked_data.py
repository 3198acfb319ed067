"""`kg serve` dereferences the graph's IRIs: 303 See Other to the document the client accepts (HTML, Turtle,
JSON-LD, N-Triples, RDF/XML), the same documents `kg site` writes, 404 with a search link for unknown IRIs —
tested with urllib, rdflib's own ``Graph().parse(url)`` and a real Chromium, and with hostile paths.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF

from kg.serve.http import SparqlServer
from kg.serve.pool import QueryPool
from kg.site.render import POLICY, Site
from kg.vocab.namespaces import ART, ONTOLOGY_IRI, QD, QDO

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    pool = QueryPool(size=2, timeout=60.0)
    server = SparqlServer(("127.0.0.1", 0), pool)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url.removesuffix("/sparql")
    server.shutdown()
    server.server_close()
    pool.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _raw(base: str, path: str, accept: str | None = None, method: str = "GET", host: str | None = None):
    """(status, headers, body) without following redirects; the path is sent exactly as given."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Accept": accept} if accept else {}
    if host:
        headers["Host"] = host
    conn.request(method, path, headers=headers)
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    return reply.status, reply.headers, body


@pytest.mark.parametrize(
    ("accept", "document"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Haier.html"),  # a browser
        ("*/*", "Haier.html"),
        (None, "Haier.html"),
        ("text/turtle", "Haier.ttl"),
        ("application/x-turtle", "Haier.ttl"),
        ("application/ld+json", "Haier.jsonld"),
        ("application/n-triples", "Haier.nt"),
        ("application/rdf+xml", "Haier.rdf"),
        ("text/turtle;q=0.5, application/ld+json", "Haier.jsonld"),
        ("text/html;q=0.1, text/turtle", "Haier.ttl"),
    ],
)
def test_an_iri_answers_303_to_the_document_the_client_accepts(base: str, accept: str | None, document: str) -> None:
    status, headers, _ = _raw(base, "/id/Haier", accept)
    assert status == 303
    assert headers["Location"] == f"/id/{document}" and headers["Vary"] == "Accept"


def test_nothing_acceptable_is_406(base: str) -> None:
    status, _, body = _raw(base, "/id/Haier", "image/png")
    assert status == 406 and b"text/turtle" in body


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (str(QD.Haier), (QD.Haier, RDF.type, QDO.Enterprise)),
        (str(ART.a001), (ART.a001, DCTERMS.title, None)),
        (str(ONTOLOGY_IRI), (ONTOLOGY_IRI, RDF.type, OWL.Ontology)),
        (str(QD["a001-s01"]), (QD["a001-s01"], RDF.subject, QD.LearnFromShenzhen)),
    ],
)
def test_rdflib_dereferences_iris(base: str, iri: str, expected: tuple) -> None:
    """rdflib's own HTTP client: it sends its Accept header, follows the 303 and parses what it gets."""
    local = base + "/" + iri.removeprefix("https://w3id.org/qingdao-kg/")
    g = Graph().parse(local)
    assert expected in g or (expected[2] is None and g.value(expected[0], expected[1]) is not None)


def test_a_twin_keeps_the_evidence(base: str) -> None:
    g = Graph().parse(base + "/id/Haier.ttl", format="turtle")
    quotes = [str(q) for q in g.objects(None, QDO.evidence)]
    assert any("Haier, Hisense, Tsingtao Brewery" in q for q in quotes)


def test_the_server_sends_the_static_sites_pages(base: str, ds: Dataset) -> None:
    site = Site(ds)
    for path in ("id/Haier.html", "id/Haier.ttl", "id/article/a002.html", "class/Platform.html", "index.html"):
        status, headers, body = _raw(base, f"/{path}")
        file = site.render(path)
        assert status == 200 and file is not None and body == file.body, path
        assert headers["Content-Type"] == file.media
    _, headers, _ = _raw(base, "/id/Haier.html")
    assert headers["Content-Security-Policy"] == POLICY and headers["X-Content-Type-Options"] == "nosniff"


def test_ontology_iri_dereferences(base: str) -> None:
    status, headers, _ = _raw(base, "/ontology", "text/html")
    assert status == 303 and headers["Location"] == "/ontology/index.html"
    status, headers, _ = _raw(base, "/ontology", "text/turtle")
    assert status == 303 and headers["Location"] == "/ontology/ontology.ttl"
    assert _raw(base, "/ontology/index.html")[0] == 200


def test_unknown_iri_is_404_with_a_search_link(base: str) -> None:
    status, headers, body = _raw(base, "/id/NoSuchThing", "text/html")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b'href="../search.html?q=NoSuchThing"' in body
    status, headers, body = _raw(base, "/id/NoSuchThing", "text/turtle")
    assert status == 404 and headers["Content-Type"].startswith("text/plain") and b"search.html" in body


def test_head_answers_like_get_without_a_body(base: str) -> None:
    status, headers, body = _raw(base, "/id/Haier.html", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_documents_are_readable_from_other_origins(base: str) -> None:
    """Public data: a page elsewhere may fetch it (CORS), as Linked Data clients in browsers do."""
    _, headers, _ = _raw(base, "/id/Haier.jsonld")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_a_rebound_host_name_is_refused(base: str) -> None:
    assert _raw(base, "/id/Haier.html", host="evil.example")[0] == 421


HOSTILE_PATHS = [
    "/id/../../../../etc/passwd",
    "/id/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/id/..%2f..%2f..%2fetc%2fpasswd",
    "/ontology/../../shapes.ttl",
    "/ontology/%2e%2e/shapes.ttl",
    "/class/..%2f..%2fontology.ttl",
    "/id/%00.html",
    "/id/Haier%00.ttl",
    "/id/%ff%fe.html",
    "/id/" + "A" * 5000,
    "/id/Haier.html/..",
    "/id//etc/passwd",
    "/id/Haier.py",
    "/id/.kg-site.html",
    "/site.css/../../ontology.ttl",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_get_a_short_refusal(base: str, path: str) -> None:
    status, _, body = _raw(base, path, "text/turtle")
    assert status in (400, 404, 414), (status, body[:200])
    assert b"root:" not in body and b"@prefix sh:" not in body and b"Traceback" not in body


def test_a_reflected_name_is_escaped(base: str) -> None:
    status, _, body = _raw(base, "/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "text/html")
    assert status == 404 and b"<script>alert" not in body and b"&lt;script&gt;alert(1)" in body


@pytest.mark.browser
def test_browsing_the_served_pages_in_chromium(base: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(base):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.goto(base + "/id/COSMOPlat")
    assert page.url == base + "/id/COSMOPlat.html"
    assert page.locator("h1").inner_text().strip() == "COSMOPlat"
    page.locator("#neighbours ~ figure a[href='Haier.html']").first.click()
    page.wait_for_url("**/id/Haier.html")
    page.fill("#site-q", "chery")
    page.press("#site-q", "Enter")
    page.wait_for_selector("#search-results li")
    assert "Chery" in page.locator("#search-results").inner_text()
    assert errors == [] and outside == []
    page.goto(base + "/id/NoSuchThing")  # the browser logs the 404 itself
    assert page.locator("h1").inner_text().strip() == "Not found"
    assert page.locator("a[href='../search.html?q=NoSuchThing']").count() == 1
    page.close()
    assert outside == []


def test_literal_quotes_reach_the_client_unchanged(base: str, ds: Dataset) -> None:
    g = Graph().parse(base + "/id/a001-s01.nt", format="nt")
    assert g.value(QD["a001-s01"], QDO.evidence) == ds.value(QD["a001-s01"], QDO.evidence)
    assert isinstance(g.value(QD["a001-s01"], QDO.evidence), Literal)
    assert URIRef(QD["a001-s01"]) in set(g.subjects())


def test_urllib_follows_the_redirect(base: str) -> None:
    request = urllib.request.Request(base + "/id/Chery", headers={"Accept": "application/ld+json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.url.endswith("/id/Chery.jsonld") and reply.headers["Content-Type"] == "application/ld+json"
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(base + "/id/Chery")
    assert caught.value.code == 303


def test_the_served_questions_page_links_the_live_workbench(base: str) -> None:
    status, _, body = _raw(base, "/queries.html")
    assert status == 200 and b'href="./#saved=plan-targets"' in body and b"<caption>" not in body
