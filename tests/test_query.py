"""The query layer: predeclared prefixes, clear errors with positions, refused unsafe features, formats."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from rdflib import Dataset, URIRef

from kg.errors import QueryError
from kg.query import format_rows, rows, run_query

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


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records whatever reaches it (it must receive nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(4096) or b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/sparql", received
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.mark.parametrize(
    "template, message",
    [
        ("SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "SERVICE is refused"),
        ("SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", "FROM / FROM NAMED are refused"),
        ("SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM / FROM NAMED are refused"),
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


def test_csv_and_tsv_and_json_round_trip(ds: Dataset) -> None:
    data = rows(run_query(ds, SELECT_PLATFORMS))
    expected = [[str(t) for t in r] for r in data.rows]

    parsed_csv = list(csv.reader(io.StringIO(format_rows(data, "csv"))))
    assert parsed_csv[0] == ["p", "label"] and parsed_csv[1:] == expected

    tsv_lines = format_rows(data, "tsv").splitlines()
    assert tsv_lines[0] == "?p\t?label"
    assert [line.split("\t")[0] for line in tsv_lines[1:]] == [f"<{r[0]}>" for r in expected]

    doc = json.loads(format_rows(data, "json"))
    assert doc["head"]["vars"] == ["p", "label"]
    got = [[b["p"]["value"], b["label"]["value"]] for b in doc["results"]["bindings"]]
    assert got == expected
    assert doc["results"]["bindings"][0]["p"]["type"] == "uri"
    assert doc["results"]["bindings"][0]["label"]["xml:lang"] == "en"


def test_table_marks_cut_values_and_rows(ds: Dataset) -> None:
    data = rows(run_query(ds, "SELECT ?e WHERE { ?f qdo:evidence ?e } LIMIT 30"))
    table = format_rows(data, "table", max_rows=5)
    assert "…" in table
    assert "showing the first 5" in table


def test_bindings_restrict_a_query(ds: Dataset) -> None:
    q = "SELECT ?label WHERE { ?entity skos:prefLabel ?label }"
    result = rows(run_query(ds, q, {"entity": URIRef("https://w3id.org/qingdao-kg/id/Chery")}))
    assert [str(r[0]) for r in result.rows] == ["Chery"]
