"""Exports proven: every format parses back to the same graph (quads for quad formats), the same bytes come out
run after run, and independent parsers (Oxigraph, Raptor's rapper, N3.js) count the same statements."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import ROOT, missing_tool
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, SKOS

from kg.dataset.load import load_dataset
from kg.errors import InputError, KGError
from kg.publish.rdf import FORMATS, QUAD_FORMATS, Scope, context, export, select
from kg.vocab.namespaces import ART, CURATED_GRAPH, ENTITIES_GRAPH, INFERRED_GRAPH, ONTOLOGY_IRI, QD, QDO

N3_COUNT = ROOT / "tools" / "n3count" / "count.js"
#: A TriG file with what the shipped data lacks: blank nodes (one shared by two graphs), a list, the
#: default graph, a language tag, a typed literal, quotes, a newline and non-ASCII text.
EXTRA = """@prefix ex: <http://example.org/vocab/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:s ex:note "in the default graph", "zweisprachig"@de .
<http://example.org/g1> { _:a ex:name "Ünïcødé \\"quoted\\"\\nnew line" ; ex:knows _:b . _:b ex:age "7"^^xsd:integer . }
<http://example.org/g2> { _:b ex:name "shared blank node" . _:c ex:list ( 1 2 ) . }
"""


@pytest.fixture(scope="module")
def extra_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("extra") / "extra.trig"
    path.write_text(EXTRA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def extra_ds(extra_file: Path) -> Dataset:
    return load_dataset([extra_file])


def _encoded(quads) -> Graph:
    """Quads as triples whose predicate also names the graph, so that isomorphism compares quads."""
    out = Graph()
    for s, p, o, g in quads:
        out.add((s, URIRef(f"urn:test:{quote(str(g), safe='')}:{quote(str(p), safe='')}"), o))
    return out


def _quads_of(ds: Dataset):
    for s, p, o, g in ds.quads((None, None, None, None)):
        yield s, p, o, getattr(g, "identifier", g)


def _assert_round_trip(ds: Dataset, fmt: str, scope: Scope | None = None) -> None:
    scope = scope or Scope()
    source = select(ds, scope)
    result = export(ds, fmt, scope)
    if fmt in QUAD_FORMATS:
        back = Dataset()
        back.parse(data=result.text, format=FORMATS[fmt])
        parsed = list(_quads_of(back))
        assert len(parsed) == len(source) == result.quads
        assert {q[3] for q in parsed} == {q[3] for q in source}
        assert isomorphic(_encoded(parsed), _encoded(source))
    else:
        back = Graph().parse(data=result.text, format=FORMATS[fmt])
        union = Graph()
        for s, p, o, _ in source:
            union.add((s, p, o))
        assert len(back) == len(union) == result.triples
        assert isomorphic(back, union)


@pytest.mark.slow  # every format, parsed back
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_whole_graph(ds: Dataset, fmt: str) -> None:
    _assert_round_trip(ds, fmt)


@pytest.mark.slow  # every format, parsed back
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_blank_nodes_lists_default_graph(extra_ds: Dataset, fmt: str) -> None:
    _assert_round_trip(extra_ds, fmt, Scope(with_ontology=False))


def test_quad_formats_keep_every_source_graph(ds: Dataset) -> None:
    result = export(ds, "trig")
    assert set(result.graphs) == {*(ART[f"a00{i}"] for i in range(5)), ENTITIES_GRAPH, CURATED_GRAPH, ONTOLOGY_IRI}
    assert result.quads > result.triples  # the same triple stated by two sources stays in both


def test_turtle_says_it_flattens_in_a_header_comment(ds: Dataset) -> None:
    text = export(ds, "turtle").text
    header = text.split("\n\n", 1)[0]
    assert all(line.startswith("# ") for line in header.splitlines())
    words = " ".join(line.removeprefix("# ") for line in header.splitlines())
    assert "Turtle holds no named graphs" in words and "the union of 8 graph(s)" in words and "art:a003" in words


def test_json_ld_uses_the_documented_compact_context(ds: Dataset) -> None:
    doc = json.loads(export(ds, "jsonld").text)
    assert doc["@context"] == context()
    graphs = {g["id"]: g["@graph"] for g in doc["@graph"]}
    chery = next(n for n in graphs["qdg:entities"] if n["id"] == "qd:Chery")
    assert chery["type"] == "qdo:Enterprise" and chery["prefLabel"] == "Chery"
    builders = next(n for n in graphs["qdg:curated"] if n["id"] == "qd:COSMOPlat")
    assert sorted(builders["builtBy"]) == ["qd:COSMOPlatCompany", "qd:Haier"]


def test_context_covers_every_ontology_property_and_is_documented(ds: Dataset) -> None:
    ctx = context()
    onto = ds.graph(ONTOLOGY_IRI)
    properties = {*onto.subjects(RDF.type, OWL.ObjectProperty), *onto.subjects(RDF.type, OWL.DatatypeProperty)}
    ours = {f"qdo:{p[len(QDO) :]}" for p in properties if p.startswith(QDO)}
    mapped = {v["@id"] for v in ctx.values() if isinstance(v, dict)}
    assert len(ours) > 50 and ours <= mapped
    assert len(mapped) == len([v for v in ctx.values() if isinstance(v, dict)]), "two keys for one property"
    guide = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    for key in ctx:
        assert f"`{key}`" in guide, f"docs/export.md does not document the JSON-LD key {key}"


def test_one_graph_by_short_id_curie_or_iri(ds: Dataset) -> None:
    by_id = export(ds, "nquads", Scope(graph="a001"))
    assert by_id.graphs == (ART.a001,)
    assert export(ds, "nquads", Scope(graph="art:a001")).text == by_id.text
    assert export(ds, "nquads", Scope(graph=str(ART.a001))).text == by_id.text
    assert by_id.quads == len(ds.graph(ART.a001))
    with_onto = export(ds, "nquads", Scope(graph="a001", with_ontology=True))
    assert with_onto.graphs == (ART.a001, ONTOLOGY_IRI)


def test_entities_only_and_without_ontology(ds: Dataset) -> None:
    entities = export(ds, "trig", Scope(entities_only=True))
    assert entities.graphs == (ENTITIES_GRAPH,)
    back = Dataset()
    back.parse(data=entities.text, format="trig")
    assert (QD.Haier, SKOS.prefLabel, None) in back.graph(ENTITIES_GRAPH)
    assert len(back.graph(ENTITIES_GRAPH)) == entities.quads == len(list(back.quads((None, None, None, None))))
    without = export(ds, "trig", Scope(with_ontology=False))
    assert ONTOLOGY_IRI not in without.graphs and len(without.graphs) == 7


def test_scope_errors_are_one_line(ds: Dataset) -> None:
    with pytest.raises(KGError, match=r"no graph 'a999'; the graphs are: art:a000"):
        export(ds, "turtle", Scope(graph="a999"))
    with pytest.raises(KGError, match="at most one"):
        export(ds, "turtle", Scope(graph="a001", entities_only=True))
    with pytest.raises(KGError, match="unknown export format"):
        export(ds, "rdfa")


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.slow
@pytest.mark.usefixtures("private_cache")
def test_inferred_comes_as_its_own_graph_never_mixed(ds: Dataset) -> None:
    plain = select(ds)
    added = select(ds, Scope(inferred="add"))
    inferred = [q for q in added if q[3] == INFERRED_GRAPH]
    assert {q for q in added if q[3] != INFERRED_GRAPH} == set(plain)
    assert len(inferred) > 1000
    asserted = {q[:3] for q in plain}
    assert not any(q[:3] in asserted for q in inferred)
    assert (QD.Haier, QDO.built, QD.COSMOPlat, INFERRED_GRAPH) in inferred  # the inverse of builtBy
    assert set(select(ds, Scope(inferred="only"))) == set(inferred)
    one = select(ds, Scope(graph="a000", inferred="only"))
    assert one and all(q[3] == INFERRED_GRAPH for q in one) and len(one) < len(inferred)
    _assert_round_trip(ds, "trig", Scope(inferred="add"))


def test_hostile_rdf_xml_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/x"><ex:p>&b;</ex:p></rdf:Description></rdf:RDF>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="DOCTYPE or ENTITY declaration is refused"):
        load_dataset([bomb])
    sneaky = tmp_path / "sneaky.owl"
    sneaky.write_bytes(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!  entity x 'y'>\n<rdf:RDF/>")
    with pytest.raises(InputError, match="refused"):
        load_dataset([sneaky])


# --- as a user runs it: subprocesses, other hash seeds --------------------------------------------------------


def kg(*args: str, seed: str = "0") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, timeout=180, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_byte_identical_across_runs(fmt: str, extra_file: Path) -> None:
    """Python's set order changes with the hash seed, so two processes with different seeds must agree."""
    first = kg("export", "--format", fmt, "--data", str(extra_file), seed="1")
    second = kg("export", "--format", fmt, "--data", str(extra_file), seed="2")
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == second.stdout and len(first.stdout) > 1000


@pytest.mark.slow
def test_cli_writes_file_notes_flattening_and_refuses_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "graph.nt"
    proc = kg("export", "-o", str(out), "--graph", "a002")
    assert proc.returncode == 0, proc.stderr.decode()
    stderr = proc.stderr.decode()
    assert "note: N-Triples holds no named graphs" in stderr and f"to {out}" in stderr
    assert out.read_bytes().count(b"\n") == export(load_dataset(), "nt", Scope(graph="a002")).triples
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', encoding="utf-8")
    for args in (["--data", str(bomb)], ["--graph", "nosuch"]):
        bad = kg("export", *args)
        assert bad.returncode == 2 and bad.stderr.startswith(b"error:") and b"Traceback" not in bad.stderr
    both = kg("export", "--inferred", "--inferred-only")
    assert both.returncode == 2 and b"give one of them" in both.stderr


# --- independent parsers -------------------------------------------------------------------------------------


def need(tool: str, found: object) -> None:
    """Skip without the tool on a developer's machine; fail in CI (CI=true), where .ci/run installs it."""
    if not found:
        missing_tool(f"{tool} is not installed")


#: What exporters used to mangle (tests/test_security_export.py generates the variants): every format writes
#: these as they are, so the independent parsers must read the same statements from each.
HOSTILE = r"""@prefix ex: <http://example.org/vocab/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:s ex:html "<p>x</p>"^^rdf:HTML ; ex:xml "<a  b='1'>x</a >"^^rdf:XMLLiteral ;
  ex:special "INF"^^xsd:double, "-INF"^^xsd:float, "NaN"^^xsd:double, "1.0E0"^^xsd:double ;
  ex:illTyped "abc"^^xsd:integer, "01"^^xsd:integer, "1"^^xsd:boolean, " 1 "^^xsd:decimal ;
  ex:text "tab\tquote\"back\\slash\nline\r\u2028\u0085\U0001F600", "ends in a backslash, a quote\n\\\"" ;
  ex:lang "x"@EN-gb, "y"@zh-Hans-CN .
<http://example.org/g1> { _:a ex:next _:b . _:b ex:next _:a ; ex:list ( "" 0 false ) . }
"""


@pytest.fixture(scope="module", params=["shipped", "hostile"])
def exported(
    request: pytest.FixtureRequest, ds: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, object]]:
    folder = tmp_path_factory.mktemp("exports")
    if request.param == "hostile":
        source = folder / "hostile.trig"
        source.write_text(HOSTILE, encoding="utf-8")
        ds = load_dataset([source], sources=[])
    files = {}
    for fmt in FORMATS:
        result = export(ds, fmt)
        path = folder / f"graph.{fmt}"
        path.write_bytes(result.text.encode("utf-8"))
        files[fmt] = (path, result)
    return files


@pytest.mark.slow
@pytest.mark.external
def test_oxigraph_agrees_on_every_format(exported: dict) -> None:
    try:
        import pyoxigraph as ox
    except ImportError:
        ox = None
    need("pyoxigraph (pip)", ox)
    from kg.publish.rdf import OXIGRAPH_FORMATS as names

    triple_sets = {}
    for fmt, (path, result) in exported.items():
        quads = list(ox.parse(path=str(path), format=names[fmt]))
        graphs = {str(q.graph_name) for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
        assert len(quads) == (result.quads if fmt in QUAD_FORMATS else result.triples), fmt
        assert len(graphs) == (len(result.graphs) if fmt in QUAD_FORMATS else 0), fmt
        union = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        union.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)  # blank node labels differ from file to file
        triple_sets[fmt] = {str(q) for q in union}
    assert all(triples == triple_sets["nt"] for triples in triple_sets.values()), "formats disagree on the triples"


RAPPER_NAMES = {"turtle": "turtle", "trig": "trig", "nquads": "nquads", "nt": "ntriples", "xml": "rdfxml"}


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.parametrize("fmt", sorted(RAPPER_NAMES))
def test_rapper_agrees(exported: dict, fmt: str) -> None:
    rapper = shutil.which("rapper")
    need("rapper (Debian raptor2-utils)", rapper)
    path, result = exported[fmt]
    proc = subprocess.run(
        [rapper, "-i", RAPPER_NAMES[fmt], "-c", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = result.quads if fmt in QUAD_FORMATS else result.triples
    assert f"Parsing returned {expected} triples" in proc.stderr


N3_NAMES = {"turtle": "turtle", "trig": "trig", "nquads": "nquads", "nt": "ntriples"}


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.parametrize("fmt", sorted(N3_NAMES))
def test_n3js_agrees(exported: dict, fmt: str) -> None:
    node = shutil.which("node")
    need("node", node)
    need("N3.js (npm ci --prefix tools/n3count)", (N3_COUNT.parent / "node_modules" / "n3").is_dir())
    path, result = exported[fmt]
    proc = subprocess.run([node, str(N3_COUNT), N3_NAMES[fmt], str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["triples"] == result.triples
    assert counts["quads"] == (result.quads if fmt in QUAD_FORMATS else result.triples)
    assert counts["graphs"] == (len(result.graphs) if fmt in QUAD_FORMATS else 0)
