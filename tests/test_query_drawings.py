"""Every question becomes a picture: a SELECT answer draws as the entities and records it names, linked as the
graph links them, through `kg graph --query` and through the workbench's graph view in a real Chromium.

Every saved question returns the IRIs of what it names beside their labels, so every one draws.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from helpers import OWN, SAVED
from rdflib import Dataset, URIRef

from kg.cli.main import cli as kg_cli
from kg.errors import KGError
from kg.graph.files import read_node_link_json
from kg.graph.views import answer_view, components, query_graph
from kg.query.sparql import run_query

COSMOPLAT, CHERY, HAIER = (f"https://w3id.org/qingdao-kg/id/{n}" for n in ("COSMOPlat", "Chery", "Haier"))
NO_IRI = "the answer names no IRI"


@pytest.mark.slow  # draws every answer
@pytest.mark.parametrize("name", sorted(OWN))
def test_answers_with_iris_draw_linked_pictures(ds: Dataset, name: str) -> None:
    view = query_graph(ds, run_query(ds, OWN[name], timeout=60))
    assert view.number_of_nodes() >= 2 and view.number_of_edges() >= 1
    named = {str(t) for row in run_query(ds, OWN[name], timeout=60) for t in row if isinstance(t, URIRef)}
    assert named <= set(view)  # everything the answer names is drawn
    lonely = [n for n in named if view.degree(n) == 0]
    assert len(lonely) <= len(named) // 2, f"{name}: {lonely} drawn unlinked"


def test_records_are_linked_to_what_they_are_about(ds: Dataset) -> None:
    view = query_graph(ds, run_query(ds, OWN["plan-targets"], timeout=60))
    targets = [n for n, d in view.nodes(data=True) if "qdo:Target" in d["class"].split()]
    assert len(targets) == 8
    for target in targets:
        about = {view.edges[e]["label"] for e in view.out_edges(target, keys=True)}
        assert {"set by", "indicator"} <= about  # the plan and what the target measures
    assert not any(d["kind"] == "article" for _, d in view.nodes(data=True))  # sources stay on the links
    posts = query_graph(ds, run_query(ds, OWN["people-posts"], timeout=60))
    assert {"holder", "post in"} <= {d["label"] for *_, d in posts.edges(data=True)}


@pytest.mark.slow  # draws every answer
def test_cosmoplat_chery_haier_are_connected(ds: Dataset) -> None:
    view = query_graph(ds, run_query(ds, SAVED["cosmoplat-chery-haier"], timeout=60))
    (together,) = [c for c in components(view) if COSMOPLAT in c]
    assert {COSMOPLAT, CHERY, HAIER} <= together
    go_between = "https://w3id.org/qingdao-kg/id/CheryAutoPlatform"
    assert go_between in view and "https://w3id.org/qingdao-kg/id/Qingdao" not in view  # a hub is no go-between


def test_answer_view_rules() -> None:
    g = nx.MultiDiGraph()
    for n, kind in [("a", "entity"), ("b", "entity"), ("mid", "entity"), ("rec", "record"), ("art", "article")]:
        g.add_node(n, kind=kind)
    g.add_edge("a", "mid", key="1")
    g.add_edge("mid", "b", key="2")
    g.add_edge("rec", "a", key="3")
    g.add_edge("rec", "art", key="4")
    hub = [f"h{i}" for i in range(4)]
    for h in hub:
        g.add_edge(h, "hub", key=h)
    g.add_edge("a", "hub", key="ah")
    g.add_edge("b", "hub", key="bh")
    assert set(answer_view(g, ["a", "b"], hub_limit=3)) == {"a", "b", "mid"}  # go-between yes, hub no
    assert set(answer_view(g, ["rec"], hub_limit=3)) == {"rec", "a"}  # what the record is about, not its article
    assert set(answer_view(g, ["hub"], hub_limit=3)) == {"hub", "a", "b", *hub}  # alone: its direct links


def test_empty_answers_are_errors_saying_why(ds: Dataset) -> None:
    with pytest.raises(KGError, match=NO_IRI):
        query_graph(ds, run_query(ds, "SELECT ?label WHERE { ?p a qdo:Plan ; skos:prefLabel ?label }", timeout=60))
    with pytest.raises(KGError, match="no answer"):
        query_graph(ds, run_query(ds, "SELECT ?x WHERE { ?x a qdo:NoSuchClass }", timeout=60))
    with pytest.raises(KGError, match="none of the 1 IRIs"):
        query_graph(ds, run_query(ds, "SELECT ?c WHERE { BIND(qdo:Enterprise AS ?c) }", timeout=60))
    with pytest.raises(KGError, match="made no triple"):
        query_graph(ds, run_query(ds, "CONSTRUCT { ?x ?p ?o } WHERE { ?x a qdo:NoSuchClass ; ?p ?o }", timeout=60))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_question_draws_on_the_command_line(ds: Dataset, tmp_path: Path, name: str) -> None:
    out = tmp_path / "view.json"
    result = CliRunner().invoke(kg_cli, ["graph", "--query", name, "-o", str(out)])
    assert result.exit_code == 0, result.output
    view = read_node_link_json(out.read_text(encoding="utf-8"))
    assert view.number_of_nodes() >= 2 and view.number_of_edges() >= 1


# --- the workbench's graph view (/graph, shown in its frame by "Show as graph") in Chromium ----------------


@pytest.fixture(scope="module")
def graph_url() -> Iterator[str]:
    from kg.serve.http import SparqlServer
    from kg.serve.pool import QueryPool

    pool = QueryPool(size=1, timeout=60.0, max_rows=1000)
    server = SparqlServer(("127.0.0.1", 0), pool, max_body=20_000)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url.removesuffix("sparql") + "graph"
    server.shutdown()
    server.server_close()
    pool.close()


@pytest.fixture(scope="module")
def page(browser, graph_url: str) -> Iterator[object]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    external: list[str] = []

    def route(request) -> None:
        if request.request.url.startswith(graph_url):
            request.continue_()
        else:
            external.append(request.request.url)
            request.abort()

    page.route("**/*", route)
    yield page
    page.close()
    assert external == []  # the graph page loads nothing, not even from our own server


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_question_draws_in_the_workbench(ds: Dataset, page, graph_url: str, name: str) -> None:
    response = page.goto(graph_url + "?" + urllib.parse.urlencode({"query": SAVED[name]}))
    assert response.status == 200
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    nodes = page.evaluate("window.kgNetwork.body.data.nodes.length")
    links = page.evaluate("window.kgNetwork.body.data.edges.length")
    assert nodes >= 2 and links >= 1
    if name == "cosmoplat-chery-haier":
        connected = page.evaluate(
            "(ids) => ids.every((id) => window.kgNetwork.getConnectedNodes(id).length > 0)", [COSMOPLAT, CHERY, HAIER]
        )
        assert connected
