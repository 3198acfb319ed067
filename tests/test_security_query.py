"""Hostile query texts and parameters: one text means one thing to every engine, nothing reaches the network,
and memory and time are bounded (issue 14, sections 1, 2, 4 and 9).

Two independent barriers keep Oxigraph offline: the check of the one normalised text (kg.engines.safety.prepare),
and a worker process with no network (kg.engines.limits.isolate_network). Each is tested with the other switched
off, against a live listener that must receive nothing; a control shows the listener would see a leak.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Literal, URIRef

from kg.dataset.load import load_dataset
from kg.engines import limits
from kg.engines.registry import backend_of
from kg.engines.safety import MAX_NESTING, normalise, prepare
from kg.errors import KGError, MemoryLimitExceeded, QueryError, QueryTimeout
from kg.query.saved import find_saved
from kg.query.sparql import run_query
from kg.vocab.namespaces import ART

SLOW_EXAMPLES = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def ox_ds() -> Dataset:
    return load_dataset(engine="oxigraph")


@pytest.fixture
def no_isolation(ox_ds: Dataset) -> Iterator[None]:
    """The Oxigraph worker without its network namespace, so the query check is the only barrier left."""
    backend_of(ox_ds).retire()  # type: ignore[attr-defined]
    saved = limits.ISOLATE
    limits.ISOLATE = False
    yield
    limits.ISOLATE = saved
    backend_of(ox_ds).retire()  # type: ignore[attr-defined]


def _settle(received: list[bytes]) -> list[bytes]:
    time.sleep(0.05)  # a connection made just now is recorded by the listener's thread
    return received


# --- 1. one text, one meaning ------------------------------------------------------------------------

#: Texts that make rdflib and Oxigraph read the same bytes differently unless the text is normalised first.
_TRICKS = [
    ('BIND("\\u0022" AS ?z) ', ' BIND("\\u0022" AS ?w)'),
    ("BIND('\\u0027' AS ?z) ", " BIND('\\u0027' AS ?w)"),
    ('BIND("\\U00000022" AS ?z) ', ' BIND("\\U00000022" AS ?w)'),
    ('BIND("""\\u0022\\u0022\\u0022""" AS ?z) ', ' BIND("""\\u0022\\u0022\\u0022""" AS ?w)'),
    ("# a comment\r", ""),
    ("# a comment\r\n", ""),
    ("# \\u000A ", "\n"),
    ("# \u2028", "\n"),
    ("# \x85", "\n"),
    ("BIND(<urn:x\\u003E AS ?z) ", " BIND(<urn:y\\u003E AS ?w)"),
    ("BIND(qd:a\\' AS ?z) ", " BIND('x' AS ?w)"),
    ('BIND("\\\\u0022" AS ?z) ', ""),
    ("", ""),
]
_CLAUSES = [
    "SERVICE <{url}> {{ ?a ?b ?c }}",
    "SERVICE SILENT <{url}> {{ ?a ?b ?c }}",
    "service <{url}> {{ ?a ?b ?c }}",
    "SERVICE#x\n<{url}> {{ ?a ?b ?c }}",
    "BIND(<{url}> AS ?svc) SERVICE ?svc {{ ?a ?b ?c }}",
    "SERVICE <{url}\\u003E {{ ?a ?b ?c }}",
    "SERV\\u0049CE <{url}> {{ ?a ?b ?c }}",
]
_POSITIONS = [
    "{s}",
    "OPTIONAL {{ {s} }}",
    "{{ ?x ?y ?z }} UNION {{ {s} }}",
    "MINUS {{ {s} }}",
    "GRAPH ?g {{ {s} }}",
    "FILTER EXISTS {{ {s} }}",
    "FILTER NOT EXISTS {{ {s} }}",
    "{{ SELECT * WHERE {{ {s} }} }}",
    "BIND(EXISTS {{ {s} }} AS ?e)",
]
_NOISE = st.lists(
    st.sampled_from(['"', "'", "#", "\r", "\n", "\\", "\\u0022", "<", ">", "{", "}", "\u2028", "\x85", " "]), max_size=4
).map("".join)


@st.composite
def tricky_queries(draw: st.DrawFn, url: str) -> str:
    before, after = draw(st.sampled_from(_TRICKS))
    clause = draw(st.sampled_from(_CLAUSES)).format(url=url)
    where = draw(st.sampled_from(_POSITIONS)).format(s=clause)
    return f"SELECT * WHERE {{ ?s ?p ?o . {before}{draw(_NOISE)}{where}{draw(_NOISE)}{after} }} LIMIT 1"


def _attempt(ds: Dataset, text: str, **kw: object) -> None:
    with contextlib.suppress(KGError):  # refused or failed: either way, only the listener's silence matters
        run_query(ds, text, timeout=10, **kw)  # type: ignore[arg-type]


@pytest.mark.slow
@SLOW_EXAMPLES
@given(data=st.data())
def test_tricky_texts_reach_nothing_on_either_engine_by_the_check_alone(
    ds: Dataset, ox_ds: Dataset, no_isolation: None, listener, data: st.DataObject
) -> None:
    url, received = listener
    text = data.draw(tricky_queries(url))
    _attempt(ds, text)
    _attempt(ox_ds, text)
    assert _settle(received) == [], repr(text)


@pytest.mark.slow
def test_the_issue_reproductions_are_refused(ds: Dataset, ox_ds: Dataset, no_isolation: None, listener) -> None:
    url, received = listener
    for text in (
        f'SELECT ?s ?a WHERE {{ ?s a qdo:Platform . BIND("\\u0022" AS ?z) SERVICE <{url}> {{ ?a ?b ?c }} '
        'BIND("\\u0022" AS ?w) }',
        f"SELECT ?s WHERE {{ ?s a qdo:Platform . # comment\r SERVICE <{url}> {{ ?a ?b ?c }} }}",
    ):
        for engine in (ds, ox_ds):
            with pytest.raises(QueryError, match="SERVICE is refused"):
                run_query(engine, text, timeout=10)
    assert _settle(received) == []


def test_one_normalised_text_is_what_runs() -> None:
    assert normalise('"\\u0022"\r\n# x\r?s') == '"""\n# x\n?s'
    assert prepare('SELECT ("\\u0041" AS ?a) WHERE {}').text == 'SELECT ("A" AS ?a) WHERE {}'
    with pytest.raises(QueryError, match="further escape"):
        normalise('SELECT ("\\u005Cu0041" AS ?a) WHERE {}')
    with pytest.raises(QueryError, match="not a Unicode character"):
        normalise('SELECT ("\\uD800" AS ?a) WHERE {}')
    with pytest.raises(QueryError, match="lone surrogate"):
        normalise("SELECT ('\ud800' AS ?a) WHERE {}")


#: Parameter values that would add structure to a query if they were written in unchecked.
_HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "x> } SERVICE <{url}> {{ ?a ?b ?c } #",
            'x" ) } SERVICE <{url}> {{ ?a ?b ?c }} BIND("',
            "http://a>) AS ?zz) SERVICE <{url}> {{?a ?b ?c}} BIND(1 AS ?qq) #",
            "\\u003E SERVICE <{url}> {{ ?a ?b ?c }}",
            "x\r} SERVICE <{url}> {{ ?a ?b ?c }} #",
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def hostile_terms(draw: st.DrawFn, url: str) -> URIRef | Literal:
    text = draw(_HOSTILE_TEXT).replace("{url}", url).replace("{{", "{").replace("}}", "}")
    kind = draw(st.sampled_from(["iri", "plain", "typed", "lang"]))
    if kind == "iri":
        return URIRef(text)
    if kind == "typed":
        return Literal("x", datatype=URIRef(text))
    if kind == "lang":
        return Literal(text, lang=draw(st.sampled_from(["en", "zh-Hans", "x-private"])))  # rdflib refuses bad tags
    return Literal(text)


@pytest.mark.slow
@SLOW_EXAMPLES
@given(data=st.data())
def test_hostile_parameters_are_validated_terms_on_both_engines(
    ds: Dataset, ox_ds: Dataset, no_isolation: None, listener, data: st.DataObject
) -> None:
    url, received = listener
    saved = find_saved("entity-evidence")
    assert saved is not None
    term = data.draw(hostile_terms(url))
    for engine in (ds, ox_ds):
        with contextlib.suppress(KGError):
            run_query(engine, saved.text, {"entity_param": term}, timeout=10)
    assert _settle(received) == [], repr(term)


@pytest.mark.slow
def test_cli_parameters_cannot_add_structure(listener) -> None:
    url, received = listener
    hostile = f'"x"^^<http://a>) AS ?zz) SERVICE <{url}> {{?a ?b ?c}} BIND(1 AS ?qq) #>'
    for engine in ("rdflib", "oxigraph"):
        proc = _kg("query", "figures-by-year", "--engine", engine, "--param", f"year={hostile}")
        assert proc.returncode == 2 and "is not a literal" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    assert _settle(received) == []


# --- the second barrier: Oxigraph evaluates without network -------------------------------------


def test_the_oxigraph_worker_has_no_network_even_for_an_unchecked_service(ox_ds: Dataset, listener) -> None:
    """Bypass the check on purpose (the text is prepared with SERVICE allowed): the worker cannot connect."""
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are Linux-only")
    url, received = listener
    backend = backend_of(ox_ds)
    backend.retire()  # type: ignore[attr-defined]
    with pytest.raises(QueryError):
        _unchecked_service(ox_ds, url)
    assert backend.worker.ready.isolation == ""  # type: ignore[attr-defined]
    assert _settle(received) == []


def _unchecked_service(ds: Dataset, url: str) -> None:
    text = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    backend_of(ds).query(prepare(text, allow_network=True), timeout=10, allow_network=True)


def test_control_without_isolation_the_unchecked_service_does_connect(
    ox_ds: Dataset, no_isolation: None, listener
) -> None:
    """The listener sees a real leak, so the silence above means something."""
    url, received = listener
    with contextlib.suppress(QueryError):
        _unchecked_service(ox_ds, url)
    for _ in range(40):
        if received:
            break
        time.sleep(0.05)
    assert received and received[0].startswith((b"GET", b"POST"))


@pytest.mark.slow
def test_verbose_output_says_whether_queries_run_without_network() -> None:
    isolated = _kg("-v", "query", "--engine", "oxigraph", "ASK { ?s ?p ?o }")
    assert isolated.returncode == 0
    assert "no network: evaluated in a process with an empty network namespace" in isolated.stderr
    switched_off = _kg("-v", "query", "--engine", "oxigraph", "ASK { ?s ?p ?o }", env={"KG_NETWORK_ISOLATION": "off"})
    assert "network isolation not available (switched off" in switched_off.stderr


def test_rdflib_api_on_an_oxigraph_dataset_goes_through_the_check(ox_ds: Dataset, listener) -> None:
    url, received = listener
    with pytest.raises(QueryError, match="SERVICE is refused"):
        ox_ds.query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert len(ox_ds.query("SELECT ?p WHERE { ?p a qdo:Platform }")) == 3
    assert _settle(received) == []


# --- 2. memory is bounded ---------------------------------------------------------------------------

#: 873 bytes whose evaluation takes over 4 GB unbounded: each BIND doubles a string.
_STEPS = " ".join(f"BIND(CONCAT(?v{i},?v{i}) AS ?v{i + 1})" for i in range(26))
CONCAT_BOMB = f'SELECT (STRLEN(?v26) AS ?n) WHERE {{ BIND("0123456789abcdef" AS ?v0) {_STEPS} }}'


def _peak_rss_mb(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``kg args`` from a fresh parent and return it with the largest resident size any of its processes
    reached (the kg process or its Oxigraph worker), in MB."""
    probe = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'kg.cli', *sys.argv[1:]], capture_output=True, text=True)\n"
        "sys.stdout.write(f'{p.returncode}\\n{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
        "sys.stdout.write(p.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
    code, peak, stderr = done.stdout.split("\n", 2)
    return subprocess.CompletedProcess(args, int(code), "", stderr), int(peak) / 1024


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_the_concat_bomb_stops_at_the_memory_ceiling(engine: str, tmp_path: Path) -> None:
    query = tmp_path / "bomb.rq"
    query.write_text(CONCAT_BOMB, encoding="utf-8")
    proc, peak = _peak_rss_mb(["query", "-f", str(query), "--engine", engine, "--memory-limit", "512M"])
    assert proc.returncode == MemoryLimitExceeded.exit_code, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: stopped: the work needed more than 512 MiB of memory (memory limit; raise it with --memory-limit)"
    ]
    assert peak < 512 + 400, f"peak {peak:.0f} MB"  # the ceiling, plus the loaded graph and interpreter


def test_memory_ceiling_turns_memory_error_into_its_own_error() -> None:
    with pytest.raises(MemoryLimitExceeded, match="more than 64 MiB"), limits.memory_ceiling(64 * limits.MiB):
        bytearray(256 * limits.MiB)
    assert len(bytearray(256 * limits.MiB)) == 256 * limits.MiB, "the ceiling is lifted afterwards"


def test_nested_ceilings_never_raise_the_outer_one() -> None:
    soft_before = resource.getrlimit(resource.RLIMIT_DATA)[0]
    with limits.memory_ceiling(128 * limits.MiB):
        outer = resource.getrlimit(resource.RLIMIT_DATA)[0]
        grown = bytearray(32 * limits.MiB)  # the inner ceiling starts from a larger data segment
        with limits.memory_ceiling(128 * limits.MiB):
            assert resource.getrlimit(resource.RLIMIT_DATA)[0] <= outer
        del grown
        assert resource.getrlimit(resource.RLIMIT_DATA)[0] == outer
    assert resource.getrlimit(resource.RLIMIT_DATA)[0] == soft_before


# --- 4. every limit covers the whole command -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("links", [150, 300])
def test_the_time_limit_covers_reasoning(links: int, tmp_path: Path) -> None:
    chain = tmp_path / "chain.ttl"
    lines = ["@prefix qdo: <https://w3id.org/qingdao-kg/ontology#> ."]
    lines += [f"<urn:place:{i}> qdo:locatedIn <urn:place:{i + 1}> ." for i in range(links)]
    chain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    proc = _kg(
        "query", "--reason", "--timeout", "2", "ASK { ?s ?p ?o }", "--data", str(chain), env=_fresh_cache(tmp_path)
    )
    took = time.monotonic() - started
    assert proc.returncode == QueryTimeout.exit_code, proc.stderr
    assert proc.stderr.strip() == "error: stopped after 2 s (time limit; raise it with --timeout)"
    assert took < 2 + 6, f"{took:.1f} s"  # start-up and loading come on top of the limit


def test_nested_deadlines_keep_the_tighter_and_rearm_the_outer() -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"after 0\.5 s"), limits.deadline(0.5):
        with limits.deadline(5):
            pass
        while True:
            time.sleep(0.01)
    assert time.monotonic() - started < 2


@pytest.mark.slow  # generated examples on both engines
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "1e400"])
def test_time_limits_must_be_finite_and_positive(value: str) -> None:
    proc = _kg("query", "--timeout", value, "ASK { ?s ?p ?o }")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: a time limit must be a positive number of seconds")


# --- 9. nesting and malformed queries get clear errors -------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        "SELECT * WHERE {{ FILTER({open}1{close}) }}",
        "SELECT * WHERE {braces}",
        "SELECT * WHERE {{ ?s ?p {brackets} }}",
        "SELECT * WHERE {{ ?s {path} ?o }}",
    ],
)
@pytest.mark.slow  # generated examples on both engines
@pytest.mark.parametrize("depth", [MAX_NESTING - 4, MAX_NESTING + 1, 5000])
def test_deep_nesting_is_answered_or_refused_clearly_on_both_engines(
    ds: Dataset, ox_ds: Dataset, shape: str, depth: int
) -> None:
    text = shape.format(
        open="(" * depth,
        close=")" * depth,
        braces="{ " * depth + "?s ?p ?o " + "} " * depth,
        brackets="[ <urn:p> " * depth + "?b " + "] " * depth,
        path="(" * depth + "<urn:p>" + ")" * depth,
    )
    for engine in (ds, ox_ds):
        if depth <= MAX_NESTING - 4:
            run_query(engine, text, timeout=20)
        else:
            with pytest.raises(QueryError, match=f"levels deep; at most {MAX_NESTING} levels are accepted"):
                run_query(engine, text, timeout=20)


def test_construct_where_with_solution_modifiers_on_both_engines(ds: Dataset, ox_ds: Dataset) -> None:
    text = "CONSTRUCT WHERE { ?s a qdo:Platform } ORDER BY ?s LIMIT 2 OFFSET 1"
    assert set(run_query(ds, text).graph) == set(run_query(ox_ds, text, timeout=10).graph)
    assert len(run_query(ds, text).graph) == 2


# --- helpers --------------------------------------------------------------------------------------


def _fresh_cache(tmp_path: Path) -> dict[str, str]:
    return {"KG_CACHE_DIR": str(tmp_path / "cache")}


def _kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_from_alone_leaves_no_named_graphs_and_from_named_alone_no_default(ds: Dataset, ox_ds: Dataset) -> None:
    """SPARQL 1.1 §13.2, on both engines: a dataset clause replaces the whole dataset, never adds to it."""
    for engine in (ds, ox_ds):
        assert len(run_query(engine, "SELECT ?g FROM art:a001 WHERE { GRAPH ?g { ?s ?p ?o } }", timeout=10)) == 0
        assert len(run_query(engine, "SELECT * FROM NAMED art:a002 WHERE { ?s ?p ?o }", timeout=10)) == 0
        both = "SELECT DISTINCT ?g FROM art:a001 FROM NAMED art:a002 WHERE { GRAPH ?g { ?s ?p ?o } }"
        assert [str(r[0]) for r in run_query(engine, both, timeout=10)] == [str(ART["a002"])]
