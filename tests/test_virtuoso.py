"""The hand-off on a second server: Debian's Virtuoso 7.2, started here on loopback with a fresh database.

`kg push` logs in to its Graph Store (/sparql-graph-crud-auth asks for HTTP Digest: ``--user dba``, the password
from KG_ENDPOINT_PASSWORD or ~/.netrc) and writes each graph, and the merge into a named graph of its own (Virtuoso's
Graph Store cannot write its default graph, and its union of graphs repeats shared triples); then
`kg query --endpoint …/sparql?default-graph-uri=MERGE` gives every saved question's pinned answer, except where
Virtuoso gets it wrong (VIRTUOSO_DIFFERS). The login is also checked against a stand-in server: each request
answered at once (no body sent twice), the password never shown, hostile user names, URLs and netrc files refused
in one line.

Needs Debian's virtuoso-opensource (.ci/run installs it); skipped without it, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Virtuoso, assert_same_answer, free_port, serve_virtuoso
from rdflib import Dataset

from kg.engines.remote import Endpoint, Login, RemoteError, delete_each, find_login, probe
from kg.publish.push import push
from kg.query.results import rows
from kg.query.saved import saved_queries

QUESTIONS = saved_queries()
MERGE = "urn:x-kg:merge"
SECRET = "hunter2-not-to-be-shown"

# Saved questions whose answer Virtuoso 7.2 gets wrong (a known gap, in the README): strict, so that a fix in the
# query or in Virtuoso fails the run until the entry is removed.
VIRTUOSO_DIFFERS = {
    "cosmoplat-chery-haier": "under ORDER BY, Virtuoso turns the ' – ' that CONCAT adds into '?' (STRDT(\" – \", "
    "xsd:string) avoids it in the query's earlier form; in the current one Virtuoso then fails with SR445)",
    "recognitions": "ORDER BY compares language-tagged labels, whose order SPARQL leaves open, and Virtuoso compares "
    "only their first characters; ORDER BY STR(...) would fix it here but makes Comunica, which sorts plain strings "
    "by locale, put 'Haier central' before 'Haier Qingdao'",
}


def _kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env or dict(os.environ),
    )


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = serve_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


def _login_env(server: Virtuoso, home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KG_ENDPOINT_PASSWORD"}
    return env | ({"HOME": str(home)} if home else {"KG_ENDPOINT_PASSWORD": server.password})


def _push(server: Virtuoso, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    store = server.base + "/sparql-graph-crud-auth"
    return _kg("push", "--endpoint", store, "--user", "dba", *args, env=env or _login_env(server))


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso) -> subprocess.CompletedProcess:
    return _push(virtuoso, "--merge-graph", MERGE)


def _query_url(server: Virtuoso) -> str:
    return f"{server.base}/sparql?" + urllib.parse.urlencode({"default-graph-uri": MERGE})


def _counts(server: Virtuoso, graphs: set[str]) -> dict[str, int]:
    found = Endpoint(server.base + "/sparql").query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    return {str(g): int(n) for g, n in rows(found).rows if str(g) in graphs}  # type: ignore[arg-type]


@pytest.mark.external
@pytest.mark.slow
def test_push_logs_in_and_writes_every_graph_and_the_merge(
    virtuoso: Virtuoso, pushed: subprocess.CompletedProcess, ds: Dataset
) -> None:
    assert pushed.returncode == 0, pushed.stderr
    assert virtuoso.password not in pushed.stdout + pushed.stderr
    local = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    assert f"pushed {len(local)} graph(s) and their merge ({MERGE})" in pushed.stdout
    assert _counts(virtuoso, {*local, MERGE}) == local | {MERGE: len(ds)}  # the merge: shared triples once
    again = _push(virtuoso, "--merge-graph", MERGE)
    assert again.returncode == 0, again.stderr
    assert _counts(virtuoso, {*local, MERGE}) == local | {MERGE: len(ds)}, "pushing again replaces"


@pytest.mark.external
@pytest.mark.slow
def test_a_changed_file_replaces_its_graph_and_its_part_of_the_merge(virtuoso: Virtuoso, tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    graph = extra.resolve().as_uri()
    ask = Endpoint(_query_url(virtuoso)).query
    for old, new in (("old", "new"), ("new", "newer")):
        extra.write_text(f"<urn:x-test:s> <urn:x-test:p> <urn:x-test:{new}> .\n", encoding="utf-8")
        done = _push(virtuoso, "--merge-graph", MERGE, "--data", str(extra))
        assert done.returncode == 0, done.stderr
        assert _counts(virtuoso, {graph}) == {graph: 1}
        assert ask(f"ASK {{ <urn:x-test:s> <urn:x-test:p> <urn:x-test:{new}> }}").askAnswer is True
        assert ask(f"ASK {{ <urn:x-test:s> <urn:x-test:p> <urn:x-test:{old}> }}").askAnswer is False
    assert _push(virtuoso, "--merge-graph", MERGE).returncode == 0  # the module's other tests see the shipped graph


def _question(name: str) -> object:
    reason = VIRTUOSO_DIFFERS.get(name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(name, marks=marks)


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize("name", [_question(n) for n in QUESTIONS])
def test_every_saved_question_over_kg_query_endpoint(
    virtuoso: Virtuoso, pushed: subprocess.CompletedProcess, name: str
) -> None:
    done = _kg("query", name, "--format", "tsv", "--endpoint", _query_url(virtuoso), "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert_same_answer(name, QUESTIONS[name].text, done.stdout, "Virtuoso")


@pytest.mark.external
@pytest.mark.slow
def test_parameters_asks_and_graphs_on_virtuoso(virtuoso: Virtuoso, pushed: subprocess.CompletedProcess) -> None:
    url = _query_url(virtuoso)
    args = ("query", "entity-evidence", "--param", "entity=Hisense", "--format", "csv")
    remote = _kg(*args, "--endpoint", url)
    assert remote.returncode == 0, remote.stderr
    assert sorted(remote.stdout.splitlines()) == sorted(_kg(*args).stdout.splitlines())
    # Virtuoso answers ASK with a one-column table; kg reads it as the boolean it is
    assert _kg("query", "ASK { qd:Haier a qdo:Enterprise }", "--endpoint", url).stdout == "true\n"
    assert _kg("query", "ASK { qd:Haier a qdo:Plan }", "--endpoint", url).returncode == 1
    described = _kg(
        "query", "CONSTRUCT { qd:Haier ?p ?o } WHERE { qd:Haier ?p ?o }", "--format", "nt", "--endpoint", url
    )
    assert described.returncode == 0 and "<https://w3id.org/qingdao-kg/ontology#Enterprise>" in described.stdout


@pytest.mark.external
@pytest.mark.slow
def test_an_answer_virtuoso_marks_partial_is_an_error(virtuoso: Virtuoso, pushed: subprocess.CompletedProcess) -> None:
    """At its time limit Virtuoso answers 200 with what it has, saying so only in a header (an "anytime query")."""
    url = _query_url(virtuoso) + "&timeout=200"  # milliseconds: this request's own limit
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    with pytest.raises(RemoteError, match="marked the result incomplete"):
        Endpoint(url, timeout=60).query(heavy)


@pytest.mark.external
@pytest.mark.slow
def test_push_refusals_on_virtuoso(virtuoso: Virtuoso, tmp_path: Path) -> None:
    store = virtuoso.base + "/sparql-graph-crud-auth"
    anonymous = _kg("push", "--endpoint", store)
    assert anonymous.returncode == 2 and "asks for a login: give --user NAME" in anonymous.stderr
    wrong = _push(virtuoso, "--merge-graph", MERGE, env=_login_env(virtuoso) | {"KG_ENDPOINT_PASSWORD": SECRET})
    assert wrong.returncode == 2 and "refused the login of 'dba'" in wrong.stderr
    assert SECRET not in wrong.stdout + wrong.stderr and "Traceback" not in wrong.stderr
    default = _push(virtuoso)
    assert default.returncode == 2 and "--merge-graph IRI" in default.stderr, default.stderr
    no_password = _push(virtuoso, env=_login_env(virtuoso, home=tmp_path))
    assert no_password.returncode == 2 and "no password for 'dba' at 127.0.0.1" in no_password.stderr


@pytest.mark.external
@pytest.mark.slow
def test_the_password_from_netrc(virtuoso: Virtuoso, tmp_path: Path) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login dba password {virtuoso.password}\n", encoding="utf-8")
    netrc.chmod(0o600)
    done = _push(virtuoso, "--merge-graph", MERGE, env=_login_env(virtuoso, home=tmp_path))
    assert done.returncode == 0, done.stderr
    assert virtuoso.password not in done.stdout + done.stderr


# --- the login, against a stand-in server ------------------------------------------------------------------


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class _DigestStore(http.server.ThreadingHTTPServer):
    """A Graph Store asking for an MD5 Digest login as Virtuoso's does (RFC 7616, checked here independently of
    kg), recording every request; ``stale_after`` requests on a nonce, it issues a fresh one."""

    def __init__(self, password: str, stale_after: int = 10_000) -> None:
        super().__init__(("127.0.0.1", 0), _DigestHandler)
        self.password, self.stale_after = password, stale_after
        self.nonce, self.used = "n0", 0
        self.seen: list[tuple[str, str, bool, int]] = []  # method, path, authorised, body bytes
        self.counts: dict[str, list[int]] = {}  # nonce: the counts answered with it, in order
        self.ports: set[int] = set()  # the client's ends of the connections

    def challenge(self, stale: bool) -> str:
        return f'Digest realm="SPARQL", nonce="{self.nonce}", opaque="op", qop="auth", algorithm="MD5"' + (
            ', stale="true"' if stale else ""
        )

    def authorised(self, method: str, path: str, header: str | None) -> bool:
        if not header or not header.startswith("Digest "):
            return False
        got = {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', header)}
        secret = _md5(f"{got['username']}:{got['realm']}:{self.password}")
        want = _md5(f"{secret}:{got['nonce']}:{got['nc']}:{got['cnonce']}:auth:{_md5(f'{method}:{path}')}")
        if got["response"] != want or got["uri"] != path or got["nonce"] != self.nonce or got["opaque"] != "op":
            return False
        self.counts.setdefault(got["nonce"], []).append(int(got["nc"], 16))
        return True


class _DigestHandler(http.server.BaseHTTPRequestHandler):
    server: _DigestStore
    protocol_version = "HTTP/1.1"  # keeps connections open, as Virtuoso does after a request it accepts

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        store = self.server
        ok = store.authorised(self.command, self.path, self.headers.get("Authorization"))
        stale = ok and store.used >= store.stale_after
        store.seen.append((self.command, self.path, ok and not stale, len(body)))
        store.ports.add(self.client_address[1])
        if ok and not stale:
            store.used += 1
            self.send_response(201)
        else:
            if stale:
                store.nonce, store.used = store.nonce + "x", 0
            self.send_response(401)
            self.send_header("WWW-Authenticate", store.challenge(stale))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def digest_store() -> Iterator[_DigestStore]:
    server = _DigestStore(SECRET, stale_after=4)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _store_url(server: _DigestStore) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/sparql-graph-crud-auth"


def test_every_request_carries_its_answer_and_each_body_goes_once(digest_store: _DigestStore) -> None:
    way, pushed = push(_store_url(digest_store), merge=MERGE, method="auto", login=Login("dba", SECRET))
    assert way == "graphs" and len(pushed) == 9  # the stand-in is not Oxigraph: one PUT per graph
    puts = [(path, ok, size) for method, path, ok, size in digest_store.seen if method == "PUT"]
    accepted = [path for path, ok, _ in puts if ok]
    assert len(accepted) == 9 and len(set(accepted)) == 9
    # the nonce goes stale every 4 requests: that PUT is refused once and sent again, never any other
    refused = [path for path, ok, _ in puts if not ok]
    assert len(refused) == len(puts) - 9 and all(path in accepted for path in refused)
    assert all(counts == list(range(1, len(counts) + 1)) for counts in digest_store.counts.values()), "1, 2, 3… a nonce"
    assert digest_store.seen[0][:3] == ("HEAD", "/sparql-graph-crud-auth?default", False), "the challenge first"


def test_deletes_share_one_connection_and_answer_the_login(digest_store: _DigestStore) -> None:
    login = Login("dba", SECRET)
    probe(_store_url(digest_store) + "?default", login=login)
    digest_store.ports.clear()
    delete_each([_store_url(digest_store) + f"?graph=urn%3Ag{i}" for i in range(10)], timeout=10, login=login)
    deletes = [(path, ok) for method, path, ok, _ in digest_store.seen if method == "DELETE"]
    assert sorted(path for path, ok in deletes if ok) == sorted(
        f"/sparql-graph-crud-auth?graph=urn%3Ag{i}" for i in range(10)
    )
    refused = [path for path, ok in deletes if not ok]
    assert refused and len(set(refused)) == len(refused), "a stale nonce: that DELETE asked again once"
    assert len(digest_store.ports) == 1, "all on one kept-alive connection"


def test_a_wrong_password_is_told_before_any_body_and_never_shown(digest_store: _DigestStore) -> None:
    done = _kg(
        "-v", "push", "--endpoint", _store_url(digest_store), "--user", "dba", "--merge-graph", MERGE,
        env={**os.environ, "KG_ENDPOINT_PASSWORD": "not-" + SECRET},
    )  # fmt: skip
    assert done.returncode == 2 and "refused the login of 'dba'" in done.stderr, done.stderr
    assert SECRET not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert [m for m, *_ in digest_store.seen] == ["HEAD", "HEAD"], "no graph was sent"
    assert SECRET not in repr(Login("dba", SECRET))


@pytest.mark.parametrize("user", ["", 'd"ba', "d\\ba", "d\nba", "d\rba", "d:ba", "d\x00ba", "d\x7fba"])
def test_a_user_name_that_would_break_the_header_is_refused(user: str) -> None:
    with pytest.raises(RemoteError, match=r"--user: .* is not a user name"):
        Login(user, SECRET)


@pytest.mark.slow  # `kg` subprocesses
def test_hostile_options_give_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/store"
    env = {**os.environ, "KG_ENDPOINT_PASSWORD": SECRET}
    for args in (
        ["--user", "d\nba"],
        ["--endpoint", f"http://dba:{SECRET}@127.0.0.1:{free_port()}/store"],
        ["--endpoint", f"http:dba:{SECRET}@127.0.0.1/store"],
        ["--merge-graph", "not an iri"],
        ["--merge-graph", "urn:x", "--no-default-graph"],
        ["--method", "bulk"],
    ):
        done = _kg("push", "--endpoint", url, *args, env=env)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
        assert SECRET not in done.stdout + done.stderr, args
        assert done.stderr.strip().splitlines()[-1].lower().startswith("error: "), done.stderr  # one line says why
    query = _kg("query", "ASK {}", "--endpoint", f"http://u:{SECRET}@127.0.0.1:1/sparql")
    assert query.returncode == 2 and "no user name or password in the URL" in query.stderr
    assert SECRET not in query.stderr


def test_netrc_that_others_can_read_or_that_is_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KG_ENDPOINT_PASSWORD", raising=False)
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login dba password {SECRET}\n", encoding="utf-8")
    netrc.chmod(0o644)
    with pytest.raises(RemoteError, match="access too permissive") as caught:
        find_login("http://127.0.0.1:8890/x", "dba")
    assert SECRET not in str(caught.value)
    netrc.write_text(f"machine 127.0.0.1 login dba password {SECRET} {SECRET}\n", encoding="utf-8")
    netrc.chmod(0o600)
    with pytest.raises(RemoteError, match=r"~/.netrc cannot be used: line \d+ is not netrc syntax") as caught:
        find_login("http://127.0.0.1:8890/x", "dba")
    assert SECRET not in str(caught.value)
    netrc.write_text(f"machine 127.0.0.1 login other password {SECRET}\n", encoding="utf-8")
    with pytest.raises(RemoteError, match=r"no password for 'dba' at 127\.0\.0\.1"):
        find_login("http://127.0.0.1:8890/x", "dba")
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", SECRET)
    assert find_login("http://127.0.0.1:8890/x", "dba").user == "dba"  # the environment comes first


class _Headers:
    """A 401's headers, as Login.learn reads them."""

    def __init__(self, *challenges: str) -> None:
        self.challenges = list(challenges)

    def get_all(self, name: str) -> list[str]:
        return self.challenges


@pytest.mark.parametrize(
    ("url", "challenge", "error"),
    [
        ("http://example.org/store", 'Basic realm="x"', "Basic login, which would send the password readable"),
        ("http://127.0.0.1/store", 'Digest realm="x", nonce="n", qop="auth-int"', "cannot answer"),
        ("http://127.0.0.1/store", 'Digest realm="x", nonce="n", algorithm="MD5-sess"', "cannot answer"),
        ("http://127.0.0.1/store", 'Digest realm="x"', "cannot answer"),
        ("http://127.0.0.1/store", 'Digest realm="x\x01", nonce="n"', "control characters"),
        ("http://127.0.0.1/store", "Negotiate abc", "cannot give"),
    ],
)
def test_challenges_kg_will_not_answer(url: str, challenge: str, error: str) -> None:
    with pytest.raises(RemoteError, match=error):
        Login("dba", SECRET).learn(_Headers(challenge), url)  # type: ignore[arg-type]


def test_basic_over_https_or_loopback_and_quotes_in_a_challenge() -> None:
    basic = Login("dba", SECRET)
    basic.learn(_Headers('Basic realm="x"'), "http://127.0.0.1/store")  # type: ignore[arg-type]
    assert basic.authorization("PUT", "http://127.0.0.1/store") == "Basic ZGJhOmh1bnRlcjItbm90LXRvLWJlLXNob3du"
    digest = Login("dba", SECRET)
    digest.learn(_Headers('Digest realm="a \\"b\\"", nonce="n"'), "https://example.org/s")  # type: ignore[arg-type]
    header = digest.authorization("PUT", "https://example.org/s?graph=urn%3Ax")
    assert header is not None and 'realm="a \\"b\\""' in header and 'uri="/s?graph=urn%3Ax"' in header
    assert "\n" not in header and SECRET not in header
