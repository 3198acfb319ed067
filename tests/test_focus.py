"""`kg graph --focus` walks out from the centre instead of converting the whole graph, and draws exactly
what the whole-graph view would, on both engines and from a remote endpoint; with a node budget it keeps
the nearest and best-supported nodes, the same on every engine, and says what it left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kg.cli.graph import graph_command
from kg.dataset.load import load_dataset
from kg.dataset.resolve import resolve_entity
from kg.engines.remote import Endpoint
from kg.errors import KGError
from kg.graph.budget import MAX_NODES, select
from kg.graph.compose import ViewRequest, compose_view
from kg.graph.views import neighbourhood, whole_graph
from kg.graph.walk import RemoteSource, local_source, walk

CASES = [("COSMOPlat", 2, 25), ("Qingdao", 1, 25), ("Qingdao", 2, 5), ("Hisense", 3, 25), ("Zhao Haozhi", 3, None)]


def _same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=str) == sorted(b.edges(keys=True, data=True), key=str)


def _walked(
    source, ds: Dataset, name: str, depth: int, hub_limit: int | None, max_nodes: int | None = None
) -> nx.MultiDiGraph:
    return walk(source, resolve_entity(ds, name), depth, hub_limit, max_nodes).view()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_walk_draws_what_the_whole_graph_view_draws(engine: str) -> None:
    ds = load_dataset(engine=engine)
    full = whole_graph(ds)
    for name, depth, hub_limit in CASES:
        expected = neighbourhood(full, resolve_entity(ds, name), depth, hub_limit)
        assert expected.number_of_nodes() > 1
        _same(_walked(local_source(ds), ds, name, depth, hub_limit), expected)


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
    budgeted = _walked(source, ds, "Qingdao", 2, 25, 20)
    _same(budgeted, _walked(local_source(ds), ds, "Qingdao", 2, 25, 20))  # the same choice as the local engines
    assert budgeted.graph == _walked(local_source(ds), ds, "Qingdao", 2, 25, 20).graph


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


# --- the node budget ---------------------------------------------------------------------------------------


class _Links:
    """A made-up graph as the budget reads it: links with their support, and each node's class."""

    def __init__(self, links: dict[str, dict[str, int]], classes: dict[str, str]) -> None:
        self.adjacent: dict[str, dict[str, int]] = {}
        for a, near in links.items():
            for b, k in near.items():
                self.adjacent.setdefault(a, {})[b] = k
                self.adjacent.setdefault(b, {})[a] = k
        self.of, self.asked = classes, []

    def links(self, nodes, limit):
        self.asked += nodes
        near = {n: self.adjacent.get(n, {}) for n in nodes}
        return {n: None if limit is not None and len(m) > limit else m for n, m in near.items()}

    def classes(self, nodes):
        return {n: self.of[n] for n in nodes}


def test_budget_ranks_nearest_classes_in_turn_best_supported_first() -> None:
    factories = {f"f{i}": 1 for i in range(8)}
    links = {"c": {**factories, "f9": 3, "p1": 2, "p2": 1, "e1": 1}, "f0": {"x": 1, "y": 1}, "p1": {"z": 1}}
    links["f1"] = {f"h{i}": 1 for i in range(5)}  # f1 has 6 neighbours (a hub with hub_limit 4)
    classes = {**dict.fromkeys([*factories, "f9"], "Factory"), "p1": "Platform", "p2": "Platform", "e1": "Event"}
    classes |= dict.fromkeys(["x", "y", "z", *(f"h{i}" for i in range(5))], "Enterprise")
    reader = _Links(links, classes)
    chosen = select(reader, "c", 1, 4, 5)
    # Factory's best (f9, 3 sources) first, then Platform's (p1, 2), then Event's; then each class's second best,
    # ties in IRI order: f0
    assert list(chosen.nodes) == ["c", "f9", "p1", "e1", "f0"]
    (left,) = chosen.left_out
    assert (left.distance, left.count, left.exact, dict(left.classes)) == (1, 8, True, {"Factory": 7, "Platform": 1})
    assert chosen.within == (13, True)
    assert chosen.attributes(1)["shown"] == "5 of 13 nodes within 1 link"
    assert chosen.attributes(1)["left_out"] == "8 at 1 link (Factory 7, Platform 1)"
    assert select(_Links(links, classes), "c", 1, 4, 5).nodes == chosen.nodes  # the same data, the same choice
    deeper = select(_Links(links, classes), "c", 2, 4, 8)
    # five one link away (a share is kept for the next distance), then two of the three next to them
    assert list(deeper.nodes.items())[-3:] == [("p2", 1), ("x", 2), ("y", 2)]
    assert deeper.within == (16, False)  # the neighbours of the factories left out were never read: "at least"
    assert [(o.distance, o.count, o.exact) for o in deeper.left_out] == [(1, 7, True), (2, 1, False)]
    assert "of at least 16 nodes" in deeper.attributes(2)["shown"]
    spare = select(_Links(links, classes), "c", 2, 4, 14)  # the next distance has fewer than its share
    assert list(spare.nodes.items())[-1] == ("f5", 1) and len(spare.nodes) == 14  # the rest goes to the nearest
    assert select(_Links(links, classes), "c", 2, 4, None).within == (16, True)  # no budget: all, hub f1 not walked
    assert select(_Links(links, classes), "c", 1, 4, 100).left_out == []  # under the budget: nothing left out
    for bad in (0, -3, 2.5, "10", True):
        with pytest.raises(KGError, match="max_nodes must be a whole number"):
            select(_Links(links, classes), "c", 1, 4, bad)  # type: ignore[arg-type]


def test_budget_reads_only_what_it_keeps_walking_from() -> None:
    hub = {f"n{i}": 1 for i in range(50)}
    links = {"c": hub, **{f"n{i}": {f"m{i}-{j}": 1 for j in range(3)} for i in range(50)}}
    classes = {n: "Thing" for n in [*hub, *(f"m{i}-{j}" for i in range(50) for j in range(3))]}
    reader = _Links(links, classes)
    chosen = select(reader, "c", 3, 25, 10)
    assert len(chosen.nodes) == 10 and sum(n.startswith("m") for n in reader.asked) <= 15  # 135 are never read
    kept = chosen.nodes
    for n, distance in kept.items():  # each node kept hangs on one kept a link nearer
        assert not distance or any(kept.get(p) == distance - 1 for p in reader.adjacent[n])
    assert chosen.within == (66, False) and chosen.attributes(3)["shown"] == "10 of at least 66 nodes within 3 links"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_budgeted_walk_draws_the_whole_graph_part_it_keeps(engine: str, ds: Dataset) -> None:
    local = load_dataset(engine=engine)
    full = whole_graph(local)
    for name, depth in [("Qingdao", 2), ("Haier", 2), ("COSMOPlat", 3)]:
        view = _walked(local_source(local), local, name, depth, 25, 20)
        assert view.number_of_nodes() == 20
        _same(view, full.subgraph(view.nodes).copy())  # the nodes kept, exactly as the whole graph has them
        centre = str(resolve_entity(local, name))
        reach = nx.single_source_shortest_path_length(view.to_undirected(as_view=True), centre)
        assert set(reach) == set(view) and max(reach.values()) <= depth  # the path to each node kept is shown
        assert view.graph["max_nodes"] == 20 and view.graph["within_depth"] > 20
        if engine == "oxigraph":  # the same choice, and account, on both engines
            other = _walked(local_source(ds), ds, name, depth, 25, 20)
            _same(view, other)
            assert view.graph == other.graph


def test_a_view_under_the_budget_is_unchanged(ds: Dataset) -> None:
    for name, depth in [("COSMOPlat", 2), ("Hisense", 1)]:
        within = compose_view(ViewRequest(focus=name, depth=depth), ds).graph
        assert within.number_of_nodes() < MAX_NODES and within.graph == {}
        _same(within, compose_view(ViewRequest(focus=name, depth=depth, max_nodes=None), ds).graph)
    view = compose_view(ViewRequest(focus="Haier", depth=2, max_nodes=5, classes=("qdo:Organization",)), ds)
    assert view.graph.number_of_nodes() == 5 and "left_out" in view.graph.graph  # the budget holds with filters too


def test_the_view_says_what_it_left_out(ds: Dataset, tmp_path: Path) -> None:
    view = compose_view(ViewRequest(focus="Qingdao", depth=2, max_nodes=20), ds)
    about = view.graph.graph
    assert about["shown"] == f"20 of at least {about['within_depth']} nodes within 2 links"
    assert about["within_depth_exact"] is False  # nodes one link away were left out, so theirs were not walked
    assert about["left_out"].startswith(f"{about['within_depth'] - 20 - 23} at 1 link (Observation 30, ")
    assert about["left_out"].endswith(
        "; at least 23 at 2 links (Enterprise 6, Observation 4, Industry 2, Post holding 2 and 7 more classes)"
    )
    result = CliRunner().invoke(
        graph_command, ["--focus", "Qingdao", "--depth", "2", "--max-nodes", "20", "-o", str(tmp_path / "q.html")]
    )
    assert result.exit_code == 0, result.output
    assert f"left out: {about['left_out']} (--max-nodes shows more)" in result.output
    page = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert "<h2>Left out</h2>" in page and f"Showing {about['shown']}" in page
    for fmt in ("graphml", "gexf", "json"):
        CliRunner().invoke(
            graph_command, ["--focus", "Qingdao", "--depth", "2", "--max-nodes", "20", "-o", str(tmp_path / f"q.{fmt}")]
        )
        assert "at 1 link (" in (tmp_path / f"q.{fmt}").read_text(encoding="utf-8")
    assert nx.read_graphml(tmp_path / "q.graphml").graph["within_depth"] == about["within_depth"]


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "", "1e3", "0x10", "99" * 3000])
def test_max_nodes_refuses_what_is_not_a_count(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        graph_command, ["--focus", "Qingdao", "--max-nodes", value, "-o", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 2 and "Invalid value for '--max-nodes'" in result.output
    assert not isinstance(result.exception, SystemExit) or "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()
    for bad in (0, -1, 1.5, "20", True):
        with pytest.raises(KGError, match="max_nodes must be a whole number"):
            ViewRequest(focus="Qingdao", max_nodes=bad)  # type: ignore[arg-type]
