"""The browser workbench `kg serve` shows at `/`: a lean page of our own (kg/serve/static: query editor with line
numbers, the saved questions with inputs for their parameters, the answer as a labelled table or a graph in
tabs, downloads, the query in the URL). Every asset is served by us, nothing from a CDN; data reaches the
page only through textContent, so no text from the graph is ever parsed as HTML.

Besides the assets, the server answers the page's two helper requests with what this module builds:
``/examples.json`` (the saved questions and their parameters) and ``/labels`` (display names of IRIs).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

from rdflib import URIRef

from kg.dataset.resolve import curie
from kg.engines.safety import term_text
from kg.errors import QueryError
from kg.query.params import parameters_of
from kg.query.saved import saved_queries
from kg.vocab.terms import LABEL_PROPERTIES

STATIC = Path(__file__).with_name("static")
_TYPES = {
    "workbench.html": "text/html; charset=utf-8",
    "workbench.css": "text/css; charset=utf-8",
    "workbench.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
_PATHS = {
    "/": "workbench.html",
    "/workbench.css": "workbench.css",
    "/workbench.js": "workbench.js",
    "/favicon.svg": "favicon.svg",
    "/favicon.ico": "favicon.svg",  # what browsers ask for on pages without an icon link (the graph view)
}
#: URL path -> (Content-Type, text), read once.
ASSETS = {path: (_TYPES[name], (STATIC / name).read_text(encoding="utf-8")) for path, name in _PATHS.items()}

# The page and its script come from us alone; the graph view (its own inline-script page) only in our frame.
PAGE_POLICY = "default-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
GRAPH_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'"
)

_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: IRIs one /labels request may name: the page asks in batches of this many.
MAX_LABELS = 500
_RANK = {str(p): n for n, p in enumerate(LABEL_PROPERTIES)}


def examples_json() -> str:
    """The saved competency questions for the menu, each with its parameters (name, kind, default, help)."""
    return json.dumps(
        [
            {
                "name": q.name,
                "question": q.question,
                "text": q.text,
                "parameters": [asdict(p) for p in parameters_of(q)],
            }
            for q in saved_queries().values()
        ]
    )


def writable(iris: list[str]) -> list[str]:
    """The absolute IRIs a query can name: the others (malformed in the data, or sent by a hostile page) get
    no label."""
    good = []
    for iri in iris:
        try:
            term_text(URIRef(iri))
        except QueryError:
            continue
        if _ABSOLUTE.match(iri):
            good.append(iri)
    return good


def labels_query(iris: list[str]) -> str:
    """One query for the labels of ``iris`` (already ``writable``): each written as a checked term, never as
    text a client chose."""
    values = " ".join(term_text(URIRef(iri)) for iri in iris)
    # A UNION, not a second VALUES for the property: rdflib joins two VALUES blocks before looking anything up,
    # a hundred times slower.
    branches = " UNION ".join(f"{{ ?s {p.n3()} ?label BIND ({p.n3()} AS ?p) }}" for p in LABEL_PROPERTIES)
    return f"SELECT ?s ?p ?label WHERE {{ VALUES ?s {{ {values} }} {branches} }}"


def labels_json(iris: list[str], answer: bytes) -> bytes:
    """IRI -> display name: the first of kg.vocab.terms.LABEL_PROPERTIES, English before untagged before other
    languages; else the CURIE (or the IRI itself)."""
    best: dict[str, tuple[tuple[int, int], str]] = {}
    for row in json.loads(answer)["results"]["bindings"]:
        label = row["label"]
        rank = (
            _RANK[row["p"]["value"]],
            {"en": 0, None: 1}.get(label.get("xml:lang"), 2),
        )
        iri = row["s"]["value"]
        if iri not in best or rank < best[iri][0]:
            best[iri] = (rank, label["value"])
    names = {iri: best[iri][1] if iri in best else curie(URIRef(iri)).strip("<>") for iri in iris}
    return json.dumps(names).encode("utf-8")
