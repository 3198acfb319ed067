"""kg.engines.safety.prepare keeps the checked parse of a text and reuses it: the reuse must never change an answer,
never let a refused query through, and never hold more than its bound, whatever texts a client sends."""

from __future__ import annotations

import pytest
from rdflib import Dataset

from kg.dataset.load import load_dataset
from kg.engines import safety
from kg.engines.registry import backend_of
from kg.engines.safety import prepare
from kg.errors import QueryError

A001 = "https://w3id.org/qingdao-kg/id/article/a001"
FROM_A001 = f"SELECT (COUNT(*) AS ?n) FROM <{A001}> WHERE {{ ?s ?p ?o }}"
EVERYTHING = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def oxigraph_ds() -> Dataset:
    return load_dataset(engine="oxigraph")


def _count(ds: Dataset, text: str) -> int:
    return int(next(iter(backend_of(ds).query(prepare(text))))[0])


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_from_holds_on_every_run_of_the_same_text(engine: str, request: pytest.FixtureRequest) -> None:
    """rdflib's run drops FROM from the algebra it evaluates (it serves FROM itself): on a copy, not on the shared
    parse, or the second run of the text would read the whole dataset."""
    ds = request.getfixturevalue("ds" if engine == "rdflib" else "oxigraph_ds")
    first, second = _count(ds, FROM_A001), _count(ds, FROM_A001)
    assert first == second
    assert 0 < first < _count(ds, EVERYTHING)


def test_construct_where_is_the_same_on_every_run(ds: Dataset) -> None:
    text = "CONSTRUCT WHERE { ?s a ?type } ORDER BY ?s ?type LIMIT 5"
    runs = [backend_of(ds).query(prepare(text)).graph for _ in range(3)]
    assert all(g is not None and len(g) == 5 for g in runs)
    assert set(runs[0]) == set(runs[1]) == set(runs[2])


def test_runs_get_their_own_bindings() -> None:
    first = prepare("SELECT ?x WHERE { ?x ?p ?o }")
    first.bindings["x"] = "changed by a caller"  # type: ignore[index]
    assert prepare("SELECT ?x WHERE { ?x ?p ?o }").bindings == {}


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o ",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ],
)
def test_a_refused_text_is_refused_every_time(text: str) -> None:
    for _ in range(3):
        with pytest.raises(QueryError):
            prepare(text)


def test_allow_network_is_part_of_what_is_reused() -> None:
    text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert prepare(text, allow_network=True).form == "SELECT"
    with pytest.raises(QueryError, match="SERVICE is refused"):
        prepare(text)


def test_many_distinct_texts_stay_within_the_bound() -> None:
    """A client sending ever new texts (or huge ones) cannot grow what the process keeps."""
    for i in range(safety._PARSES + 40):
        prepare(f"SELECT * WHERE {{ ?s ?p {i} }}")
    assert safety._prepare_plain.cache_info().currsize <= safety._PARSES
    assert safety._parse_cached.cache_info().currsize <= safety._PARSES
    before = safety._prepare_plain.cache_info()
    huge = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * safety._CACHEABLE
    assert prepare(huge).form == "SELECT"
    after = safety._prepare_plain.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)  # parsed afresh, not looked up, not kept
