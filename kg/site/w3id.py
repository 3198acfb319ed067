"""The w3id.org redirect rule: the file to submit to https://github.com/perma-id/w3id.org as
``qingdao-kg/.htaccess``, mapping our IRIs onto a published copy of the site.

It does what `kg serve` does, in Apache's mod_rewrite: ``/qingdao-kg/id/NAME`` answers 303 to ``NAME.html``
for browsers and to the Turtle, JSON-LD, N-Triples or RDF/XML twin for RDF clients; ``/qingdao-kg/ontology``
to the ontology's reference or its Turtle. One limit of mod_rewrite: it matches media types in the Accept
header as text and ignores q-values (HTML wins whenever it is listed), which is what w3id's own rules do;
`kg serve` weighs q-values.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from kg.errors import KGError

#: Accept patterns (mod_rewrite regular expressions) -> twin suffix, in the order the rule tests them.
_TWINS = (
    (r"text/turtle|application/x-turtle|application/turtle", "ttl"),
    (r"application/ld\+json", "jsonld"),
    (r"application/n-triples", "nt"),
    (r"application/rdf\+xml", "rdf"),
)
#: The paths of our IRIs after /qingdao-kg/id/: a plain name, or article/ or graph/ and a plain name.
_NAME = r"^id/([A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?)$"
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?")


def check_published(url: str) -> str:
    """``url`` as the base of the published copy, ending in ``/``; KGError unless it is a plain http(s) URL (it is
    written into an Apache configuration, where a space, quote or newline would change the rules)."""
    if not _SAFE_URL.fullmatch(url) or urlsplit(url).hostname in (None, ""):
        raise KGError(
            f"--published-at {url!r}: give the http(s) address of the published site, such as "
            "https://example.github.io/qingdao-kg/ (letters, digits, '.', '-', '_', '~' and '/' only)"
        )
    return url if url.endswith("/") else url + "/"


def htaccess(published: str) -> str:
    """The ``.htaccess`` for w3id.org/qingdao-kg/ redirecting onto the site published at ``published``."""
    base = check_published(published)
    lines = [
        "# w3id.org/qingdao-kg/ -> the Qingdao industrial knowledge graph's Linked Data site, written by `kg site`.",
        f"# Published copy: {base}",
        "# 303 See Other: an IRI names a thing, its documents are the page and the twins beside it (Cool URIs for",
        "# the Semantic Web). HTML for browsers, Turtle / JSON-LD / N-Triples / RDF/XML for RDF clients.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "",
        "# The ontology: its reference page, or its Turtle.",
        "RewriteCond %{HTTP_ACCEPT} !text/html",
        r"RewriteCond %{HTTP_ACCEPT} text/turtle|application/x-turtle|application/turtle|application/rdf\+xml",
        f"RewriteRule ^ontology/?$ {base}ontology/ontology.ttl [R=303,L]",
        f"RewriteRule ^ontology/?$ {base}ontology/index.html [R=303,L]",
        "",
        "# Entities, articles, graphs and records: the twin an RDF client asks for, else the page.",
    ]
    for accept, suffix in _TWINS:
        lines += [
            "RewriteCond %{HTTP_ACCEPT} !text/html",
            f"RewriteCond %{{HTTP_ACCEPT}} {accept}",
            f"RewriteRule {_NAME} {base}id/$1.{suffix} [R=303,L]",
        ]
    lines += [
        f"RewriteRule {_NAME} {base}id/$1.html [R=303,L]",
        f"RewriteRule ^$ {base}index.html [R=303,L]",
        "",
    ]
    return "\n".join(lines)
