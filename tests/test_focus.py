"""`kg graph --focus` walks out from the centre instead of converting the whole graph, and draws exactly
what the whole-graph view would, on both engines and from a remote endpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Dataset

from kg.dataset.load import load_dataset
from kg.dataset.resolve import resolve_entity
from kg.engines.remote import Endpoint
from kg.graph.convert import rdf_to_nx
from kg.graph.views import neighbourhood, whole_graph
from kg.graph.walk import LocalSource, RemoteSource, walk

CASES = [("COSMOPlat", 2, 25), ("Qingdao", 1, 25), ("Qingdao", 2, 5), ("Hisense", 3, 25), ("Zhao Haozhi", 3, None)]


def _same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=str) == sorted(b.edges(keys=True, data=True), key=str)


def _walked(source, ds: Dataset, name: str, depth: int, hub_limit: int | None) -> nx.MultiDiGraph:
    node = resolve_entity(ds, name)
    found = walk(source, node, depth, hub_limit)
    return neighbourhood(rdf_to_nx(found.dataset, class_use=found.class_use), node, depth, hub_limit, hubs=found.hubs)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_walk_draws_what_the_whole_graph_view_draws(engine: str) -> None:
    ds = load_dataset(engine=engine)
    full = whole_graph(ds)
    for name, depth, hub_limit in CASES:
        expected = neighbourhood(full, resolve_entity(ds, name), depth, hub_limit)
        assert expected.number_of_nodes() > 1
        _same(_walked(LocalSource(ds), ds, name, depth, hub_limit), expected)


@pytest.mark.slow
@pytest.mark.oxigraph_server
def test_walk_over_a_remote_endpoint(oxigraph: str) -> None:
    ds = load_dataset(engine="oxigraph")  # the server, like this engine, writes decimals canonically
    full = whole_graph(ds)
    source = RemoteSource(Endpoint(oxigraph + "/query"))
    for name, depth, hub_limit in CASES:
        _same(
            _walked(source, ds, name, depth, hub_limit), neighbourhood(full, resolve_entity(ds, name), depth, hub_limit)
        )


@pytest.mark.oxigraph_server
@pytest.mark.slow
def test_cli_focus_from_an_endpoint_and_a_store(oxigraph: str, tmp_path: Path) -> None:
    def kg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120)

    local = kg("graph", "--focus", "COSMOPlat", "--depth", "2", "--engine", "oxigraph", "-o", str(tmp_path / "a.json"))
    remote = kg(
        "graph",
        "--focus",
        "COSMOPlat",
        "--depth",
        "2",
        "--endpoint",
        oxigraph + "/query",
        "-o",
        str(tmp_path / "b.json"),
    )
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert local.stderr.split(":", 1)[1] == remote.stderr.split(":", 1)[1]  # same counts of nodes and links
    assert kg("build", "--store", str(tmp_path / "store")).returncode == 0
    stored = kg(
        "graph",
        "--focus",
        "COSMOPlat",
        "--depth",
        "2",
        "--store",
        str(tmp_path / "store"),
        "-o",
        str(tmp_path / "c.json"),
    )
    assert stored.returncode == 0 and (tmp_path / "c.json").read_bytes() == (tmp_path / "a.json").read_bytes()
    wrong = kg("graph", "--endpoint", oxigraph + "/query", "-o", str(tmp_path / "d.json"))
    assert wrong.returncode == 2 and "--endpoint draws a --focus view" in wrong.stderr
