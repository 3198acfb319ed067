"""Issue 14, sections 5 and 10: the ontology's HTML page is safe whatever the ontology says (opened in a real
Chromium); terminal output shows control characters as escapes; the parse cache runs no code from its folder,
trusts only this user's files and stays bounded; `kg query --endpoint` keeps one deadline and a size cap."""

from __future__ import annotations

import json
import os
import pickle
import pty
import re
import select
import socket
import subprocess
import sys
import termios
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import ROOT
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.dataset import cache as parse_cache
from kg.engines.remote import Endpoint, RemoteError, RemoteTimeout, request
from kg.errors import KGError
from kg.publish.docs import PAGE, render_docs
from kg.query.results import Rows, format_markdown, format_table
from kg.report.describe import describe_entity
from kg.report.stats import compute_stats, format_stats
from kg.vocab.namespaces import ENTITIES_GRAPH, FOAF, QD, QDO, VANN
from kg.vocab.namespaces import SCHEMA as SDO

DC = Namespace("http://purl.org/dc/elements/1.1/")
EX = Namespace("http://example.org/onto#")


def _kg(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


# --- 5. The ontology's HTML page in Chromium ---------------------------------------------------------

#: Markup and Markdown that would run script, load something or break out of its context if passed through.
PAYLOADS = [
    "<img src=x onerror=\"window.pwned = 1; document.title = 'PWNED'\">",
    "<script>window.pwned = 2</script>",
    '<img src="{url}/img">',
    '<iframe src="{url}/frame"></iframe>',
    '<link rel="stylesheet" href="{url}/css">',
    "</style><style>body { background: url({url}/bg) }</style>",
    "</script><script>window.pwned = 3</script>",
    "</title><script>window.pwned = 4</script>",
    '<a href="javascript:window.pwned = 5">click</a>',
    "[click](javascript:window.pwned = 6)",
    "[data](data:text/html,<script>parent.pwned = 7</script>)",
    "![picture]({url}/markdown-image)",
    "<{url}/autolink>",
    "[ref]: {url}/reference\n\n![ref]",
    '" onmouseover="window.pwned = 8" x="',
    "' onfocus='window.pwned = 9' autofocus x='",
    '<svg onload="window.pwned = 10"></svg>',
    '<meta http-equiv="refresh" content="0; url={url}/refresh">',
    '<base href="{url}/">',
    '<object data="{url}/object"></object>',
    "&lt;script&gt;window.pwned = 11&lt;/script&gt; &amp; &#60;b&#62;",
    "<!-- a comment --> <![CDATA[ x ]]> <math><mtext></title><img src=x onerror=window.pwned=12>",
]
#: IRIs that would be a script link, a fetch, or break out of an attribute or of raw text if written unchecked.
IRIS = [
    "javascript:window.pwned = 20",
    "JaVaScRiPt:window.pwned = 21",
    "data:text/html,<script>window.pwned = 22</script>",
    "vbscript:msgbox(23)",
    "{url}/iri",
    'http://example.org/x"><img src=x onerror=window.pwned=24>',
    "https://orcid.org/</title><script>window.pwned = 25</script>",
    "http://example.org/</script><script>window.pwned = 26</script>",
]
#: The ones pyLODE can name a class or property by (it fails on IRIs without a path: a one-line error then).
SUBJECT_IRIS = [iri for iri in IRIS if iri.count("/") >= 3]
#: Where pyLODE shows a literal as text, by the kind of thing it describes (pyLODE's own lists plus what
#: its inference maps onto them: labels to titles, comments and definitions to descriptions).
SHOWN = {
    "ontology": [
        *(DCTERMS.description, RDFS.comment, SKOS.definition, SKOS.scopeNote, SKOS.historyNote, SKOS.note),
        *(DCTERMS.rights, DCTERMS.provenance, DCTERMS.source, OWL.versionInfo, VANN.preferredNamespacePrefix),
    ],
    "class": [
        *(RDFS.label, SKOS.definition, RDFS.comment, DCTERMS.description, SKOS.scopeNote, SKOS.example),
        *(SKOS.note, DCTERMS.source, DCTERMS.provenance, DC.description),
    ],
    "property": [SKOS.prefLabel, SKOS.definition, RDFS.comment, SKOS.scopeNote, SKOS.example, SKOS.note],
    "agent": [],  # an agent shows its one name (checked below), its e-mail and identifier only beside it
}


def _pylode_properties() -> dict[str, list[URIRef]]:
    """Every property pyLODE renders for each kind of thing: payloads go into all of them."""
    from pylode.rdf_elements import AGENT_PROPS, CLASS_PROPS, ONT_PROPS, PROP_PROPS

    extra = [RDFS.label, SKOS.prefLabel, RDFS.comment, SKOS.definition, DC.title, DC.description, SDO.description]
    return {
        "ontology": [*ONT_PROPS, *extra],
        "class": [*CLASS_PROPS, *extra],
        "property": [*PROP_PROPS, *extra],
        "agent": [*AGENT_PROPS, FOAF.name, FOAF.mbox],
    }


def _turtle_iri(text: str) -> str:
    """An IRI in Turtle, characters IRIREF forbids written as \\u escapes (rdflib decodes them)."""
    return "<" + "".join(f"\\u{ord(c):04X}" if c in '<>"{}|^`\\' or ord(c) <= 0x20 else c for c in text) + ">"


@st.composite
def hostile_ontologies(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """(Turtle, what the page's title may be, the literal payloads pyLODE must show as text)."""
    props = _pylode_properties()
    kinds = sorted(props)
    subjects = {"ontology": "<http://example.org/onto>", "class": "ex:A", "property": "ex:p", "agent": "_:agent"}
    title = draw(st.sampled_from(["Plain title", *PAYLOADS]))
    lines = [
        f"<http://example.org/onto> a owl:Ontology ; dcterms:title {Literal(title).n3()} ; dcterms:creator _:agent .",
        "ex:A a owl:Class . ex:B a owl:Class ; rdfs:subClassOf ex:A .",
        "ex:p a owl:ObjectProperty ; rdfs:domain ex:A ; rdfs:range ex:B .",
    ]
    titles, shown, names = [title], [title], []
    placed: set[tuple[str, URIRef]] = set()
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        kind = draw(st.sampled_from(kinds))
        prop = draw(st.sampled_from(props[kind]))
        value = draw(st.sampled_from(PAYLOADS + IRIS))
        if value in PAYLOADS:
            if (kind, prop) not in placed and prop in SHOWN[kind]:
                shown.append(value)
            obj = Literal(value).n3()
        else:
            obj = _turtle_iri(value)
        if kind == "ontology" and prop in (DCTERMS.title, RDFS.label, SKOS.prefLabel, DC.title, SDO.name):
            titles.append(value)  # pyLODE titles the page with one of them
        if kind == "agent" and prop in (SDO.name, FOAF.name):
            names.append(value)
        placed.add((kind, prop))
        lines.append(f"{subjects[kind]} {_turtle_iri(str(prop))} {obj} .")
    if draw(st.booleans()):  # payload IRIs as a class and a property of their own
        cls, prop = (_turtle_iri(draw(st.sampled_from(SUBJECT_IRIS))) for _ in range(2))
        lines.append(f"{cls} a owl:Class ; rdfs:subClassOf ex:A .")
        lines.append(f"{prop} a owl:ObjectProperty ; rdfs:domain {cls} ; rdfs:range ex:A .")
    if len(names) == 1 and names[0] in PAYLOADS:
        shown.append(names[0])
    prefixes = {"owl": OWL, "rdfs": RDFS, "dcterms": DCTERMS, "ex": EX}
    head = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())
    return head + "\n".join(lines) + "\n", titles, shown


_WATCH = """
window.violations = [];
document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));
"""
_HANDLERS = "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
_LINKS = "[...document.body.querySelectorAll('a[href]')].map(a => a.protocol)"


def _open(browser, page_file: Path, listener_received: list[bytes], until: str = "load") -> dict[str, object]:
    """Load the page from a file:// URL; what it did: requests, script effects, CSP violations, text, markup."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(_WATCH)
        requests: list[str] = []
        blocked: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: blocked.append(r.url) if "csp" in (r.failure or "").lower() else None)
        page.goto(page_file.as_uri(), wait_until=until)  # type: ignore[arg-type]
        page.wait_for_timeout(300)  # give anything deferred (refresh, lazy loads) its chance to leave the page
        return {
            "requests": [u for u in requests if u != page_file.as_uri() and not u.startswith("data:")],
            "blocked": blocked,
            "pwned": page.evaluate("window.pwned"),
            "violations": page.evaluate("window.violations"),
            "title": page.title(),
            "text": page.inner_text("body"),
            "attributes": set(page.evaluate(_HANDLERS)),
            "links": set(page.evaluate(_LINKS)),
            "active": page.evaluate(
                "document.body.querySelectorAll('script, iframe, object, embed, img, base, style, link, meta, form')"
                ".length"
            ),
            "head": sorted(page.evaluate("[...document.head.children].map(e => e.tagName.toLowerCase())")),
            "listener": list(listener_received),
        }
    finally:
        context.close()


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
@pytest.mark.browser
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hostile=hostile_ontologies())
def test_a_hostile_ontology_renders_to_a_page_that_runs_and_loads_nothing(
    hostile: tuple[str, list[str], list[str]], browser, listener, tmp_path: Path
) -> None:
    turtle, titles, shown = hostile
    url = listener[0].removesuffix("/sparql")
    source = tmp_path / "hostile.ttl"
    source.write_text(turtle.replace("{url}", url), encoding="utf-8")
    page_file = tmp_path / PAGE
    page_file.write_text(render_docs(source)[PAGE], encoding="utf-8")
    seen = _open(browser, page_file, listener[1])
    assert seen["requests"] == [] and seen["listener"] == [], "the page must load nothing"
    assert seen["pwned"] is None, "no script may run"
    assert seen["violations"] == [], "escaping alone must hold: the CSP is only the second barrier"
    assert not {a for a in seen["attributes"] if a.startswith("on")}, seen["attributes"]  # type: ignore[union-attr]
    assert seen["links"] <= {"http:", "https:", "mailto:", "file:"}, seen["links"]  # file: is the page's own folder
    assert seen["active"] == 0
    assert seen["head"] == ["link", "link", "meta", "meta", "script", "style", "title"]
    assert _words(seen["title"]) in {_words(t.replace("{url}", url)) for t in titles}  # type: ignore[arg-type]
    text = _words(seen["text"])  # type: ignore[arg-type]
    missing = [s for s in shown if _words(s.replace("{url}", url)) not in text]
    assert not missing, f"payloads must show as text: {missing}"


@pytest.fixture(scope="module")
def real_page() -> str:
    return render_docs()[PAGE]


@pytest.mark.slow
@pytest.mark.browser
def test_the_content_security_policy_is_a_second_barrier(browser, listener, tmp_path: Path, real_page: str) -> None:
    """Markup slipped into the page past the escaping is still stopped by the page's CSP; the same markup in a
    page without it does run and fetch, so the check can see a failure."""
    url, received = listener
    injected = (
        f'<img src="{url}/csp-img"><script>window.pwned = 1</script><iframe src="{url}/csp-frame"></iframe>'
        f'<div style="background: url({url}/csp-bg)">x</div>'
    )
    guarded = tmp_path / "guarded.html"
    guarded.write_text(real_page.replace("<body>", "<body>" + injected, 1), encoding="utf-8")
    seen = _open(browser, guarded, received)
    # Chromium opens a TCP connection ahead of a frame's navigation, before CSP refuses it: no request is sent
    assert seen["pwned"] is None and set(received) <= {b"<connected>"}
    assert seen["requests"] and seen["requests"] == seen["blocked"], "every load was attempted and blocked"
    assert "script-src-elem" in seen["violations"] and "img-src" in seen["violations"]  # type: ignore[operator]
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<meta http-equiv=\"Content-Security-Policy\"[^>]*>", "", guarded.read_text()))
    seen = _open(browser, bare, received, until="domcontentloaded")  # the listener never answers
    assert seen["pwned"] == 1 and seen["requests"] and not seen["blocked"], "without the CSP the markup runs"
    assert received, "and the listener sees the fetches"


@pytest.mark.slow
@pytest.mark.browser
def test_the_real_page_reads_and_loads_nothing(browser, listener, tmp_path: Path, real_page: str) -> None:
    page_file = tmp_path / PAGE
    page_file.write_text(real_page, encoding="utf-8")
    seen = _open(browser, page_file, listener[1])
    assert seen["requests"] == [] and seen["violations"] == [] and seen["pwned"] is None
    assert "A business company or group, such as Haier, Hisense or Chery." in seen["text"]  # type: ignore[operator]
    assert seen["title"] == "Qingdao Industrial Knowledge Graph Ontology"


@pytest.mark.slow  # subprocesses or generated examples
def test_an_unreadable_or_titleless_ontology_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b", encoding="utf-8")
    untitled = tmp_path / "untitled.ttl"
    untitled.write_text("<http://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> .\n", encoding="utf-8")
    pathless = tmp_path / "pathless.ttl"
    pathless.write_text(
        '<http://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ; <http://purl.org/dc/terms/title> "T" .\n'
        "<javascript:x> a <http://www.w3.org/2002/07/owl#Class> .\n",
        encoding="utf-8",
    )
    for path, message in (
        (broken, "cannot read the ontology"),
        (untitled, "pyLODE cannot document"),
        (pathless, "pyLODE cannot document"),
    ):
        with pytest.raises(KGError, match=message) as caught:
            render_docs(path)
        assert "\n" not in str(caught.value)


# --- 10. Control characters on the terminal ----------------------------------------------------------

_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def _controls(text: str) -> set[str]:
    """The characters that act on a terminal rather than print: C0 (but the newline), DEL, C1, bidi controls."""
    return {c for c in text if (unicodedata.category(c) == "Cc" and c != "\n") or c in _BIDI}


def _escape(c: str) -> str:
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


hostile_text = st.text(
    st.one_of(st.characters(), st.sampled_from(["\x1b", "\x07", "\r", "\x9b", "\x7f", "\u202e", "\u2066", "\n"])),
    min_size=1,
)


@pytest.mark.slow  # subprocesses or generated examples
@settings(max_examples=200, deadline=None)
@given(label=hostile_text, other=hostile_text)
def test_tables_show_control_characters_as_escapes(label: str, other: str) -> None:
    data = Rows(["name", "x"], [(Literal(label), URIRef("http://example.org/" + other.replace(" ", "")))])
    for out, lines in ((format_table(data, max_width=10**6), 4), (format_markdown(data), 3)):
        assert not _controls(out), repr(out)
        assert all(_escape(c) in out for c in _controls(label))
        assert len(out.splitlines()) == lines, "a newline in a cell does not start a row"


def _hostile_dataset(label: str) -> Dataset:
    ds = Dataset(default_union=True)
    entities = ds.graph(ENTITIES_GRAPH)
    node, other, article = QD.X, QD.Y, QD["article/a9"]
    entities.add((node, RDF.type, QDO.Enterprise))
    entities.add((node, SKOS.prefLabel, Literal(label)))
    entities.add((node, SKOS.altLabel, Literal(label + " alias")))
    entities.add((node, DCTERMS.description, Literal(label)))
    entities.add((other, SKOS.prefLabel, Literal("Y " + label)))
    entities.add((QDO.Enterprise, RDFS.label, Literal(label)))
    ds.add((article, RDF.type, QDO.Article))
    ds.add((article, QDO.shortId, Literal(label)))
    ds.add((article, DCTERMS.title, Literal(label)))
    g = ds.graph(article)
    g.add((node, QDO.partOf, other))
    statement = BNode()
    for p, o in ((RDF.subject, node), (RDF.predicate, QDO.partOf), (RDF.object, other), (QDO.evidence, Literal(label))):
        g.add((statement, p, o))
    return ds


@settings(max_examples=100, deadline=None)
@given(label=hostile_text)
def test_entity_and_stats_reports_show_control_characters_as_escapes(label: str) -> None:
    ds = _hostile_dataset(label)
    for out in (describe_entity(ds, str(QD.X)), format_stats(compute_stats(ds))):
        assert not _controls(out), repr(out)
        assert all(_escape(c) in out for c in _controls(label))


def _on_a_terminal(*args: str, data: Path | None = None) -> tuple[int, bytes]:
    """Run `kg` with stdout and stderr on a pseudo-terminal (so nothing strips escapes as it would for a pipe)."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # no \n to \r\n translation: every byte read is one the command wrote
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    extra = ("--data", str(data)) if data else ()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args, *extra],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"},
    )
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process has closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=30), out


ESC_LABEL = "\x1b]0;pwned\x07\x1b[2J\u202eHaier"


@pytest.mark.slow
def test_commands_print_no_control_characters_on_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "hostile.ttl"
    evil = Literal(ESC_LABEL).n3()
    data.write_text(
        "@prefix qd: <https://w3id.org/qingdao-kg/id/> .\n@prefix qdo: <https://w3id.org/qingdao-kg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        f"qd:Haier skos:altLabel {evil} .\nqd:Evil a qdo:Enterprise ; skos:prefLabel {evil} .\n"
        "qd:Haier qdo:partOf qd:Evil .\nqd:Hisense qdo:partOf qd:Evil .\n"
        f"<urn:evil> a qdo:Article ; qdo:shortId {evil} ; dcterms:title {evil} .\n",
        encoding="utf-8",
    )
    query = 'SELECT ?l WHERE { ?s skos:altLabel ?l FILTER(CONTAINS(?l, "pwned")) }'
    runs = [
        (("entity", "Haier"), data, 0),
        (("query", query, "--format", "table"), data, 0),
        (("query", query, "--format", "md"), data, 0),
        (("stats",), data, 0),
        (("central", "--top", "3", "--path", "Haier", "qd:Evil"), data, 0),
        (("entity", ESC_LABEL + "x"), None, 2),  # errors quoting user input
        (("query", "-f", str(tmp_path / ESC_LABEL)), None, 2),
        (("query", "ASK {}", "--endpoint", "http://[::1" + ESC_LABEL), None, 2),
        (("query", "ASK {}", "--format", ESC_LABEL), None, 2),
        (("nosuchcommand" + ESC_LABEL,), None, 2),
    ]
    for args, extra, expected in runs:
        code, out = _on_a_terminal(*args, data=extra)
        text = out.decode("utf-8", "replace")
        assert code == expected, (args, text)
        assert not _controls(text), (args, text)
        assert "\\x1b" in text, (args, text)
        assert "Traceback" not in text


def test_csv_json_and_turtle_keep_the_data_exact() -> None:
    from kg.query.results import format_delimited, format_json

    data = Rows(["name"], [(Literal(ESC_LABEL),)])
    assert ESC_LABEL in format_delimited(data, ",")
    assert json.loads(format_json(data))["results"]["bindings"][0]["name"]["value"] == ESC_LABEL


# --- 10. The parse cache -------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class _Planted:
    """Unpickling this creates the marker file: proof that the cache ran code from its folder."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _source(tmp_path: Path, n: int, size: int = 1) -> Path:
    path = tmp_path / f"source{n}.ttl"
    lines = "".join(f'<urn:s{n}> <urn:p> "{i} {"x" * 40}" .\n' for i in range(size))
    path.write_text(lines, encoding="utf-8")
    return path


def _loader(path: Path) -> Callable[[], Dataset]:
    def parse() -> Dataset:
        ds = Dataset(default_union=True)
        ds.graph(URIRef("urn:g")).parse(path, format="turtle")
        return ds

    return parse


def _load(path: Path) -> Dataset:
    return parse_cache.cached([(path, "urn:g")], _loader(path))


def _quads(ds: Dataset) -> set:
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("parsed-*.json")
    return entry


def test_cache_folder_and_entries_are_private(cache: Path, tmp_path: Path) -> None:
    _load(_source(tmp_path, 0))
    assert cache.stat().st_mode & 0o777 == 0o700
    assert _entry(cache).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("how", ["as the entry", "as an old pickle", "other owner", "group-writable", "symlink"])
def test_a_planted_pickle_never_runs(cache: Path, tmp_path: Path, how: str) -> None:
    source = _source(tmp_path, 0)
    expected = _quads(_load(source))
    entry = _entry(cache)
    marker = tmp_path / "marker"
    payload = pickle.dumps(_Planted(marker))
    if how == "as an old pickle":
        for name in (entry.with_suffix(".pickle"), cache / "parsed-0.pickle"):
            name.write_bytes(payload)
        _load(_source(tmp_path, 1))  # any write tidies the folder
    elif how == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.write_bytes(payload)
        entry.unlink()
        entry.symlink_to(elsewhere)
    else:
        entry.write_bytes(payload)
        if how == "other owner":
            if os.geteuid() != 0:
                pytest.skip("changing a file's owner needs root")
            os.chown(entry, 65534, 65534)
        if how == "group-writable":
            entry.chmod(0o660)
    assert _quads(_load(source)) == expected
    assert not marker.exists()
    assert json.loads(entry.read_bytes())["format"] == parse_cache.FORMAT, "rewritten as a sound entry"
    assert not list(cache.glob("*.pickle")), "pickles of earlier versions are removed"


def _fake_entry(entry: Path) -> None:
    """A well-formed entry that claims a triple the source does not state."""
    doc = json.loads(entry.read_bytes())
    doc["terms"] += ["urn:planted", ["planted", "", ""]]
    n = len(doc["terms"])
    doc["quads"] += [n - 2, n - 2, n - 1, doc["quads"][3]]
    entry.write_text(json.dumps(doc))


@pytest.mark.parametrize("how", ["other owner", "group-writable entry", "group-writable folder", "world-writable"])
def test_entries_others_could_have_written_are_not_trusted(cache: Path, tmp_path: Path, how: str) -> None:
    source = _source(tmp_path, 0)
    expected = _quads(_load(source))
    entry = _entry(cache)
    _fake_entry(entry)
    assert len(_quads(_load(source))) == len(expected) + 1, "the planted triple is read from a trusted entry"
    if how == "other owner":
        if os.geteuid() != 0:
            pytest.skip("changing a file's owner needs root")
        os.chown(entry, 65534, 65534)
    elif how == "group-writable entry":
        entry.chmod(0o620)
    elif how == "group-writable folder":
        cache.chmod(0o770)
    else:
        cache.chmod(0o777)
    assert _quads(_load(source)) == expected


@pytest.mark.slow
def test_the_cache_stays_bounded(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [_source(tmp_path, n) for n in range(3 * parse_cache.MAX_ENTRIES)]
    for n, source in enumerate(sources):
        _load(source)
        _load(sources[0])  # read again and again: the most recently used entry stays
        time.sleep(0.01)  # distinct modification times
        entries = list(cache.glob("parsed-*.json"))
        assert len(entries) <= parse_cache.MAX_ENTRIES and len(entries) == min(n + 1, parse_cache.MAX_ENTRIES)
    names = {p.name for p in cache.iterdir()}
    assert len(names) == parse_cache.MAX_ENTRIES
    first = parse_cache._key([(sources[0], "urn:g")])
    assert f"parsed-{first}.json" in names

    big = [_source(tmp_path, 100 + n, size=2000) for n in range(6)]  # ~120 kB entries
    monkeypatch.setattr(parse_cache, "MAX_TOTAL", 300_000)
    for source in big:
        _load(source)
        assert sum(p.stat().st_size for p in cache.iterdir()) <= 300_000
    assert _quads(_load(big[-1])) == _quads(_loader(big[-1])())


def test_inferred_graphs_share_the_bound_and_a_damaged_one_is_recomputed(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.query.reasoning import inferred_graph

    def data(n: int) -> Dataset:
        ds = Dataset()
        ds.add((URIRef(f"urn:c{n}"), RDFS.subClassOf, URIRef("urn:top")))
        ds.add((URIRef("urn:x"), RDF.type, URIRef(f"urn:c{n}")))
        return ds

    expected = set(inferred_graph(data(0), use_cache=False))
    assert (URIRef("urn:x"), RDF.type, URIRef("urn:top")) in expected
    assert set(inferred_graph(data(0))) == expected
    (entry,) = cache.glob("inferred-*.nt")
    for damage in (b"<urn:broken", b"\xff\xfe", entry.read_bytes()[: len(entry.read_bytes()) // 2]):
        entry.write_bytes(damage)
        assert set(inferred_graph(data(0))) == expected
        assert set(Graph().parse(entry, format="nt")) == expected, "the damaged entry is written again"
    monkeypatch.setattr(parse_cache, "MAX_ENTRIES", 3)
    for n in range(6):
        inferred_graph(data(n))
        _load(_source(tmp_path, n))
        assert len(list(cache.iterdir())) <= 3


damage = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ).map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["format", "union", "namespaces", "terms", "quads"]),
        st.lists(st.integers(-2, 10) | st.text(max_size=3) | st.lists(st.text(max_size=3), max_size=4), max_size=8)
        | st.integers(0, 3)
        | st.booleans(),
    ).map(lambda d: json.dumps({"format": parse_cache.FORMAT, **d}).encode()),
)


@pytest.mark.slow  # subprocesses or generated examples
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=damage, cut=st.integers(min_value=0, max_value=10_000))
def test_damaged_entries_are_ignored_and_rewritten(cache: Path, tmp_path: Path, data: bytes, cut: int) -> None:
    source = _source(tmp_path, 7, size=5)
    expected = _quads(_loader(source)())
    _load(source)
    entry = _entry(cache)
    sound = entry.read_bytes()
    for broken in (data, sound[: cut % len(sound)]):
        assume(broken != sound)
        entry.write_bytes(broken)
        entry.chmod(0o600)
        assert _quads(_load(source)) == expected
        assert entry.read_bytes() == sound


# --- 10. The remote client: one deadline, a size cap, one-line errors ------------------------------------


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        got = conn.recv(65536)
        if not got:
            return
        data += got
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0)
    while len(body) < length:
        body += conn.recv(65536)


def _slow_server(send: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback server that reads each request and answers with ``send`` (until the client goes away)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                _read_request(conn)
                send(conn)
            except OSError:
                pass  # the client gave up: what the test wants

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/query"
    stop.set()
    thread.join(timeout=2)
    server.close()


def _dribble(data: bytes, every: float = 0.1) -> Callable[[socket.socket], None]:
    def send(conn: socket.socket) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(every)
        while True:  # and then an endless header line, one byte at a time
            conn.sendall(b"x")
            time.sleep(every)

    return send


@pytest.fixture
def dribbling_headers() -> Iterator[str]:
    yield from _slow_server(_dribble(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nX-Slow: "))


@pytest.fixture
def dribbling_body() -> Iterator[str]:
    def send(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n")
        _dribble(b'{"head": {"vars": []}, "boolean": ')(conn)

    yield from _slow_server(send)


@pytest.fixture
def endless_body() -> Iterator[str]:
    def send(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n")
        block = b"[" * 65536
        while True:
            conn.sendall(block)

    yield from _slow_server(send)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["dribbling_headers", "dribbling_body"])
def test_one_deadline_for_the_whole_exchange(server: str, request_fixture) -> None:
    url = request_fixture(server)
    started = time.monotonic()
    with pytest.raises(RemoteTimeout, match=r"within 1\.5 s") as caught:
        request(url, method="POST", body=b"ASK {}", timeout=1.5)
    assert time.monotonic() - started < 1.5 + 0.5
    assert "\n" not in str(caught.value)


@pytest.fixture
def request_fixture(request: pytest.FixtureRequest) -> Callable[[str], str]:
    return request.getfixturevalue


@pytest.mark.slow
@pytest.mark.parametrize("server", ["dribbling_headers", "dribbling_body"])
def test_the_command_ends_at_its_timeout(server: str, request_fixture) -> None:
    url = request_fixture(server)
    baseline = time.monotonic()
    _kg("--version")
    startup = time.monotonic() - baseline
    started = time.monotonic()
    done = _kg("query", "ASK {}", "--endpoint", url, "--timeout", "3")
    took = time.monotonic() - started
    assert done.returncode == 2 and "within 3 s" in done.stderr and len(done.stderr.splitlines()) == 1
    assert took < 3 + startup + 1.5, f"took {took:.1f} s (start-up {startup:.1f} s)"


def test_an_endless_body_stops_at_the_cap(endless_body: str) -> None:
    started = time.monotonic()
    with pytest.raises(RemoteError, match=r"larger than 5,000,000 bytes \(raise the cap with --max-bytes\)"):
        Endpoint(endless_body, timeout=30, max_bytes=5_000_000).query("ASK {}")
    assert time.monotonic() - started < 10


def test_an_announced_body_over_the_cap_is_refused_unread() -> None:
    def send(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n")
        conn.sendall(b"Content-Length: 3000000000\r\n\r\n")
        while True:
            conn.sendall(b" " * 65536)

    for url in _slow_server(send):
        with pytest.raises(RemoteError, match="larger than 1,000 bytes"):
            request(url, timeout=10, max_bytes=1000)


def _peak_rss(*args: str) -> tuple[int, str]:
    """(peak resident memory in bytes, stderr) of one `kg` run."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 2, err
    return usage.ru_maxrss * 1024, err


@pytest.mark.slow
def test_memory_stays_near_the_cap_on_an_endless_body(endless_body: str) -> None:
    small, err = _peak_rss("query", "ASK {}", "--endpoint", endless_body, "--max-bytes", "1000000", "--timeout", "60")
    assert "larger than 1,000,000 bytes" in err
    big, err = _peak_rss("query", "ASK {}", "--endpoint", endless_body, "--max-bytes", "150000000", "--timeout", "60")
    assert "larger than 150,000,000 bytes" in err
    print(f"peak RSS: {small / 2**20:.0f} MiB with a 1 MB cap, {big / 2**20:.0f} MiB with a 150 MB cap")
    assert 150e6 < big < small + 1.5 * 150e6, "the answer is held up to the cap, and not much beyond it"


MALFORMED = ["http://[::1", "http://[::1/query", "http://::1]/", "http://[zz::1]/", "http://127.0.0.1:99999/"]
MALFORMED += ["http://127.0.0.1:port/", "http://a..b/", "http://exa mple/", "http:///query", "http://\x1b[31m/"]
MALFORMED += ["https://" + "a" * 64 + ".example/", "http://-/", "ftp://example.org/", "//127.0.0.1/", ""]

_host = st.one_of(
    st.sampled_from(["127.0.0.1", "[::1]", "[::1", "::1]", "[", "]", "[zz::1]", "", "a..b", "-x-", "@", "%00"]),
    st.text(st.sampled_from("[]@:%/\\ \t\n\x00\x7f\u202e<>\"'`{}|^?#"), max_size=6),  # never a host name
)
_port = st.sampled_from(["", ":", ":0", ":1", ":65536", ":-1", ":8x", ":99999999999999999999", ": 80"])
_urls = st.one_of(
    st.builds(
        lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
        st.sampled_from(["http://", "https://", "HTTP://", "http:/", "http:", "ftp://", "javascript:", ""]),
        _host,
        _port,
        st.text(max_size=12).map(lambda t: "/" + t) | st.just(""),
    ),
    st.sampled_from(MALFORMED),
)


@pytest.mark.slow  # subprocesses or generated examples
@settings(max_examples=150, deadline=None)
@given(url=_urls)
def test_any_url_gives_a_one_line_error(url: str) -> None:
    with pytest.raises(RemoteError) as caught:
        Endpoint(url, timeout=1).query("ASK {}")
    assert "\n" not in str(caught.value).strip()


@pytest.mark.slow
def test_malformed_endpoints_on_the_command_line() -> None:
    for url in MALFORMED[:4]:
        done = _kg("query", "ASK {}", "--endpoint", url)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (url, done.stderr)
        assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1, (url, done.stderr)
