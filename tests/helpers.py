"""What the test modules share: plain constants, functions and data — never fixtures (those live in conftest.py,
which imports from here). Test modules import it as ``from helpers import ...`` (pytest puts tests/ on sys.path;
tools/expected_answers.py does the same); no test module imports another.

Sections: the project and outside tools; every engine's answer compared by value; questions that draw;
expected answers as files; the Linked Data site's hostile data.
"""

from __future__ import annotations

import difflib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Literal, URIRef, Variable
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD
from rdflib.plugins.sparql.parserutils import CompValue

from kg.dataset.load import load_dataset
from kg.dataset.paths import project_root
from kg.engines.safety import prepare
from kg.publish.push import push
from kg.query.results import Rows
from kg.query.results import rows as select_rows
from kg.query.saved import saved_queries
from kg.query.sparql import run_query
from kg.vocab.namespaces import ART, ENTITIES_GRAPH, QD, QDO

# --- the project and outside tools -------------------------------------------------------------------

ROOT = project_root()


def missing_tool(why: str) -> None:
    """Skip a test whose outside tool is missing — but fail in CI, where .ci/run installs it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (required in CI: .ci/run installs it)")
    pytest.skip(why)


CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- every engine's answer compared by value ---------------------------------------------------------


def by_value(term: object) -> object:
    """A term as compared across engines: numbers by value (Oxigraph writes 62.0 as 62), blank nodes alike (their
    labels are each store's own), the rest as N3."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return "_:"
    value = term.toPython() if isinstance(term, Literal) else None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (str(term.datatype), Decimal(str(value)).normalize())  # type: ignore[union-attr]
    return term.n3()  # type: ignore[attr-defined]


def rows_by_value(ds: Dataset, text: str, **kw: object) -> list[tuple]:
    """The rows of a SELECT answer on ``ds``, each term ``by_value``."""
    data = select_rows(run_query(ds, text, **kw))  # type: ignore[arg-type]
    return [tuple(by_value(t) for t in row) for row in data.rows]


# --- questions that draw -----------------------------------------------------------------------------

#: Every saved question's text, by name.
SAVED = {name: q.text for name, q in saved_queries().items()}

#: Questions like the saved ones, selecting IRIs: entities, records (targets, posts, figures), events, articles.
OWN = {
    "plan-targets": "SELECT ?plan ?target WHERE { ?target a qdo:Target ; qdo:setBy ?plan }",
    "people-posts": "SELECT ?person ?post ?org WHERE { ?post a qdo:PostHolding ; qdo:holder ?person . "
    "OPTIONAL { ?post qdo:postIn ?org } }",
    "enterprise-industries": "SELECT ?e ?i WHERE { ?e a qdo:Enterprise ; qdo:inIndustry ?i }",
    "figures-2019": 'SELECT ?figure WHERE { ?figure a qdo:Observation ; qdo:year "2019"^^xsd:gYear }',
    "events": "SELECT ?event WHERE { ?event a/rdfs:subClassOf* qdo:Event }",
    "articles": "SELECT ?article WHERE { ?article a qdo:Article }",
    "leading-enterprises": "SELECT ?e WHERE { qd:Qingdao qdo:hasLeadingEnterprise ?e }",
    "platform-builders": "SELECT ?platform ?builder WHERE { ?platform qdo:builtBy ?builder }",
    "one-entity": "SELECT ?entity WHERE { BIND(qd:Chery AS ?entity) }",
}


# --- expected answers as files ---------------------------------------------------------------------
#
# Expected answers of the saved questions as files, and every engine's answer in the same text.
#
# ``tests/expected/NAME.tsv`` is a W3C SPARQL 1.1 TSV result: a header of ``?variables``, then one line
# per row, each cell an RDF term in N-Triples syntax (``<iri>``, ``"text"``, ``"text"@en``,
# ``"62"^^<…#decimal>``), empty where unbound. The terms carry their types, so ``"2019"^^xsd:gYear`` and
# the integer 2019 differ, and each line diffs on its own. Every engine's answer is written the same way
# and compared with the file: in order where the query's ORDER BY covers every column, else as a multiset
# whose ORDER BY keys still come in the file's order.

EXPECTED = Path(__file__).resolve().parent / "expected"
COMUNICA = ROOT / "tools" / "comunica"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

Row = tuple[str, ...]


def term_text(term: object) -> str:
    """An RDF term in N-Triples syntax ('' for unbound); a literal typed xsd:string is written plain."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        quoted = '"' + "".join(_ESCAPES.get(ch, ch) for ch in str(term)) + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{quoted}^^<{term.datatype}>"
        return quoted
    raise TypeError(f"not an RDF term: {term!r}")


def answer_text(data: Rows) -> str:
    """A SELECT answer as the expected-answer file writes it."""
    lines = ["\t".join(f"?{v}" for v in data.variables)]
    lines += ["\t".join(term_text(t) for t in row) for row in data.rows]
    return "\n".join(lines) + "\n"


def read_answer(text: str) -> tuple[list[str], list[Row]]:
    """The variables and rows of an answer file (or of ``answer_text``)."""
    head, *body = text.rstrip("\n").split("\n")
    variables = [v.removeprefix("?") for v in head.split("\t")]
    return variables, [tuple(line.split("\t")) for line in body]


def expected_path(name: str) -> Path:
    return EXPECTED / f"{name}.tsv"


def order_keys(text: str) -> list[str]:
    """The projected variables the query's outermost ORDER BY sorts on, in order."""
    query = prepare(text).query
    projected = [str(v) for v in query.algebra.get("PV") or ()]
    node = query.algebra
    while isinstance(node, CompValue) and node.name != "OrderBy":
        node = node.get("p")
    if not isinstance(node, CompValue):
        return []
    keys: list[str] = []
    for condition in node["expr"]:
        for var in _variables(condition):
            if var in projected and var not in keys:
                keys.append(var)
    return keys


def _variables(node: object) -> Iterable[str]:
    if isinstance(node, Variable):
        yield str(node)
    elif isinstance(node, CompValue):
        for key, value in node.items():
            if key != "_vars":
                yield from _variables(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _variables(value)


def assert_same_answer(name: str, text: str, got: str, engine: str) -> None:
    """``got`` (an answer's text) holds the rows of the expected file, in the order the query fixes."""
    path = expected_path(name)
    want_vars, want = read_answer(path.read_text(encoding="utf-8"))
    got_vars, rows = read_answer(got)
    where = f"{name} on {engine}"
    assert got_vars == want_vars, f"{where}: columns {got_vars} != {want_vars}"
    keys = order_keys(text)
    if set(keys) == set(want_vars):
        assert rows == want, f"{where}: rows differ from {path.name}\n{_diff(want, rows)}"
        return
    assert Counter(rows) == Counter(want), f"{where}: rows differ from {path.name}\n{_diff(sorted(want), sorted(rows))}"
    index = [want_vars.index(k) for k in keys]
    assert _project(rows, index) == _project(want, index), f"{where}: rows out of the ORDER BY order\n{got}"


def _diff(want: Sequence[Row], got: Sequence[Row]) -> str:
    text = ["\t".join(r) for r in want], ["\t".join(r) for r in got]
    return "\n".join(difflib.unified_diff(*text, "expected", "got", lineterm=""))


def _project(rows: Sequence[Row], index: list[int]) -> list[Row]:
    return [tuple(r[i] for i in index) for r in rows]


# --- engines outside kg ------------------------------------------------------------------------------


def pyoxigraph_answer(store: object, text: str, union: bool) -> str:
    """The answer of pyoxigraph's own query engine (no kg in between), as the file writes it."""
    solutions = store.query(text, use_default_graph_as_union=union)  # type: ignore[attr-defined]
    names = [v.value for v in solutions.variables]
    rows = [tuple(_from_oxigraph(s[n]) for n in names) for s in solutions]
    return answer_text(Rows(names, rows))  # type: ignore[arg-type]


def _from_oxigraph(term: object) -> URIRef | Literal | BNode | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"not an RDF term: {term!r}")


def comunica_ready() -> str | None:
    """Why Comunica cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (COMUNICA / "node_modules" / "@comunica" / "query-sparql-rdfjs").is_dir():
        return "Comunica is not installed: npm ci --prefix tools/comunica"
    return None


def comunica_answers(fmt: str, data: Path, queries: Sequence[Path]) -> dict[str, str]:
    """Comunica's answer to each query file over ``data`` (default graph = union of its graphs), by file name."""
    done = subprocess.run(
        ["node", str(COMUNICA / "query.js"), fmt, str(data), *map(str, queries)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NODE_OPTIONS": ""},
    )
    assert done.returncode == 0, done.stderr
    answers = {}
    for path, result in zip(queries, json.loads(done.stdout), strict=True):
        names = result["head"]["vars"]
        rows = [tuple(_from_json(b.get(n)) for n in names) for b in result["results"]["bindings"]]
        answers[path.name] = answer_text(Rows(names, rows))  # type: ignore[arg-type]
    return answers


def _from_json(term: dict | None) -> URIRef | Literal | BNode | None:
    if term is None:
        return None
    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "bnode":
        return BNode(term["value"])
    if "xml:lang" in term:
        return Literal(term["value"], lang=term["xml:lang"])
    return Literal(term["value"], datatype=URIRef(term["datatype"]) if "datatype" in term else None)


# --- a real Oxigraph server --------------------------------------------------------------------------

SERVER_TIMEOUT = 3  # the Oxigraph server's own limit (--timeout-s), to see it cut a stream short


def _binary() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def serve_oxigraph(location: Path) -> tuple[str, subprocess.Popen]:
    """A real `oxigraph serve` on a free loopback port with its data at ``location``, and the shipped graph pushed
    into it: its base URL and process."""
    binary = _binary()
    if binary is None:
        missing_tool("the oxigraph server binary (PyPI package oxigraph, in the test extra) is not installed")
    port = free_port()
    args = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen([*args, "--timeout-s", str(SERVER_TIMEOUT)], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"oxigraph serve did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
    push(base + "/store")
    return base, proc


# --- a real Virtuoso server ------------------------------------------------------------------------------------

VIRTUOSO = Path("/usr/bin/virtuoso-t")  # Debian's virtuoso-opensource (7.2)
ISQL = Path("/usr/bin/isql-vt")
VIRTUOSO_INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {folder}
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = {seconds}
MaxQueryCostEstimationTime = 36000
"""


@dataclass
class Virtuoso:
    """A running Virtuoso: HTTP at ``base`` (/sparql, /sparql-graph-crud-auth), SQL at ``sql`` (for isql-vt), the
    password of its user dba, and the folder of its database, where its bulk loader may read files."""

    base: str
    sql: str
    password: str
    folder: Path
    proc: subprocess.Popen

    def isql(self, script: str, timeout: float = 900) -> str:
        """Run SQL statements as dba (this throwaway server's password is on isql's command line)."""
        return _isql(self.sql, self.password, script, timeout)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _isql(sql: str, password: str, script: str, timeout: float) -> str:
    done = subprocess.run(
        [str(ISQL), sql, "dba", password], input=script, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise RuntimeError(f"isql-vt failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def serve_virtuoso(folder: Path, *, buffers: int = 10_000, seconds: int = 60) -> Virtuoso:
    """Debian's Virtuoso on free loopback ports with a fresh database in ``folder``, ``buffers`` pages of 8 KiB
    of cache, queries stopped at ``seconds`` (Virtuoso then answers with what it has, marked partial; none is
    refused beforehand for its estimated cost), and user dba's password changed from Virtuoso's default to a
    random one."""
    if not (VIRTUOSO.exists() and ISQL.exists()):
        missing_tool(f"no Virtuoso at {VIRTUOSO} and {ISQL} (Debian's virtuoso-opensource)")
    http_port = free_port()
    sql_port = next(p for p in iter(free_port, None) if p != http_port)
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            folder=folder, sql=sql_port, http=http_port, buffers=buffers, dirty=buffers * 3 // 4, seconds=seconds
        ),
        encoding="utf-8",
    )
    with (folder / "console.log").open("wb") as console:
        proc = subprocess.Popen(
            [str(VIRTUOSO), "+foreground", "+configfile", str(ini)], cwd=folder, stdout=console, stderr=console
        )
    base = f"http://127.0.0.1:{http_port}"
    started = time.monotonic()
    while time.monotonic() - started < 120:  # the first start creates the database
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
    if proc.poll() is not None:
        log = (folder / "virtuoso.log").read_text(errors="replace") if (folder / "virtuoso.log").exists() else ""
        pytest.fail(f"Virtuoso did not start: {log[-2000:]}")
    password = secrets.token_urlsafe(12)
    _isql(f"127.0.0.1:{sql_port}", "dba", f"USER_SET_PASSWORD('dba', '{password}');\n", 60)
    return Virtuoso(base, f"127.0.0.1:{sql_port}", password, folder, proc)


# --- the Linked Data site ------------------------------------------------------------------------------------

SITE_INJECTED = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>'


def hostile_dataset() -> Dataset:
    """The shipped graph plus an entity whose every text is markup, and a statement quoting markup."""
    ds = load_dataset()
    g = ds.graph(ART.a001)
    evil = QD["evil"]
    entities = ds.graph(ENTITIES_GRAPH)
    entities.add((evil, RDF.type, QDO.Enterprise))
    entities.add((evil, SKOS.prefLabel, Literal(SITE_INJECTED)))
    entities.add((evil, SKOS.altLabel, Literal(SITE_INJECTED + " alias")))
    entities.add((evil, DCTERMS.description, Literal(SITE_INJECTED)))
    g.add((evil, QDO.locatedIn, QD.Qingdao))
    st = QD["a001-evil"]
    for p, o in (
        (RDF.type, RDF.Statement),
        (RDF.subject, evil),
        (RDF.predicate, QDO.locatedIn),
        (RDF.object, QD.Qingdao),
        (DCTERMS.source, ART.a001),
        (QDO.evidence, Literal(SITE_INJECTED)),
    ):
        g.add((st, p, o))
    return ds
