"""The Oxigraph engine stays offline and bounded in a worker that follows its store, is chosen by flag,
environment or config file, and its on-disk store follows its sources. What it answers, it answers like
every engine: tests/test_backends.py."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef, Variable

from kg.dataset.load import load_dataset
from kg.engines.registry import backend_of
from kg.errors import InputError, QueryError, QueryTimeout
from kg.query.sparql import run_query

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"


@pytest.fixture(scope="module")
def ox_ds() -> Dataset:
    return load_dataset(engine="oxigraph")


def test_service_and_load_are_refused_before_oxigraph_runs(ox_ds: Dataset, listener) -> None:
    url, received = listener
    with pytest.raises(QueryError, match="SERVICE is refused"):
        run_query(ox_ds, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", timeout=5)
    with pytest.raises(QueryError, match="Update is refused"):
        run_query(ox_ds, f"LOAD <{url}>")
    time.sleep(0.3)
    assert received == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def worker_pid(ds: Dataset) -> int:
    """The process id of the worker now serving ``ds``'s queries (0: none)."""
    worker = backend_of(ds).worker  # type: ignore[attr-defined]
    return worker.pid if worker else 0


def _count_all(ds: Dataset) -> int:
    return int(run_query(ds, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=30).bindings[0][Variable("n")])


@pytest.mark.slow
def test_one_worker_serves_a_store_until_a_deadline_kills_it() -> None:
    ds = load_dataset(engine="oxigraph")
    first = _count_all(ds)
    pid = worker_pid(ds)
    assert pid and _alive(pid)
    assert _count_all(ds) == first and worker_pid(ds) == pid  # reused, not started again
    with pytest.raises(QueryTimeout):
        run_query(ds, HEAVY, timeout=1)
    assert not _alive(pid)
    assert _count_all(ds) == first and worker_pid(ds) not in (0, pid)


def test_a_write_retires_the_worker_so_answers_follow_the_store() -> None:
    ds = load_dataset(engine="oxigraph")
    before = _count_all(ds)
    pid = worker_pid(ds)
    ds.graph(URIRef("urn:test:extra")).add((URIRef("urn:test:s"), URIRef("urn:test:p"), Literal("new")))
    assert not _alive(pid)
    assert _count_all(ds) == before + 1


def test_rdflib_writes_keep_the_default_graph_the_merge_of_the_named_graphs() -> None:
    ds = load_dataset(engine="oxigraph")
    before = _count_all(ds)
    triple = (URIRef("urn:test:s"), URIRef("urn:test:p"), Literal("twice"))
    one, two = URIRef("urn:test:one"), URIRef("urn:test:two")
    ds.graph(one).add(triple)
    ds.addN([(*triple, ds.graph(two))])
    assert _count_all(ds) == before + 1  # a set: stated twice, merged once
    ds.graph(one).remove(triple)
    assert _count_all(ds) == before + 1  # still stated by the other graph
    ds.remove_graph(ds.graph(two))
    assert _count_all(ds) == before
    with pytest.raises(QueryError, match="Update is refused"):
        ds.update("INSERT DATA { <urn:test:s> <urn:test:p> 1 }")


def test_the_worker_holds_no_pipe_of_the_parent_open() -> None:
    """A peer of the parent (here `cat`, in real life a browser driver) must still see end-of-file."""
    ds = load_dataset(engine="oxigraph")
    peer = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _count_all(ds)  # starts the worker while the pipe to `cat` is open
    peer.stdin.close()  # type: ignore[union-attr]
    assert peer.wait(timeout=10) == 0
    assert _alive(worker_pid(ds))


def test_the_worker_ends_with_its_dataset() -> None:
    ds = load_dataset(engine="oxigraph")
    _count_all(ds)
    pid = worker_pid(ds)
    del ds
    gc.collect()
    assert not _alive(pid)


def _kg(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.mark.slow
def test_engine_from_flag_env_and_config_file(tmp_path: Path) -> None:
    """Oxigraph keeps only a decimal's canonical form (62 for the query's 62.0): a visible sign of which engine
    answered (the data writes canonical forms, so its answers read the same on both)."""
    query = ("SELECT (62.0 AS ?x) WHERE {}", "--format", "csv")
    assert _kg("query", *query).stdout.splitlines()[1] == "62.0"
    assert _kg("query", *query, "--engine", "oxigraph").stdout.splitlines()[1] == "62"
    assert _kg("query", *query, env={"KG_ENGINE": "oxigraph"}).stdout.splitlines()[1] == "62"
    (tmp_path / "kg.toml").write_text('engine = "oxigraph"\n')
    assert _kg("query", *query, cwd=tmp_path).stdout.splitlines()[1] == "62"
    bad = _kg("query", *query, env={"KG_ENGINE": "blazegraph"})
    assert bad.returncode == 2 and "unknown engine 'blazegraph'" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_cli_timeout_on_oxigraph_exits_124() -> None:
    done = _kg("query", HEAVY, "--engine", "oxigraph", "--timeout", "1")
    assert done.returncode == 124 and "stopped after 1 s" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [["stats"], ["entity", "Haier"], ["entity", "COSMOPlat"]])
def test_commands_read_the_same_on_both_engines(command: list[str]) -> None:
    assert _kg(*command).stdout == _kg(*command, "--engine", "oxigraph").stdout


def test_bad_turtle_names_file_and_line_on_oxigraph(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix x: <http://e/> .\nx:a x:b x:c .\nx:a x:b "open .\n')
    with pytest.raises(InputError, match=r"bad\.ttl:3: syntax error"):
        load_dataset([bad], engine="oxigraph")


# --- the on-disk store -------------------------------------------------------------------------------


def _count(folder: Path, env: dict) -> str:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    done = _kg("query", count, "--format", "csv", "--store", str(folder), env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[1]


@pytest.mark.slow
def test_store_is_built_reopened_and_follows_its_sources(project_copy: Path, tmp_path: Path, ds: Dataset) -> None:
    env = {"KG_ROOT": str(project_copy)}
    store = tmp_path / "store"
    built = _kg("build", "--store", str(store), env=env)
    assert built.returncode == 0 and "rebuilt from 8 file(s)" in built.stderr
    shipped = len(ds)  # triples in the default graph (the merge) of the shipped files
    assert _count(store, env) == str(shipped)
    assert "up to date" in _kg("build", "--store", str(store), env=env).stderr

    article = project_copy / "data" / "triples" / "a001.ttl"
    article.write_text(
        article.read_text()
        + '\n<https://w3id.org/qingdao-kg/id/article/a001> <http://www.w3.org/2000/01/rdf-schema#comment> "added" .\n'
    )
    done = _kg("query", "ASK { art:a001 rdfs:comment ?c }", "--store", str(store), env=env)
    assert done.returncode == 0 and done.stdout == "true\n"
    assert "out of date" in done.stderr and "reloaded a001.ttl" in done.stderr
    assert _count(store, env) == str(shipped + 1)

    extra = project_copy / "data" / "triples" / "a005.ttl"
    extra.write_text("@prefix qd: <https://w3id.org/qingdao-kg/id/> .\nqd:X qd:y qd:Z .\n")
    assert _count(store, env) == str(shipped + 2)
    done = _kg("query", "ASK { GRAPH art:a005 { qd:X qd:y qd:Z } }", "--store", str(store), env=env)
    assert done.stdout == "true\n"
    extra.unlink()
    assert _count(store, env) == str(shipped + 1)


@pytest.mark.slow
def test_store_refuses_to_clobber_and_to_reason(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("not a store")
    done = _kg("build", "--store", str(tmp_path))
    assert done.returncode == 2 and "is not a kg store" in done.stderr
    assert (tmp_path / "mine.txt").read_text() == "not a store"
    missing = _kg("query", "ASK {}", "--store", str(tmp_path / "none"))
    assert missing.returncode == 2 and "kg build --store" in missing.stderr
    store = tmp_path / "store"
    assert _kg("build", "--store", str(store)).returncode == 0
    reason = _kg("query", "ASK {}", "--store", str(store), "--reason")
    assert reason.returncode == 2 and "leave out --store" in reason.stderr
    wrong = _kg("query", "ASK {}", "--store", str(store), "--engine", "rdflib")
    assert wrong.returncode == 2 and "a store is Oxigraph's" in wrong.stderr
