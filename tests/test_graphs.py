"""RDF → networkx conversion, views, analysis, exports (real networkx round trips) and the offline HTML page."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import click
import networkx as nx
import pytest
from click.testing import CliRunner
from helpers import missing_tool
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.cli.graph import register
from kg.errors import KGError
from kg.graph import layout as netlayout
from kg.graph import style as netstyle
from kg.graph.compose import default_output
from kg.graph.convert import is_ontology_term, rdf_to_nx
from kg.graph.files import node_link_json, read_node_link_json, write_graph
from kg.graph.html import notebook_view, render_html
from kg.graph.names import find_node
from kg.graph.views import (
    centrality,
    components,
    entity_graph,
    neighbourhood,
    paths_between,
    query_graph,
    shortest_path,
)
from kg.query.sparql import run_query
from kg.vocab.namespaces import QD, QDO

COSMOPLAT, CHERY, HAIER, PLATFORM = (str(QD[n]) for n in ("COSMOPlat", "Chery", "Haier", "CheryAutoPlatform"))
COMPANY = str(QD.COSMOPlatCompany)  # the company behind the COSMOPlat platform, a builder of Chery's platform
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "main", "div", "aside", "h2"}
ALLOWED_TAGS |= {"input", "datalist", "option", "ul", "li", "span", "script"}
INJECTED = '<img src=x onerror="window.__pwned=1"> <a href="javascript:alert(1)">click</a> https://evil.example/x'


@pytest.fixture(scope="module")
def graph(ds: Dataset) -> nx.MultiDiGraph:
    return rdf_to_nx(ds)


def _edges(g: nx.MultiDiGraph, u: str, v: str, predicate: URIRef) -> list[dict]:
    return [d for d in g.get_edge_data(u, v, default={}).values() if d["predicate"] == str(predicate)]


def test_edges_carry_predicate_label_sources_and_evidence(graph: nx.MultiDiGraph) -> None:
    (built,) = _edges(graph, PLATFORM, COMPANY, QDO.builtBy)
    assert built["label"] == "built by" and built["sources"] == "a000"
    assert "jointly built by Cosmo-Plat and Chery" in built["evidence"]
    (curated,) = _edges(graph, COSMOPLAT, HAIER, QDO.builtBy)
    assert curated["sources"] == "curated" and "Haier Kaos" in curated["rationale"]
    assert graph.nodes[COSMOPLAT]["label"] == "COSMOPlat"
    assert graph.nodes[COSMOPLAT]["class"] == "qdo:Platform" and graph.nodes[COMPANY]["class"] == "qdo:Enterprise"
    assert graph.nodes[COSMOPLAT]["group"] == "Industrial internet platform"
    assert graph.nodes[COMPANY]["label"] == "COSMOPlat (company)" and graph.nodes[COMPANY]["sources"] == "a000 curated"
    assert "helcaos" in graph.nodes[COSMOPLAT]["skos:altLabel"]


def test_one_edge_per_triple_with_unique_keys(ds: Dataset, graph: nx.MultiDiGraph) -> None:
    keys = [k for _, _, k in graph.edges(keys=True)]
    assert len(keys) == len(set(keys))
    statements = set(ds.subjects(RDF.type, RDF.Statement))
    expected = {
        (s, p, o)
        for s, p, o in ds.triples((None, None, None))
        if isinstance(o, URIRef)
        and p != RDF.type
        and not is_ontology_term(s)
        and not is_ontology_term(o)
        and s not in statements
        and o not in statements
    }
    assert graph.number_of_edges() == len(expected)


def test_values_are_strings_and_statements_and_ontology_left_out(graph: nx.MultiDiGraph) -> None:
    for _, data in graph.nodes(data=True):
        assert all(isinstance(v, str) for v in data.values())
    for *_, data in graph.edges(data=True):
        assert all(isinstance(v, str) for v in data.values())
    kinds = {k for _, k in graph.nodes(data="kind")}
    assert kinds == {"entity", "record", "article"}
    assert not any(n.startswith(str(QDO)) for n in graph)
    # a link to an ontology term (unit, qualifier) becomes an attribute holding the term's label
    units = {d["qdo:unit"] for _, d in graph.nodes(data=True) if "qdo:unit" in d}
    assert {"percent", "percentage point", "yuan"} <= units and not any(u.startswith("qdo:") for u in units)


def test_options_statements_ontology_and_literal_nodes(ds: Dataset, graph: nx.MultiDiGraph) -> None:
    full = rdf_to_nx(ds, statements=True, ontology=True)
    assert {"statement", "ontology"} <= {k for _, k in full.nodes(data="kind")}
    assert str(QDO.Enterprise) in full
    literal_triples = sum(1 for _, _, o in ds.triples((None, None, None)) if isinstance(o, Literal))
    with_literals = rdf_to_nx(ds, literals="nodes", statements=True, ontology=True)
    literal_nodes = [n for n, k in with_literals.nodes(data="kind") if k == "literal"]
    assert len(literal_nodes) == literal_triples  # equal values of different subjects never merge
    assert all(n.startswith("lit:") for n in literal_nodes)
    with pytest.raises(KGError):
        rdf_to_nx(ds, literals="columns")


def test_restrict_to_classes_and_predicates(ds: Dataset) -> None:
    orgs = rdf_to_nx(ds, classes=[QDO.Organization])
    assert HAIER in orgs and CHERY in orgs  # Enterprise is a subclass of Organization
    subclasses = {c.n3(ds.namespace_manager) for c in ds.transitive_subjects(RDFS.subClassOf, QDO.Organization)}
    assert all(set(d["class"].split()) & subclasses for _, d in orgs.nodes(data=True))
    assert str(QD.Qingdao) not in orgs
    built = rdf_to_nx(ds, predicates=[QDO.builtBy])
    assert {d["predicate"] for *_, d in built.edges(data=True)} == {str(QDO.builtBy)}
    assert {PLATFORM, COSMOPLAT, COMPANY, CHERY, HAIER} <= set(built)


def test_stable_ids_across_loads(ds: Dataset) -> None:
    first = rdf_to_nx(ds, literals="nodes")
    again = rdf_to_nx(ds, literals="nodes")
    assert list(first) == list(again)
    assert sorted(first.edges(keys=True)) == sorted(again.edges(keys=True))


def test_blank_nodes_get_stable_distinct_ids() -> None:
    data = """@prefix ex: <https://example.org/> .
    ex:a ex:knows [ ex:name "B" ], [ ex:name "C" ] ."""
    ids = []
    for _ in range(2):
        g = Dataset()
        g.parse(data=data, format="turtle")
        ids.append(sorted(n for n in rdf_to_nx(g) if n.startswith("_:")))
    assert ids[0] == ids[1] and len(set(ids[0])) == 2


def test_neighbourhood_shows_cosmoplat_chery_haier(graph: nx.MultiDiGraph) -> None:
    assert list(neighbourhood(graph, COSMOPLAT, 0)) == [COSMOPLAT]
    view = neighbourhood(graph, COSMOPLAT, 2)
    assert {COSMOPLAT, COMPANY, HAIER, PLATFORM} <= set(view) and CHERY not in view
    assert CHERY in neighbourhood(graph, COSMOPLAT, 3)  # platform ← company → Chery's platform → Chery
    assert len(view) < len(neighbourhood(graph, COSMOPLAT, 2, hub_limit=None))  # Qingdao not walked through
    with pytest.raises(KGError):
        neighbourhood(graph, "https://example.org/nothing", 1)


@pytest.mark.parametrize("name", ["Haier", "haier", "  HAIER ", "qd:Haier", HAIER, f"<{HAIER}>", "Haier Group"])
def test_views_take_names_as_the_cli_does(graph: nx.MultiDiGraph, name: str) -> None:
    assert HAIER in neighbourhood(graph, name, 0)
    assert graph.graph == {} and find_node(graph, name) == HAIER


def test_name_errors_speak_python(ds: Dataset, graph: nx.MultiDiGraph) -> None:
    assert find_node(graph, "Haier Kaos") == COSMOPLAT  # an alias
    assert find_node(graph, "Five-Year Plan for Building a Pioneer City with Modern Industries (2022-2026)")
    for call, message in [
        (lambda: neighbourhood(graph, "Haeir", 1), "no node of this graph is named 'Haeir'; did you mean 'Haier'"),
        (lambda: paths_between(graph, "Chery", "Nokia"), "no node of this graph is named 'Nokia'"),
        (lambda: find_node(rdf_to_nx(ds, classes=[QDO.Platform]), "Haier", ds), "is not a node of this graph"),
        (lambda: paths_between(graph, "Haier", "qd:Haier"), "are the same node"),
    ]:
        with pytest.raises(KGError, match=re.escape(message)) as caught:
            call()
        assert "--" not in str(caught.value)
    twins = nx.MultiDiGraph()
    twins.add_node("https://example.org/a", label="Twin")
    twins.add_node("https://example.org/b", label="twin")
    with pytest.raises(KGError, match="names several nodes of this graph") as caught:
        find_node(twins, "TWIN")
    assert "https://example.org/a (Twin)" in str(caught.value)


def test_palette_one_colour_per_class_everywhere(graph: nx.MultiDiGraph) -> None:
    colours = [f.colour for f in (*netstyle.FAMILIES, netstyle.OTHER)]
    assert len(set(colours)) == len(colours)
    assert netstyle.colour(graph.nodes[COSMOPLAT]) == netstyle.FAMILIES[0].colour  # Platform before Enterprise
    assert netstyle.colour({"class": "qdo:Launch"}) == netstyle.colour({"class": "qdo:Event"})  # via subClassOf
    assert netstyle.colour({"class": "qdo:Factory"}) == netstyle.colour({"class": "qdo:IndustrialPark"})
    assert netstyle.colour({"class": "ex:Unknown"}) == netstyle.OTHER.colour
    for view in (graph, neighbourhood(graph, HAIER, 1), paths_between(graph, CHERY, HAIER)):
        entries = netstyle.legend([d for _, d in view.nodes(data=True)])
        assert len({e.colour for e in entries}) == len(entries)  # never two legend entries with one colour
        assert sum(e.count for e in entries) == view.number_of_nodes()
        page = render_html(view, "view")
        data = json.loads(re.search(r"new vis\.DataSet\((\[.*?\])\);", page).group(1).replace("\\/", "/"))
        by_id = {n["id"]: n["color"]["background"] for n in data}
        assert by_id[HAIER] == netstyle.FAMILIES[3].colour  # Enterprise blue in every view
    palette = json.loads(netstyle.palette_json())
    assert palette["classes"]["qdo:Enterprise"] == netstyle.FAMILIES[3].colour
    assert palette["classes"]["qdo:Launch"] == palette["classes"]["qdo:Event"]


def test_paths_and_shortest_path_avoid_hubs(graph: nx.MultiDiGraph) -> None:
    entities = entity_graph(graph)
    view = paths_between(entities, CHERY, HAIER)
    assert {CHERY, PLATFORM, COMPANY, COSMOPLAT, HAIER} <= set(view)
    steps = shortest_path(entities, CHERY, HAIER)
    assert [s[0] for s in steps] == [CHERY, PLATFORM, COMPANY]
    assert steps[-1][3]["label"] == "subsidiary of"
    assert [s[2] for s in steps] == ["←", "→", "→"]
    assert steps[-1][3]["sources"] == "curated"
    lonely = nx.MultiDiGraph([(COSMOPLAT, HAIER)])
    lonely.add_node(CHERY)
    with pytest.raises(KGError, match="no path"):
        shortest_path(lonely, CHERY, HAIER)


def test_centrality_and_components(graph: nx.MultiDiGraph) -> None:
    top = centrality(entity_graph(graph), 5)
    assert top[0].label == "Qingdao" and len(top) == 5
    assert top[0].betweenness >= top[1].betweenness
    parts = components(graph)
    assert sum(len(c) for c in parts) == len(graph)
    assert len(parts[0]) >= len(parts[-1])


def test_query_views(ds: Dataset) -> None:
    construct = run_query(ds, "CONSTRUCT { ?p qdo:builtBy ?b } WHERE { ?p qdo:builtBy ?b }", timeout=30)
    built = query_graph(ds, construct)
    assert built.nodes[COSMOPLAT]["label"] == "COSMOPlat"  # labels come from the dataset
    assert {d["sources"] for *_, d in built.edges(data=True)} >= {"a000", "curated"}
    select = run_query(ds, "SELECT ?x WHERE { VALUES ?x { qd:COSMOPlat qd:Haier } }", timeout=30)
    assert set(query_graph(ds, select)) == {COSMOPLAT, HAIER}  # linked: built by
    with pytest.raises(KGError):
        query_graph(ds, run_query(ds, "ASK { ?s ?p ?o }", timeout=30))


def _attribute_counts(g: nx.Graph) -> tuple[int, int, int, int]:
    return (
        g.number_of_nodes(),
        g.number_of_edges(),
        sum(len(d) for _, d in g.nodes(data=True)),
        sum(len(d) for *_, d in g.edges(data=True)),
    )


@pytest.mark.slow  # every graph format, read back
@pytest.mark.parametrize("literals", ["attributes", "nodes"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_export_round_trips(ds: Dataset, tmp_path: Path, fmt: str, literals: str) -> None:
    original = rdf_to_nx(ds, literals=literals, statements=literals == "nodes", ontology=literals == "nodes")
    path = tmp_path / f"graph.{fmt}"
    write_graph(original, path, fmt)
    if fmt == "graphml":
        back = nx.read_graphml(path, force_multigraph=True)
    elif fmt == "gexf":
        back = nx.MultiDiGraph(nx.read_gexf(path))
        # the GEXF reader returns each edge's id as an attribute: it must be our unique key
        ids = [d.pop("id") for *_, d in back.edges(data=True)]
        assert sorted(ids) == sorted(k for *_, k in original.edges(keys=True))
    else:
        back = read_node_link_json(path.read_text(encoding="utf-8"))
    assert _attribute_counts(back) == _attribute_counts(original)
    assert dict(back.nodes[COSMOPLAT]) == dict(original.nodes[COSMOPLAT])
    if fmt != "gexf":
        assert sorted(back.edges(keys=True)) == sorted(original.edges(keys=True))


def test_graphml_has_unique_edge_ids(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    write_graph(graph, path, "graphml")
    ids = re.findall(r'<edge [^>]*id="([^"]+)"', path.read_text(encoding="utf-8"))
    assert len(ids) == graph.number_of_edges() == len(set(ids))
    data = json.loads(node_link_json(graph))
    assert len(data["links"]) == graph.number_of_edges()


def _injected_graph() -> nx.MultiDiGraph:
    ds = Dataset()
    evil, good = URIRef("https://example.org/evil"), URIRef("https://example.org/good")
    cls = URIRef("https://example.org/Evil")
    g = ds.graph(URIRef("https://example.org/g"))
    g.add((evil, RDF.type, cls))
    g.add((cls, SKOS.prefLabel, Literal(INJECTED)))
    g.add((evil, SKOS.prefLabel, Literal(INJECTED)))
    g.add((evil, URIRef("http://purl.org/dc/terms/description"), Literal(INJECTED)))
    g.add((evil, URIRef("https://example.org/links"), good))
    g.add((good, SKOS.prefLabel, Literal("good")))
    graph = rdf_to_nx(ds)
    assert graph.nodes[str(evil)]["label"] == INJECTED and graph.nodes[str(evil)]["group"] == INJECTED
    return graph


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [name for name, _ in attrs]))


def _tags(page: str) -> list[tuple[str, list[str]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_html_is_offline_and_escaped(graph: nx.MultiDiGraph) -> None:
    page = render_html(neighbourhood(graph, COSMOPLAT, 2), "COSMOPlat", focus=COSMOPLAT)
    assert not re.search(r"https?://", page)  # no URL a browser could fetch, not even in text
    evil = render_html(_injected_graph(), INJECTED)
    assert not re.search(r"https?://", evil)
    for tags in (_tags(page), _tags(evil)):
        assert {t for t, _ in tags} <= ALLOWED_TAGS
        assert not any({"src", "href"} & set(attrs) or any(a.startswith("on") for a in attrs) for _, attrs in tags)
    assert "&lt;img src=x onerror=" in evil  # the heading and legend show the text
    assert evil.count("<h1>") == 1


def test_empty_graphs_are_errors_not_blank_pages() -> None:
    with pytest.raises(KGError, match="nothing to draw"):
        render_html(nx.MultiDiGraph(), "nothing")


def test_notebook_view_uses_iframe_srcdoc(graph: nx.MultiDiGraph) -> None:
    shown = notebook_view(neighbourhood(graph, COSMOPLAT, 1), "COSMOPlat")
    assert "<iframe srcdoc=" in shown.data and 'sandbox="allow-scripts"' in shown.data
    assert "<script" not in shown.data  # the whole page is inside the attribute, escaped


def _cli() -> click.Group:
    group = click.Group()
    register(group)
    return group


@pytest.mark.slow
def test_cli_graph_and_central(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cosmoplat.html"
    result = runner.invoke(_cli(), ["graph", "--focus", "COSMOPlat", "--depth", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "COSMOPlat and its links (depth 2)" in out.read_text(encoding="utf-8")
    gexf = tmp_path / "paths.gexf"
    result = runner.invoke(_cli(), ["graph", "--path", "chery", "Haier Kaos", "-o", str(gexf)])
    assert result.exit_code == 0, result.output
    assert PLATFORM in nx.read_gexf(gexf)
    result = runner.invoke(_cli(), ["central", "--top", "3", "--path", "Chery", "Haier"])
    assert result.exit_code == 0, result.output
    assert "Qingdao" in result.output and "COSMOPlat (company) → subsidiary of → Haier  [curated]" in result.output
    entities, nodes = len(entity_graph(graph)), len(graph)
    counted = f"Counted: {entities} entities. `kg graph` draws {nodes} nodes: the other {nodes - entities} are records"
    assert counted in result.output
    result = runner.invoke(_cli(), ["central", "--top", "1", "--all-nodes"])
    assert f"Counted: all {nodes} nodes" in result.output
    result = runner.invoke(_cli(), ["graph", "--focus", "Nokia", "-o", str(out)])
    assert isinstance(result.exception, KGError) and "no entity is named 'Nokia'" in str(result.exception)
    result = runner.invoke(_cli(), ["graph", "--focus", "Haier", "--query", "x", "-o", str(out)])
    assert result.exit_code == 2
    result = runner.invoke(_cli(), ["graph", "--focus", "Haier", "--class", "qdo:Platform", "-o", str(out)])
    assert "Haier is left out by --class or --predicate" in str(result.exception)
    result = runner.invoke(_cli(), ["graph", "--class", "qdo:Unit", "-o", str(out)])
    assert "the view has no node, so there is nothing to draw" in str(result.exception)


def test_default_output_names_never_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_output("focus-COSMOPlat", "html", tmp_path) == tmp_path / "graph-focus-cosmoplat.html"
    assert default_output("path-Chery-Haier Kaos", "svg", tmp_path).name == "graph-path-chery-haier-kaos.svg"
    assert default_output("query-../../etc/passwd", "html", tmp_path).name == "graph-query-etc-passwd.html"
    assert default_output("青岛", "png", tmp_path).name == "graph-view.png"
    (tmp_path / "graph-whole.html").write_text("kept")
    (tmp_path / "graph-whole-2.html").symlink_to(tmp_path / "elsewhere")
    assert default_output("whole", "html", tmp_path).name == "graph-whole-3.html"
    runner = CliRunner()
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    Path(here, "graph-whole.html").write_text("kept")
    result = runner.invoke(_cli(), ["graph"])
    assert result.exit_code == 0, result.output
    assert Path(here, "graph-whole.html").read_text() == "kept"
    assert Path(here, "graph-whole-2.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("engine", ["sfdp", "networkx"])
def test_layout_positions_every_node(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "sfdp" and not shutil.which("sfdp"):
        missing_tool("Graphviz's sfdp is not installed")
    if engine == "networkx":
        monkeypatch.setattr(netlayout.shutil, "which", lambda name: None)  # as on a machine without Graphviz
    graph = nx.MultiDiGraph(nx.barabasi_albert_graph(netlayout.PHYSICS_LIMIT + 50, 2, seed=3))
    graph = nx.relabel_nodes(graph, {n: f'node "{n}" <{n}>' for n in graph})  # ids are never put in DOT text
    pos = netlayout.positions(graph)
    assert set(pos) == set(graph)
    assert all(abs(x) <= netlayout.SCALE / 2 + 1e-6 and abs(y) <= netlayout.SCALE / 2 + 1e-6 for x, y in pos.values())
    assert len({(round(x), round(y)) for x, y in pos.values()}) > len(graph) * 0.9  # spread out, not stacked
