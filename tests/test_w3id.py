"""The w3id.org redirect rule (kg.site.w3id), run by a real Apache httpd with mod_rewrite reading it from an
``.htaccess`` as w3id.org does, in front of a site `kg site` wrote: RDF clients (rdflib, urllib) and a
browser's Accept header reach the right document through the 303.

Needs Debian's apache2 (.ci/run installs it); skipped without it, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT, free_port, missing_tool
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from kg.errors import KGError
from kg.site.build import write_site
from kg.site.w3id import check_published, htaccess
from kg.vocab.namespaces import ART, ONTOLOGY_IRI, QD, QDO

APACHE = "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PLACEHOLDER = "https://example.github.io/qingdao-kg/"


def test_the_documented_rule_is_current() -> None:
    assert (ROOT / "docs" / "w3id" / ".htaccess").read_text(encoding="utf-8") == htaccess(PLACEHOLDER)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.org/",
        "https://example.org/a b",
        "https://example.org/\nRewriteRule .* x",
        'https://example.org/"',
        "https://example.org/$1",
        "https://",
        "javascript:alert(1)",
        "https://a.org/%0a",
    ],
)
def test_a_published_address_that_would_change_the_rules_is_refused(url: str) -> None:
    with pytest.raises(KGError, match="--published-at"):
        check_published(url)


@pytest.fixture(scope="module")
def apache() -> Iterator[str]:
    if not Path(APACHE).exists():
        missing_tool(f"no Apache httpd at {APACHE} (Debian's apache2)")
    from kg.dataset.load import load_dataset

    www = Path(tempfile.mkdtemp(prefix="kg-w3id-"))  # under /tmp, readable by Apache's worker user
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    write_site(load_dataset(), www / "site", answers=False)
    (www / "qingdao-kg").mkdir()
    (www / "qingdao-kg" / ".htaccess").write_text(htaccess(f"{base}/site/"), encoding="utf-8")
    modules = ("mpm_event", "authz_core", "rewrite", "mime", "dir")
    conf = www / "httpd.conf"
    conf.write_text(
        "\n".join(
            [f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules]
            + [
                f"Listen 127.0.0.1:{port}",
                f"ServerName 127.0.0.1:{port}",
                f"PidFile {www}/httpd.pid",
                f"ErrorLog {www}/error.log",
                "LogLevel warn rewrite:trace2",
                "User nobody",
                "Group nogroup",
                "TypesConfig /etc/mime.types",
                "AddType text/turtle .ttl",
                "AddType application/ld+json .jsonld",
                "AddType application/n-triples .nt",
                "AddType application/rdf+xml .rdf",
                f"DocumentRoot {www}",
                f'<Directory "{www}">',
                "  AllowOverride All",
                "  Require all granted",
                "</Directory>",
                "",
            ]
        ),
        encoding="utf-8",
    )
    for path in [www, *www.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("HEAD", "/")
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"apache2 did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(www, ignore_errors=True)


def _get(base: str, path: str, accept: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(base.removeprefix("http://").split(":")[0], int(base.rsplit(":", 1)[1]))
    conn.request("GET", path, headers={"Accept": accept})
    reply = conn.getresponse()
    reply.read()
    return reply.status, reply.headers.get("Location", "")


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "accept", "document"),
    [
        ("/qingdao-kg/id/Haier", BROWSER, "site/id/Haier.html"),
        ("/qingdao-kg/id/Haier", "*/*", "site/id/Haier.html"),
        ("/qingdao-kg/id/Haier", "text/turtle", "site/id/Haier.ttl"),
        ("/qingdao-kg/id/Haier", "application/ld+json", "site/id/Haier.jsonld"),
        ("/qingdao-kg/id/Haier", "application/n-triples", "site/id/Haier.nt"),
        ("/qingdao-kg/id/Haier", "application/rdf+xml", "site/id/Haier.rdf"),
        ("/qingdao-kg/id/article/a001", "text/turtle", "site/id/article/a001.ttl"),
        ("/qingdao-kg/id/graph/curated", BROWSER, "site/id/graph/curated.html"),
        ("/qingdao-kg/ontology", BROWSER, "site/ontology/index.html"),
        ("/qingdao-kg/ontology", "text/turtle", "site/ontology/ontology.ttl"),
    ],
)
def test_apache_redirects_each_iri_to_its_document(apache: str, path: str, accept: str, document: str) -> None:
    status, location = _get(apache, path, accept)
    assert status == 303 and location == f"{apache}/{document}"
    assert _get(apache, "/" + document, accept)[0] == 200


@pytest.mark.external
@pytest.mark.slow
def test_rdflib_follows_the_w3id_rule(apache: str) -> None:
    g = Graph().parse(f"{apache}/qingdao-kg/id/Haier")
    assert (QD.Haier, RDF.type, QDO.Enterprise) in g
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in Graph().parse(f"{apache}/qingdao-kg/ontology")
    assert Graph().parse(f"{apache}/qingdao-kg/id/article/a002").value(ART.a002, QDO.shortId) is not None


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize("path", ["/qingdao-kg/id/../../etc/passwd", "/qingdao-kg/id/.kg-site", "/qingdao-kg/id/a/b/c"])
def test_other_paths_are_not_redirected(apache: str, path: str) -> None:
    status, location = _get(apache, path, "text/turtle")
    assert status != 303 and "/site/" not in location
