"""`kg serve` against real clients: SPARQLWrapper, rdflib's SPARQLStore, urllib and curl, over loopback.

The server runs in this process (a ThreadingHTTPServer on a free port) with a real pool of forked workers.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from xml.dom.minidom import Document

import pytest
from helpers import ROOT, missing_tool
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.dataset.paths import queries_dir
from kg.serve.http import SD, SparqlServer
from kg.serve.negotiation import choose
from kg.serve.pool import QueryPool

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),  # inside SPARQLWrapper
]

TIMEOUT = 3.0  # the time limit of the endpoints that must stop a runaway query
GENEROUS = 60.0  # the limit elsewhere: a graph view takes seconds on a busy machine, and must not be cut short
MAX_ROWS = 1000
MAX_BODY = 20_000
PLAN_TARGETS = (queries_dir() / "plan-targets.rq").read_text(encoding="utf-8")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FIVE_YEAR_PLAN = "Five-Year Plan for Building a Pioneer City with Modern Industries (2022-2026)"
A001 = "https://w3id.org/qingdao-kg/id/article/a001"
CURATED = "https://w3id.org/qingdao-kg/id/graph/curated"


def _serve(pool: QueryPool) -> Iterator[str]:
    server = SparqlServer(("127.0.0.1", 0), pool, max_body=MAX_BODY)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()
    pool.close()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    yield from _serve(QueryPool(size=2, timeout=GENEROUS, max_rows=MAX_ROWS))


@pytest.fixture(scope="module")
def limited_endpoint() -> Iterator[str]:
    yield from _serve(QueryPool(size=2, timeout=TIMEOUT, max_rows=MAX_ROWS))


def _request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def _get(endpoint: str, accept: str | None = None, **params: str):
    query = urllib.parse.urlencode(params)
    return _request(f"{endpoint}?{query}" if query else endpoint, headers={"Accept": accept} if accept else {})


def _post_form(endpoint: str, accept: str | None = None, **params: str):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if accept:
        headers["Accept"] = accept
    return _request(endpoint, urllib.parse.urlencode(params).encode(), headers)


def _wrapper(endpoint: str, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


# --- real clients -------------------------------------------------------------------------------------------


def test_sparqlwrapper_select_json(endpoint: str) -> None:
    data = _wrapper(endpoint, PLAN_TARGETS, JSON).queryAndConvert()
    assert data["head"]["vars"][:2] == ["plan", "planLabel"]
    plans = [b["planLabel"]["value"] for b in data["results"]["bindings"]]
    assert len(plans) >= 7
    assert plans.count(FIVE_YEAR_PLAN) == 4


def test_sparqlwrapper_select_xml(endpoint: str) -> None:
    doc = _wrapper(endpoint, PLAN_TARGETS, XML).queryAndConvert()
    assert isinstance(doc, Document)
    values = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert values.count(FIVE_YEAR_PLAN) == 4


def test_sparqlwrapper_select_csv(endpoint: str) -> None:
    raw = _wrapper(endpoint, PLAN_TARGETS, CSV).queryAndConvert()
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert [r["planLabel"] for r in table].count(FIVE_YEAR_PLAN) == 4


def test_sparqlwrapper_ask(endpoint: str) -> None:
    yes = _wrapper(endpoint, "ASK { ?t a qdo:Target }", JSON)
    no = _wrapper(endpoint, "ASK { ?t a qdo:NoSuchClass }", JSON)
    assert yes.queryAndConvert()["boolean"] is True
    assert no.queryAndConvert()["boolean"] is False
    doc = _wrapper(endpoint, "ASK { ?t a qdo:Target }", XML).queryAndConvert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_sparqlwrapper_construct(endpoint: str, ds: Dataset) -> None:
    query = "CONSTRUCT { ?t qdo:setBy ?p } WHERE { ?t a qdo:Target ; qdo:setBy ?p }"
    expected = set(ds.query(query, initNs={"qdo": "https://w3id.org/qingdao-kg/ontology#"}).graph)
    rdfxml = _wrapper(endpoint, query, XML).queryAndConvert()
    assert isinstance(rdfxml, Graph)
    assert set(rdfxml) == expected
    turtle = Graph().parse(data=_wrapper(endpoint, query, TURTLE).queryAndConvert(), format="turtle")
    assert set(turtle) == expected
    jsonld = _wrapper(endpoint, query, JSONLD).queryAndConvert()
    assert set(jsonld) == expected


def test_sparqlwrapper_sees_a_bad_query_as_bad(endpoint: str) -> None:
    with pytest.raises(QueryBadFormed):
        _wrapper(endpoint, "SELECT ?x WHERE { ?x", JSON).query()


def test_rdflib_sparqlstore(endpoint: str) -> None:
    store = SPARQLStore(endpoint)
    graph = Graph(store=store)
    rows = list(graph.query("SELECT ?plan WHERE { ?t a qdo:Target ; qdo:setBy ?p . ?p skos:prefLabel ?plan }"))
    assert [str(r.plan) for r in rows].count(FIVE_YEAR_PLAN) == 4
    assert graph.query("ASK { ?t a qdo:Target }").askAnswer is True
    targets = list(graph.triples((None, RDF.type, URIRef("https://w3id.org/qingdao-kg/ontology#Target"))))
    assert len(targets) == len(rows)
    store.close()


# --- protocol -----------------------------------------------------------------------------------------------


def test_get_post_form_and_post_query_agree(endpoint: str) -> None:
    query = "SELECT ?plan WHERE { ?t a qdo:Target ; qdo:setBy ?p . ?p skos:prefLabel ?plan } ORDER BY ?plan"
    got = _get(endpoint, "text/csv", query=query)
    form = _post_form(endpoint, "text/csv", query=query)
    direct = _request(endpoint, query.encode(), {"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert got[0] == form[0] == direct[0] == 200
    assert got[2] == form[2] == direct[2]
    assert FIVE_YEAR_PLAN.encode() in got[2]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.9, text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("text/*", "text/xml"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_content_negotiation(endpoint: str, accept: str | None, expected: str) -> None:
    status, headers, body = _get(endpoint, accept, query="SELECT ?t WHERE { ?t a qdo:Target } LIMIT 2")
    assert status == 200
    assert headers["Content-Type"] == expected
    if "json" in expected:
        assert len(json.loads(body)["results"]["bindings"]) == 2
    if "tab-separated" in expected:
        assert body.decode().splitlines()[0] == "?t"
        assert body.decode().splitlines()[1].startswith("<https://w3id.org/qingdao-kg/id/")


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
     ("application/rdf+xml", "xml")],
)  # fmt: skip
def test_construct_content_negotiation(endpoint: str, accept: str, fmt: str) -> None:
    query = "CONSTRUCT { ?t a qdo:Target } WHERE { ?t a qdo:Target }"
    status, headers, body = _get(endpoint, accept, query=query)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == accept
    assert len(Graph().parse(data=body, format=fmt)) >= 7


def test_nothing_acceptable_is_406(endpoint: str) -> None:
    assert _get(endpoint, "text/html", query="SELECT * WHERE { ?s ?p ?o } LIMIT 1")[0] == 406
    assert _get(endpoint, "text/csv", query="CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1")[0] == 406
    assert _get(endpoint, "text/turtle;q=0, text/csv", query="DESCRIBE qdo:Target")[0] == 406


def test_service_description(endpoint: str) -> None:
    status, _, body = _get(endpoint, "text/turtle")
    assert status == 200
    sd = Graph().parse(data=body, format="turtle")
    service = sd.value(predicate=RDF.type, object=SD.Service)
    assert sd.value(service, SD.endpoint) == URIRef(endpoint)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert {URIRef(A001), URIRef(CURATED)} <= set(sd.objects(None, SD.name))


def test_default_graph_uri_selects_a_local_graph(endpoint: str, ds: Dataset) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    whole = json.loads(_get(endpoint, query=count)[2])
    one = json.loads(_get(endpoint, query=count, **{"default-graph-uri": A001})[2])
    assert int(one["results"]["bindings"][0]["n"]["value"]) == len(ds.graph(URIRef(A001)))
    assert int(whole["results"]["bindings"][0]["n"]["value"]) > len(ds.graph(URIRef(A001)))


def test_named_graph_uri_selects_local_graphs(endpoint: str) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, body = _post_form(endpoint, "text/csv", query=query, **{"named-graph-uri": CURATED})
    assert body.decode().split() == ["g", CURATED]


def test_unknown_graph_is_a_400_and_never_fetched(endpoint: str, listener: tuple[str, list[bytes]]) -> None:
    url, received = listener
    status, _, body = _get(endpoint, query="ASK { ?s ?p ?o }", **{"default-graph-uri": url})
    assert status == 400
    assert b"no such graph" in body
    status, _, _ = _get(endpoint, query=f"ASK FROM NAMED <{url}> {{ ?s ?p ?o }}")
    assert status == 400
    assert received == []


def test_cors_for_reads(endpoint: str) -> None:
    status, headers, _ = _get(endpoint, query="ASK { ?s ?p ?o }")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = _request(
        endpoint,
        method="OPTIONS",
        headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert status == 204
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


# --- safety and limits --------------------------------------------------------------------------------------


def test_service_never_reaches_the_listener(endpoint: str, listener: tuple[str, list[bytes]]) -> None:
    url, received = listener
    query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    status, _, body = _post_form(endpoint, query=query)
    assert status == 400
    assert body.startswith(b"SERVICE is refused")
    with pytest.raises(QueryBadFormed):
        _wrapper(endpoint, query, JSON).query()
    assert received == []


_FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (urllib.parse.urlencode({"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}).encode(), _FORM),
        (b"CLEAR ALL", "application/sparql-update"),
        (urllib.parse.urlencode({"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}).encode(), _FORM),
        (urllib.parse.urlencode({"query": "DROP GRAPH <urn:x>"}).encode(), _FORM),
    ],
)
def test_updates_are_refused(endpoint: str, data: bytes, content_type: str) -> None:
    status, _, body = _request(endpoint, data, {"Content-Type": content_type})
    assert status == 403
    assert b"refused" in body
    assert _get(endpoint, query="ASK { <urn:a> <urn:b> <urn:c> }", accept="text/csv")[2].split()[-1] == b"false"


@pytest.mark.slow
def test_runaway_query_is_stopped_while_others_answer(limited_endpoint: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        runaway = pool.submit(_post_form, limited_endpoint, query=RUNAWAY)
        quick = _get(limited_endpoint, "text/csv", query="SELECT ?t WHERE { ?t a qdo:Target } LIMIT 1")
        assert quick[0] == 200
        assert not runaway.done()  # the quick answer came while the runaway still ran
        status, _, body = runaway.result()
    assert status == 503
    assert b"time limit" in body
    # the killed worker is replaced: the endpoint keeps answering, twice at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: _get(limited_endpoint, query="ASK { ?s ?p ?o }")[0], range(4)))
    assert answers == [200] * 4


def test_result_size_cap(endpoint: str) -> None:
    status, _, body = _get(endpoint, query="SELECT * WHERE { ?s ?p ?o }")
    assert status == 400
    assert body.startswith(b"result too large")
    assert f"cap is {MAX_ROWS}".encode() in body


def test_request_body_cap(endpoint: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * MAX_BODY
    status, _, body = _request(endpoint, query.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 413
    assert b"too large" in body


@pytest.mark.parametrize(
    ("path", "data", "headers", "status", "message"),
    [
        ("/sparql?query=SELECT+%3Fx+WHERE+%7B", None, {}, 400, b"malformed query"),
        ("/sparql?query=SELECT+*+WHERE+%7B+%3Fs+nope%3Ap+%3Fo+%7D", None, {}, 400, b"unknown prefix"),
        ("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400, b"exactly one"),
        ("/sparql", b"<x/>", {"Content-Type": "text/xml"}, 415, b"unsupported Content-Type"),
        ("/sparql", b"query=ASK%7B%7D", {"Content-Type": "application/x-www-form-urlencoded"}, 200, b"true"),
        ("/sparql", b"foo=bar", {"Content-Type": "application/x-www-form-urlencoded"}, 400, b"no query"),
        ("/nowhere", None, {}, 404, b"not found"),
        ("/sparql", b"\xff\xfe", {"Content-Type": "application/sparql-query"}, 400, b"not valid UTF-8"),
    ],
)
def test_errors_are_short(
    endpoint: str, path: str, data: bytes | None, headers: dict[str, str], status: int, message: bytes
) -> None:
    base = endpoint.removesuffix("/sparql")
    got, _, body = _request(base + path, data, headers)
    assert got == status
    assert message in body
    assert b"Traceback" not in body
    assert len(body.splitlines()) <= 2


# --- content negotiation rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "a/json"),
        ("*/*", "a/json"),
        ("b/csv", "b/csv"),
        ("b/*;q=0.4, a/xml;q=0.3", "b/csv"),
        ("b/*, b/csv;q=0", "b/tsv"),
        ("a/json;q=0.2, a/xml;q=0.8", "a/xml"),
        ("a/json;q=oops, a/xml;q=0.1", "a/xml"),
        ("c/html", None),
        ("a/json;q=0", None),
        ("a/json;q=0, */*;q=0.1", "a/xml"),
    ],
)
def test_choose(accept: str | None, chosen: str | None) -> None:
    assert choose(accept, ["a/json", "a/xml", "b/csv", "b/tsv"]) == chosen


# --- the command line, with curl as the README shows ------------------------------------------------------


def _curl() -> str:
    path = shutil.which("curl")
    if path is None:
        missing_tool("curl is not installed")
    return path


@pytest.fixture(scope="module")
def cli_endpoint() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--timeout", "10", "--workers", "1", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        assert line.startswith("serving http://127.0.0.1:"), line
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.external
def test_cli_serve_with_curl(cli_endpoint: str) -> None:
    curl = _curl()

    def run(*args: str) -> str:
        done = subprocess.run([curl, "-sS", "--fail-with-body", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    table = run("-H", "Accept: text/csv", "--data-urlencode", f"query={PLAN_TARGETS}", cli_endpoint)
    assert [r["planLabel"] for r in csv.DictReader(io.StringIO(table))].count(FIVE_YEAR_PLAN) == 4
    got = run("-G", "--data-urlencode", "query=ASK { ?t a qdo:Target }", cli_endpoint)
    assert json.loads(got)["boolean"] is True
    turtle = run(
        "-H", "Content-Type: application/sparql-query", "-H", "Accept: text/turtle",
        "--data-binary", "CONSTRUCT { ?t a qdo:Target } WHERE { ?t a qdo:Target }", cli_endpoint,
    )  # fmt: skip
    assert len(Graph().parse(data=turtle, format="turtle")) >= 7
    description = Graph().parse(data=run(cli_endpoint), format="turtle")
    assert (None, SD.endpoint, URIRef(cli_endpoint)) in description
    refused = subprocess.run(
        [curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-urlencode", "update=CLEAR ALL", cli_endpoint],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.stdout == "403"


@pytest.mark.slow
@pytest.mark.external
def test_readme_curl_examples(cli_endpoint: str) -> None:
    """The curl lines of the README's serving section run as written (pointed at the test's port)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Serving the graph over SPARQL", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in section.splitlines() if line.startswith("curl ")]
    assert len(commands) == 3
    curl = _curl()
    for command in commands:
        line = command.replace("http://127.0.0.1:7878/sparql", cli_endpoint).replace(
            "curl ", f"{curl} -sS --fail-with-body ", 1
        )
        done = subprocess.run(["bash", "-c", line], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.strip(), command + "\n" + done.stderr


@pytest.mark.slow
def test_cli_rejects_a_taken_port(cli_endpoint: str) -> None:
    port = urllib.parse.urlsplit(cli_endpoint).port
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_literal_escapes_survive_the_round_trip(endpoint: str) -> None:
    tricky = 'a "quoted" <tag> & ünïcode\nline'
    query = f"SELECT ?v WHERE {{ BIND({Literal(tricky).n3()} AS ?v) }}"
    data = _wrapper(endpoint, query, JSON).queryAndConvert()
    assert data["results"]["bindings"][0]["v"]["value"] == tricky


# --- the workbench page in a real headless Chromium -----------------------------------------------------------

INJECTED = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def workbench(browser, endpoint: str) -> Iterator[tuple[object, list[str], list[str]]]:
    """The page at `/`, with page errors and every request that left our server collected."""
    base = endpoint.removesuffix("sparql")
    errors: list[str] = []
    external: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    def route(r) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(base)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    yield page, errors, external
    page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_workbench_runs_an_example_and_draws_it(workbench) -> None:
    page, errors, external = workbench
    assert page.locator("#examples option").count() == len(list(queries_dir().glob("*.rq"))) + 1
    page.select_option("#examples", "plan-targets")
    assert page.input_value("#query") == PLAN_TARGETS
    assert "targets" in page.inner_text("#question")
    page.click("#run")
    page.wait_for_selector("#results tbody tr", timeout=30_000)
    assert page.locator("#results th").nth(1).inner_text() == "planLabel@en"  # the column's language, said once
    cells = page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()
    assert cells.count(FIVE_YEAR_PLAN) == 4
    page.fill("#query", "SELECT ?t ?plan ?i WHERE { ?t a qdo:Target ; qdo:setBy ?plan ; qdo:indicator ?i }")
    page.click("#run")
    page.click("#tab-graph")
    frame = page.frame_locator("#graphview")
    frame.locator("body[data-ready=true]").wait_for(timeout=30_000)
    nodes = page.frames[1].evaluate("window.kgNetwork.body.data.nodes.length")
    assert nodes >= 2 * len(cells)  # each target and its indicator at least
    assert errors == []
    assert external == []


@pytest.mark.slow
@pytest.mark.browser
def test_workbench_types_a_query_and_escapes_data(workbench) -> None:
    page, errors, external = workbench
    page.fill("#query", f"SELECT ?v WHERE {{ BIND({Literal(INJECTED).n3()} AS ?v) }}")
    page.click("#run")
    page.wait_for_selector("#results tbody tr", timeout=30_000)
    assert page.inner_text("#results tbody td") == INJECTED  # shown as text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#results img").count() == 0
    page.fill("#query", "SELECT ?x WHERE { ?x")
    page.click("#run")
    page.wait_for_selector("#error:not(:empty)", timeout=30_000)
    assert page.inner_text("#error").startswith("400: malformed query")
    assert errors == [] or all("400" in e for e in errors)  # the browser logs the failed fetch itself
    assert external == []


def test_workbench_assets_are_ours(endpoint: str) -> None:
    base = endpoint.removesuffix("/sparql")
    status, headers, page = _request(base + "/")
    assert status == 200
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for asset in (b"/workbench.js", b"/workbench.css"):
        assert asset in page
        assert _request(base + asset.decode())[0] == 200
    assert b"://" not in page
    assert b"://" not in _request(base + "/workbench.js")[2]
    examples = json.loads(_request(base + "/examples.json")[2])
    assert {e["name"] for e in examples} >= {"plan-targets", "figure-conflicts"}
    status, headers, graph = _get(endpoint.removesuffix("sparql") + "graph", query=PLAN_TARGETS)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"kgNetwork" in graph


@pytest.fixture(scope="module")
def oxigraph_endpoint() -> Iterator[str]:
    from kg.dataset.spec import DatasetSpec

    yield from _serve(QueryPool(DatasetSpec(engine="oxigraph"), size=2, timeout=TIMEOUT, max_rows=MAX_ROWS))


@pytest.mark.slow
def test_serve_on_the_oxigraph_engine(oxigraph_endpoint: str, endpoint: str) -> None:
    """`kg serve --engine oxigraph`: the same answers, and a native runaway query still stopped at the limit."""
    status, _, body = _post_form(oxigraph_endpoint, query=PLAN_TARGETS)
    assert status == 200 and FIVE_YEAR_PLAN.encode() in body
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert _get(oxigraph_endpoint, "text/csv", query=count)[2] == _get(endpoint, "text/csv", query=count)[2]
    status, _, body = _post_form(oxigraph_endpoint, query=RUNAWAY)
    assert status == 503 and b"time limit" in body
    assert _get(oxigraph_endpoint, query="ASK { ?s ?p ?o }")[0] == 200


def _json_rows(body: bytes) -> list[tuple]:
    """A SPARQL JSON answer as sorted rows of (variable, type, value, datatype, language); blank nodes by kind only,
    since each engine labels its own."""
    answer = json.loads(body)
    return sorted(
        tuple(
            sorted(
                (
                    var,
                    term["type"],
                    "" if term["type"] == "bnode" else term["value"],
                    term.get("datatype", ""),
                    term.get("xml:lang", ""),
                )
                for var, term in row.items()
            )
        )
        for row in answer["results"]["bindings"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in queries_dir().glob("*.rq")))
def test_oxigraph_json_is_what_rdflib_serves(oxigraph_endpoint: str, endpoint: str, name: str) -> None:
    """Each engine writes the SPARQL JSON itself (Oxigraph natively, rdflib with its own serializer) and the server
    passes it on: a client reads the same answer to every saved question from both."""
    text = (queries_dir() / f"{name}.rq").read_text(encoding="utf-8")
    status, headers, body = _post_form(oxigraph_endpoint, "application/sparql-results+json", query=text)
    expected_status, _, expected = _post_form(endpoint, "application/sparql-results+json", query=text)
    assert status == expected_status == 200, body[:200]
    assert headers["Content-Type"] == "application/sparql-results+json"
    assert _json_rows(body) == _json_rows(expected)
    assert json.loads(body)["head"]["vars"] == json.loads(expected)["head"]["vars"]


@pytest.mark.slow
def test_oxigraph_json_keeps_the_caps_and_the_media_type(oxigraph_endpoint: str) -> None:
    status, _, body = _get(oxigraph_endpoint, "application/sparql-results+json", query="SELECT * WHERE { ?s ?p ?o }")
    assert status == 400 and body.startswith(b"result too large") and f"cap is {MAX_ROWS}".encode() in body
    status, headers, body = _get(oxigraph_endpoint, "application/json", query="ASK { ?s ?p ?o }")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["boolean"] is True
    status, _, body = _get(oxigraph_endpoint, "application/sparql-results+json", query="SELECT * WHERE { ?s ?p }")
    assert status == 400 and body.startswith(b"malformed query")
    status, _, body = _get(
        oxigraph_endpoint,
        "application/sparql-results+json",
        query="SELECT * WHERE { ?s ?p ?o } LIMIT 1",
        **{"default-graph-uri": "http://example.org/no-such-graph"},
    )
    assert status == 400 and b"no such graph" in body
