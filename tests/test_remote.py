"""Hand-off to a SPARQL server: `kg push` into a real Oxigraph server's Graph Store and `kg query --endpoint`
against its SPARQL endpoint give the local answers (the remote backend answers every saved question alike:
tests/test_backends.py); broken, silent and cut-short servers give clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port, serve_oxigraph
from rdflib import Dataset

from kg.engines.remote import Endpoint, RemoteError, RemoteTimeout
from kg.errors import QueryError
from kg.publish import push as push_module
from kg.query.results import rows

pytestmark = [pytest.mark.oxigraph_server, pytest.mark.slow]  # a real server, `kg` subprocesses, timeouts


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120)


def _count(base: str, pattern: str) -> int:
    result = Endpoint(base + "/query").query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(rows(result).rows[0][0])  # type: ignore[arg-type]


def test_push_writes_each_graph_and_replaces_on_rerun(oxigraph: str, ds: Dataset) -> None:
    local = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    named = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    for method, said in (("auto", "in one N-Quads stream"), ("graphs", "triples in named graphs")):
        remote = {str(g): int(n) for g, n in rows(Endpoint(oxigraph + "/query").query(named)).rows}  # type: ignore[misc]
        assert remote == local
        assert _count(oxigraph, "?s ?p ?o") == len(ds)  # the default graph is the merge: shared triples once
        done = _kg("push", "--endpoint", oxigraph + "/store", "--method", method)
        assert done.returncode == 0 and f"pushed {len(local)} graph(s) and their merge" in done.stdout
        assert said in done.stdout, done.stdout  # auto: Oxigraph takes the whole dataset in one stream
        assert _count(oxigraph, "GRAPH ?g { ?s ?p ?o }") == sum(local.values())
        assert _count(oxigraph, "?s ?p ?o") == len(ds)


@pytest.mark.parametrize("method", ["dataset", "graphs"])
def test_both_ways_replace_a_changed_file_and_its_part_of_the_merge(tmp_path: Path, method: str) -> None:
    base, proc = serve_oxigraph(tmp_path / "store")
    try:
        extra = tmp_path / "extra.ttl"
        for old, new, merge in (
            ("old", "new", []),
            ("new", "newer", []),
            ("newer", "newest", ["--merge-graph", "urn:x:m"]),
        ):
            extra.write_text(f"<urn:x:s> <urn:x:p> <urn:x:{new}> .\n", encoding="utf-8")
            done = _kg("push", "--endpoint", base + "/store", "--method", method, "--data", str(extra), *merge)
            assert done.returncode == 0, done.stderr
            where = "GRAPH <urn:x:m> " if merge else ""
            assert _count(base, f"GRAPH <{extra.resolve().as_uri()}> {{ ?s ?p ?o }}") == 1
            assert _count(base, f"{where}{{ <urn:x:s> <urn:x:p> <urn:x:{new}> }}") == 1
            assert _count(base, f"{where}{{ <urn:x:s> <urn:x:p> <urn:x:{old}> }}") == 0
        done = _kg(
            "push", "--endpoint", base + "/store", "--method", method, "--no-default-graph", "--data", str(extra)
        )
        assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith(
            "pushed 9 graph(s) in one N-Quads stream, " if method == "dataset" else "pushed 9 graph(s), "
        ), done.stdout
        assert _count(base, "{ <urn:x:s> <urn:x:p> <urn:x:newer> }") == 1, "--no-default-graph leaves it alone"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_large_graph_goes_in_requests_with_its_blank_nodes_together(
    tmp_path: Path, ds: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push_module, "CHUNK", 300)  # the merge and most articles then take several requests
    extra = tmp_path / "blank.ttl"
    extra.write_text('<urn:x:s> <urn:x:p> [ <urn:x:q> [ <urn:x:r> "v" ] ] .\n', encoding="utf-8")
    base, proc = serve_oxigraph(tmp_path / "store")
    try:
        way, pushed = push_module.push(base + "/store", [extra], method="graphs")
        assert way == "graphs" and pushed[0].target == "default" and pushed[0].statements == len(ds) + 3
        assert _count(base, "?s ?p ?o") == len(ds) + 3
        linked = '<urn:x:s> <urn:x:p> ?a . ?a <urn:x:q> ?b . ?b <urn:x:r> "v"'  # one node each, whatever the request
        assert _count(base, linked) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_query_with_a_parameter_resolved_on_the_server(oxigraph: str) -> None:
    args = ("query", "entity-evidence", "--param", "entity=Hisense", "--format", "csv")
    remote = _kg(*args, "--endpoint", oxigraph + "/query")
    assert remote.returncode == 0, remote.stderr
    assert sorted(remote.stdout.splitlines()) == sorted(_kg(*args).stdout.splitlines())
    unknown = _kg("query", "entity-evidence", "--param", "entity=Nonesuch", "--endpoint", oxigraph + "/query")
    assert unknown.returncode == 2 and "no entity is named 'Nonesuch'" in unknown.stderr
    ask = _kg("query", "ASK { qd:Haier a ?t }", "--endpoint", oxigraph + "/query")
    assert ask.returncode == 0 and ask.stdout == "true\n"


def test_a_result_the_server_cuts_short_after_200_is_an_error(oxigraph: str) -> None:
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    with pytest.raises(RemoteError, match="answered 200 OK but the result is cut short"):
        Endpoint(oxigraph + "/query", timeout=60).query(heavy)
    done = _kg("query", "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d }", "--endpoint", oxigraph + "/query")
    assert done.returncode == 2 and "cut short" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing partial is printed as if it were the answer


def test_refusals_and_server_errors_are_one_line(oxigraph: str, listener) -> None:
    url, received = listener
    with pytest.raises(QueryError, match="SERVICE is refused"):
        Endpoint(oxigraph + "/query").query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert received == []
    with pytest.raises(QueryError, match="malformed query: line 1"):
        Endpoint(oxigraph + "/query").query("SELECT * WHERE {")
    with pytest.raises(RemoteError, match="the server answered 4"):
        Endpoint(oxigraph + "/nowhere").query("ASK {}")


def test_unreachable_endpoint(tmp_path: Path) -> None:
    done = _kg("query", "ASK {}", "--endpoint", f"http://127.0.0.1:{free_port()}/query")
    assert done.returncode == 2 and "cannot reach" in done.stderr and "Traceback" not in done.stderr
    bad = _kg("query", "ASK {}", "--endpoint", "ftp://example.org/")
    assert bad.returncode == 2 and "needs an http(s) URL" in bad.stderr


def _read_request(conn: socket.socket) -> None:
    """Read one whole HTTP request (closing with unread bytes would reset the connection instead)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0)
    while len(body) < length:
        body += conn.recv(65536)


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback peer that answers each connection with the bytes queued for it (nothing = silence)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    replies: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            _read_request(conn)
            if replies:
                conn.sendall(replies.pop(0))
                conn.close()
            else:
                stop.wait(5)  # silent: keeps the connection open without answering
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/query", replies
    stop.set()
    thread.join(timeout=6)
    server.close()


def test_client_timeout_on_a_silent_server(raw_server) -> None:
    url, _ = raw_server
    started = time.monotonic()
    with pytest.raises(RemoteTimeout, match="no answer within 1 s"):
        Endpoint(url, timeout=1).query("ASK {}")
    assert time.monotonic() - started < 4


def test_a_body_shorter_than_announced_is_cut_short(raw_server) -> None:
    url, replies = raw_server
    body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
    replies.append(head + f"Content-Length: {len(body) + 500}\r\n\r\n".encode() + body)
    with pytest.raises(RemoteError, match="cut the result short after answering 200 OK"):
        Endpoint(url, timeout=5).query("SELECT ?s WHERE { ?s ?p ?o }")
    replies.append(head + b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n")
    with pytest.raises(RemoteError, match="cut the result short"):
        Endpoint(url, timeout=5).query("SELECT ?s WHERE { ?s ?p ?o }")
    replies.append(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
    with pytest.raises(RemoteError, match="expected SPARQL JSON results, got text/html"):
        Endpoint(url, timeout=5).query("SELECT ?s WHERE { ?s ?p ?o }")
