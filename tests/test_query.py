"""The query layer: predeclared prefixes, clear errors with positions, refused unsafe features, formats."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading

import pytest
from rdflib import Dataset, URIRef

from kg.errors import QueryError
from kg.query.results import format_result, rows
from kg.query.sparql import run_query
from kg.vocab.namespaces import ART

SELECT_PLATFORMS = "SELECT ?p ?label WHERE { ?p a qdo:Platform ; skos:prefLabel ?label } ORDER BY ?label"


def test_project_prefixes_are_predeclared(ds: Dataset) -> None:
    data = rows(run_query(ds, SELECT_PLATFORMS))
    assert {str(r[1]) for r in data.rows} >= {"COSMOPlat"}
    assert len(data.rows) == 3


def test_named_graphs_tell_the_source(ds: Dataset) -> None:
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { qd:CheryAutoPlatform qdo:builtBy qd:Chery } }"
    assert [str(r[0]) for r in run_query(ds, q)] == ["https://w3id.org/qingdao-kg/id/article/a000"]


def test_default_graph_is_the_union(ds: Dataset) -> None:
    q = "ASK { qd:COSMOPlat qdo:builtBy qd:Haier . qd:CheryAutoPlatform qdo:builtBy qd:Chery }"
    assert run_query(ds, q).askAnswer is True


def test_syntax_error_gives_line_and_column(ds: Dataset) -> None:
    with pytest.raises(QueryError, match=r"line 2, column \d+"):
        run_query(ds, "SELECT ?s WHERE {\n  ?s ?p ?o ..\n}")


def test_unknown_prefix_is_named_with_suggestions(ds: Dataset) -> None:
    with pytest.raises(QueryError, match=r"unknown prefix 'ex:'.*qdo:"):
        run_query(ds, "SELECT * WHERE { ?s ex:p ?o }")


def test_update_is_refused(ds: Dataset) -> None:
    before = len(ds)
    with pytest.raises(QueryError, match="read-only"):
        run_query(ds, "INSERT DATA { qd:x qd:y qd:z }")
    assert len(ds) == before


@pytest.mark.parametrize(
    "template, message",
    [
        ("SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "SERVICE is refused"),
        ("SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", "no such graph"),
        ("SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "no such graph"),
        ("LOAD <{url}>", "read-only"),
    ],
)
def test_network_features_are_refused_and_nothing_is_sent(ds: Dataset, listener, template: str, message: str) -> None:
    url, received = listener
    with pytest.raises(QueryError, match=message):
        run_query(ds, template.format(url=url))
    assert received == []


def test_listener_fixture_does_record_connections(listener) -> None:
    """Guard against a listener that could never see anything (which would make the tests above vacuous)."""
    url, received = listener
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"ping")
    for _ in range(50):
        if received:
            break
        threading.Event().wait(0.05)
    assert received == [b"ping"]


SELECT_MIXED = """
SELECT ?f ?value ?unit ?year ?label WHERE {
  ?f a qdo:Observation ; qdo:value ?value ; qdo:unit ?unit ; qdo:indicator ?i .
  ?i skos:prefLabel ?label .
  OPTIONAL { ?f qdo:year ?year }
} ORDER BY ?f
"""


def _expected(result) -> list[list[str]]:
    return [["" if t is None else str(t) for t in r] for r in rows(result).rows]


def test_csv_round_trip(ds: Dataset) -> None:
    result = run_query(ds, SELECT_MIXED)
    parsed = list(csv.reader(io.StringIO(format_result(result, "csv"))))
    assert parsed[0] == ["f", "value", "unit", "year", "label"]
    assert parsed[1:] == _expected(result)


def test_tsv_round_trip(ds: Dataset) -> None:
    from rdflib.util import from_n3

    result = run_query(ds, SELECT_MIXED)
    lines = format_result(result, "tsv").splitlines()
    assert lines[0] == "?f\t?value\t?unit\t?year\t?label"
    parsed = [[from_n3(c) if c else None for c in line.split("\t")] for line in lines[1:]]
    assert parsed == [list(r) for r in rows(result).rows]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_w3c_result_formats_round_trip_through_rdflib(ds: Dataset, fmt: str) -> None:
    from rdflib.query import Result

    result = run_query(ds, SELECT_MIXED)
    text = format_result(result, fmt)
    parsed = Result.parse(io.StringIO(text) if fmt == "json" else io.BytesIO(text.encode()), format=fmt)
    assert [str(v) for v in parsed.vars] == ["f", "value", "unit", "year", "label"]
    assert [tuple(r) for r in parsed] == rows(result).rows  # same terms: datatypes and languages kept
    if fmt == "json":
        doc = json.loads(text)
        assert doc["results"]["bindings"][0]["label"]["xml:lang"] == "en"


def test_markdown_table(ds: Dataset) -> None:
    result = run_query(ds, "SELECT ?t WHERE { art:a001 dcterms:title ?t }")
    lines = format_result(result, "md").splitlines()
    assert lines[:2] == ["| t |", "|---|"]
    assert lines[2] == '| Industrial Reform,"Cutting-Edge" Layout of Qingdao |'
    piped = run_query(ds, 'SELECT ?x WHERE { BIND ("a|b" AS ?x) }')
    assert format_result(piped, "md").splitlines()[2] == "| a\\|b |"


def test_table_marks_cut_values_and_rows(ds: Dataset) -> None:
    result = run_query(ds, "SELECT ?e WHERE { ?f qdo:evidence ?e } LIMIT 30")
    table = format_result(result, "table", max_rows=5)
    assert "…" in table
    assert "showing the first 5" in table


def test_construct_result_is_a_graph(ds: Dataset) -> None:
    from rdflib import Graph

    from kg.query.results import format_graph
    from kg.query.sparql import construct_graph

    result = run_query(ds, "CONSTRUCT { ?p qdo:builtBy ?b } WHERE { ?p qdo:builtBy ?b }")
    graph = construct_graph(result)
    assert len(graph) == 5
    for fmt, parser in (("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        back = Graph().parse(data=format_graph(graph, fmt), format=parser)
        assert set(back) == set(graph)


def test_dataframe_has_readable_cells(ds: Dataset) -> None:
    import pandas as pd

    from kg.query.results import to_dataframe

    q = """SELECT ?t ?value ?unit ?deadline WHERE {
        ?t a qdo:Target ; qdo:value ?value ; qdo:unit ?unit OPTIONAL { ?t qdo:deadline ?deadline } }"""
    frame = to_dataframe(run_query(ds, q), ds)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 8
    assert set(frame["unit"]) == {"percent", "yuan", "count"}
    assert 62 in set(frame["value"]) and 1.2e9 in set(frame["value"])


def test_query_rows_give_python_values(ds: Dataset) -> None:
    from datetime import date

    from kg.query.results import query_rows

    got = query_rows(
        run_query(
            ds,
            "SELECT ?d ?v WHERE { qd:DigitalIndustryForum2021 qdo:date ?d ."
            " qd:a000-obs-chery-cycle-time qdo:value ?v }",
        ),
        ds,
    )
    assert got == [{"d": date(2021, 4, 28), "v": 1.5}]


def test_bindings_restrict_a_query(ds: Dataset) -> None:
    q = "SELECT ?label WHERE { ?entity skos:prefLabel ?label }"
    result = rows(run_query(ds, q, {"entity": URIRef("https://w3id.org/qingdao-kg/id/Chery")}))
    assert [str(r[0]) for r in result.rows] == ["Chery"]


def test_from_selects_a_local_graph_and_never_loads(ds: Dataset) -> None:
    before = len(ds)
    q = "SELECT DISTINCT ?e WHERE { qd:Qingdao qdo:hasLeadingEnterprise ?e }"
    everywhere = {str(r[0]).rsplit("/", 1)[1] for r in run_query(ds, q)}
    only_a001 = {str(r[0]).rsplit("/", 1)[1] for r in run_query(ds, q.replace("WHERE", "FROM art:a001 WHERE"))}
    assert only_a001 == {"Haier", "Hisense", "GoerTek"} and only_a001 < everywhere
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    graphs = {str(r[0]) for r in run_query(ds, named.replace("WHERE", "FROM NAMED art:a002 FROM NAMED art:a004 WHERE"))}
    assert graphs == {str(ART["a002"]), str(ART["a004"])}
    assert len(ds) == before, "FROM must not add triples to the dataset"
    with pytest.raises(QueryError, match="no such graph"):
        run_query(ds, "SELECT * FROM <http://example.org/elsewhere> WHERE { ?s ?p ?o }")


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.slow
def test_timeout_stops_a_runaway_query(ds: Dataset) -> None:
    from kg.query.sparql import QueryTimeout

    with pytest.raises(QueryTimeout, match="stopped after 1 s"):
        run_query(ds, RUNAWAY, timeout=1)
    assert rows(run_query(ds, SELECT_PLATFORMS, timeout=5)).rows, "the engine still works afterwards"


def test_update_runs_only_on_a_copy(ds: Dataset) -> None:
    from kg.query.update import run_update_on_copy

    before = len(ds)
    copy = run_update_on_copy(ds, "INSERT DATA { GRAPH qdg:notes { qd:Haier rdfs:comment 'checked' } }")
    assert len(copy) == before + 1 and len(ds) == before
    with pytest.raises(QueryError, match="LOAD is refused"):
        run_update_on_copy(ds, "LOAD <http://127.0.0.1:9/x.ttl>")


def test_audit_hook_blocks_sockets_during_a_query(ds: Dataset, listener) -> None:
    """Defence in depth: even a function the engine calls cannot open a connection mid-query."""
    from rdflib.plugins.sparql.operators import register_custom_function

    url, received = listener
    host, port = url.split("//")[1].split("/")[0].split(":")
    fn = URIRef("urn:test:connect")

    def connect(*args):
        socket.create_connection((host, int(port)), timeout=1).close()
        return Literal("connected")

    from rdflib import Literal

    register_custom_function(fn, connect, raw=True, override=True)
    try:
        with pytest.raises(QueryError, match="network access is blocked during a query"):
            run_query(ds, "SELECT ?x WHERE { BIND (<urn:test:connect>() AS ?x) }")
    finally:
        from rdflib.plugins.sparql.operators import unregister_custom_function

        unregister_custom_function(fn)
    assert received == []


@pytest.mark.slow
def test_reasoning_finds_inverse_and_subclass_facts(ds: Dataset, tmp_path, monkeypatch) -> None:
    from kg.dataset.load import load_dataset
    from kg.query.reasoning import add_inferences, inferred_graph
    from kg.vocab.namespaces import INFERRED_GRAPH

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    built = "SELECT ?x WHERE { qd:Haier qdo:built ?x }"
    orgs = "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a qdo:Organization }"
    assert not rows(run_query(ds, built)).rows
    plain_orgs = int(rows(run_query(ds, orgs)).rows[0][0])

    reasoned = add_inferences(load_dataset())
    assert [str(r[0]) for r in rows(run_query(reasoned, built)).rows] == ["https://w3id.org/qingdao-kg/id/COSMOPlat"]
    assert int(rows(run_query(reasoned, orgs)).rows[0][0]) > plain_orgs + 20
    in_inferred = f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ qd:Haier qdo:built qd:COSMOPlat }} }}"
    assert run_query(reasoned, in_inferred).askAnswer

    assert len(list(tmp_path.glob("inferred-*.nt"))) == 1, "the closure is cached"
    again = inferred_graph(load_dataset())
    assert set(again) == set(reasoned.graph(INFERRED_GRAPH))
    asserted = {(s, p, o) for s, p, o, g in ds.quads((None, None, None, None))}
    assert not asserted & set(again), "inferred triples are only what the data does not already assert"


def test_allow_network_really_lets_service_through(ds: Dataset, listener) -> None:
    """The opt-in works: with allow_network the listener is contacted (so the refusals above are real)."""
    url, received = listener
    with pytest.raises(QueryError):
        run_query(ds, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", allow_network=True, timeout=10)
    assert received and received[0].startswith((b"GET", b"POST"))


def test_table_separator_crosses_under_each_column_bar(ds: Dataset) -> None:
    text = format_result(run_query(ds, SELECT_PLATFORMS), "table")
    header, line, *body = text.splitlines()
    bars = [i for i, ch in enumerate(header) if ch == "|"]
    assert bars and [i for i, ch in enumerate(line) if ch == "+"] == bars
    assert all(row[i] == "|" for row in body[:-1] for i in bars)
