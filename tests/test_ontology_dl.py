"""The ontology, alone and with all the data, is OWL 2 DL and consistent for the real HermiT, and `kg validate`
catches what would break that (defects planted in a copy); owlready2 loads ontology and data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, missing_tool
from rdflib import Dataset, Graph
from rdflib.namespace import OWL, RDF

from kg.dataset.load import load_dataset
from kg.dataset.paths import shipped_sources
from kg.errors import MemoryLimitExceeded
from kg.quality import reasoner as reasoner_check
from kg.quality.reasoner import dl_check, dl_graph, hermit_jar
from kg.quality.shacl import validate
from kg.vocab.namespaces import ONTOLOGY_IRI, QDO


@pytest.fixture(scope="module")
def hermit() -> None:
    """Java and the HermiT.jar of owlready2: skipped without them, but a failure in CI."""
    if shutil.which("java") is None:
        missing_tool("no java on PATH (.ci/run installs default-jre-headless)")
    if hermit_jar() is None:
        missing_tool("owlready2 (test extra), which ships HermiT.jar, is not installed")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KG_CACHE_DIR", str(folder))
    return folder


def _edit(path: Path, old: str | None, new: str) -> None:
    """Replace ``old`` by ``new`` once, or append ``new`` when ``old`` is None."""
    text = path.read_text(encoding="utf-8")
    if old is None:
        text += new
    else:
        assert old in text, f"test fixture text not found in {path.name}: {old!r}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.external
def test_ontology_alone_is_owl2_dl_and_consistent(hermit: None, cache: Path) -> None:
    ds = Dataset()
    ds.graph(ONTOLOGY_IRI).parse(ROOT / "ontology.ttl", format="turtle")
    result = dl_check(ds, [ROOT / "ontology.ttl"], use_cache=False)
    assert result.skipped is None
    assert result.findings == []


@pytest.mark.slow
@pytest.mark.external
def test_ontology_with_all_data_is_owl2_dl_and_consistent(hermit: None, cache: Path) -> None:
    files = [src.path for src in shipped_sources()]
    result = dl_check(load_dataset(), files, use_cache=False)
    assert result.skipped is None
    assert result.findings == [], "\n".join(map(str, result.findings))


def test_hermit_is_given_everything_but_the_reification_scaffolding(ds: Dataset) -> None:
    union = set(ds.triples((None, None, None)))
    scaffolding = {(s, p, o) for s, p, o in union if p in reasoner_check.REIFICATION or o == RDF.Statement}
    graph = dl_graph(ds)
    assert set(graph) == union - scaffolding
    statements = set(ds.subjects(RDF.type, RDF.Statement))
    assert len(statements) > 250
    proofs = {s for s in statements if {QDO.evidence, QDO.rationale} & set(graph.predicates(s))}
    assert proofs == statements, "each statement keeps its evidence or rationale"


# Each defect breaks what only the reasoner sees; the finding names the culprit and the axioms behind it.
PLANTED = {
    "individual of two disjoint classes": (
        "data/triples/entities.ttl",
        "qd:Chery a qdo:Enterprise ;",
        "qd:Chery a qdo:Enterprise, qdo:Person ;",
        ("reasoner", "qd:Chery", ["ClassAssertion(qdo:Person qd:Chery)", "DisjointClasses("]),
    ),
    "one node a platform and a company": (
        "data/triples/entities.ttl",
        "qd:COSMOPlat a qdo:Platform ;",
        "qd:COSMOPlat a qdo:Platform, qdo:Enterprise ;",
        ("reasoner", "qd:COSMOPlat", ["ClassAssertion(qdo:Enterprise qd:COSMOPlat)", "DisjointClasses("]),
    ),
    "value outside a data property's range": (
        "data/triples/curated.ttl",
        None,
        "\nqd:Qingdao qdo:statement 2020 .\n"
        "qd:cur-x a rdf:Statement ; rdf:subject qd:Qingdao ; rdf:predicate qdo:statement ; rdf:object 2020 ;\n"
        '    qdo:rationale "planted" .\n',
        ("reasoner", "qd:Qingdao", ["DataPropertyRange(qdo:statement rdf:PlainLiteral)", '"2020"^^xsd:integer']),
    ),
    "unsatisfiable class": (
        "ontology.ttl",
        None,
        "\nqdo:Cyborg a owl:Class ; rdfs:subClassOf qdo:Person, qdo:Organization .\n",
        ("reasoner", "qdo:Cyborg", ["SubClassOf(qdo:Cyborg qdo:Person)", "SubClassOf(qdo:Cyborg qdo:Organization)"]),
    ),
    "datatype outside the OWL 2 datatype map": (
        "ontology.ttl",
        'qdo:theme a owl:DatatypeProperty ;\n    rdfs:label "theme"@en ;',
        'qdo:theme a owl:DatatypeProperty ;\n    rdfs:label "theme"@en ; rdfs:range xsd:date ;',
        ("owl-dl", "xsd:date", ["outside the OWL 2 datatype map", "range of qdo:theme"]),
    ),
    "undeclared super-property": (
        "ontology.ttl",
        "org:member a owl:ObjectProperty .\n",
        "",
        ("owl-dl", "org:member", ["Use of undeclared", "qdo:holder org:member"]),
    ),
}


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_planted_defect_is_caught(hermit: None, cache: Path, project_copy: Path, name: str) -> None:
    file, old, new, (check, where, fragments) = PLANTED[name]
    _edit(project_copy / file, old, new)
    report = validate(root=project_copy)
    assert report.reasoned
    found = [f for f in report.findings if f.check == check and where in f.where]
    assert found, "\n".join(map(str, report.findings))
    for fragment in fragments:
        assert any(fragment in f.message for f in found), (fragment, [f.message for f in found])


@pytest.mark.slow
@pytest.mark.external
def test_a_year_of_the_wrong_type_is_shacls_to_catch(hermit: None, cache: Path, project_copy: Path) -> None:
    """Years are annotation properties, outside what HermiT reasons about (docs/modelling.md): SHACL checks them."""
    _edit(project_copy / "data/triples/a001.ttl", 'qdo:year "2019"^^xsd:gYear', 'qdo:year "abc"^^xsd:string')
    report = validate(root=project_copy)
    assert report.reasoned
    checks = {f.check for f in report.findings}
    assert "shacl" in checks and not checks & {"reasoner", "owl-dl"}  # kg's own range check sees it too
    assert any("qdo:year" in f.message and "xsd:gYear" in f.message for f in report.findings)


@pytest.mark.slow
@pytest.mark.external
def test_owl_imports_are_never_fetched(hermit: None, cache: Path, tmp_path: Path, listener) -> None:
    url, received = listener
    extra = tmp_path / "imports.ttl"
    extra.write_text(f"<urn:x:onto> a <{OWL.Ontology}> ; <{OWL.imports}> <{url}> .\n", encoding="utf-8")
    report = validate([extra])
    assert report.reasoned
    assert received == []


@pytest.mark.slow
@pytest.mark.external
def test_the_answer_is_cached_by_input(hermit: None, cache: Path, project_copy: Path) -> None:
    first = validate(root=project_copy)
    assert first.ok and first.reasoned
    [entry] = cache.glob("reasoner-*.tsv")
    entry.write_text("inconsistent\n", encoding="utf-8")  # what a second run reads instead of asking HermiT
    assert [f.check for f in validate(root=project_copy).findings] == ["reasoner"]
    _edit(project_copy / "data/triples/curated.ttl", None, "\n")  # another input, another entry
    assert validate(root=project_copy).ok
    assert len(list(cache.glob("reasoner-*.tsv"))) == 2


@pytest.mark.slow
@pytest.mark.external
def test_hermit_short_of_memory_is_the_memory_limit(hermit: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reasoner_check, "_heap_options", lambda: ["-Xms4m", "-Xmx8m"])
    with pytest.raises(MemoryLimitExceeded, match="--memory-limit"):
        dl_check(load_dataset(), [ROOT / "ontology.ttl"], use_cache=False)


def kg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow
@pytest.mark.external
def test_cli_exit_1_with_the_reasoners_finding_and_no_reasoner_skips_it(hermit: None, project_copy: Path) -> None:
    chery = "qd:Chery a qdo:Enterprise ;"
    _edit(project_copy / "data/triples/entities.ttl", chery, "qd:Chery a qdo:Enterprise, qdo:Person ;")
    env = {**os.environ, "KG_ROOT": str(project_copy), "KG_CACHE_DIR": str(project_copy / "cache")}
    proc = kg("validate", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[reasoner] qd:Chery" in proc.stdout and "inconsistent (HermiT)" in proc.stdout
    skipped = kg("validate", "--no-reasoner", env=env)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert skipped.stdout.startswith("OK:") and "HermiT" not in skipped.stdout


@pytest.mark.slow
def test_without_java_validation_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "KG_CACHE_DIR": str(tmp_path / "cache")}
    proc = kg("validate", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK:") and "HermiT" not in proc.stdout
    note = "note: HermiT's OWL 2 DL check was skipped: no java on PATH (Debian: apt-get install default-jre-headless)"
    assert proc.stderr == note + "\n"


@pytest.mark.slow
@pytest.mark.external
def test_owlready2_loads_ontology_and_data_and_its_hermit_agrees(hermit: None, ds: Dataset, tmp_path: Path) -> None:
    """What an owlready2 user does: load everything (reifications included) and call sync_reasoner()."""
    import datetime

    import owlready2

    path = tmp_path / "all.nt"
    union = Graph()
    for triple in ds.triples((None, None, None)):
        union.add(triple)
    union.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load(format="ntriples")
    qdo = world.get_namespace(str(QDO))
    qd = world.get_namespace("https://w3id.org/qingdao-kg/id/")
    assert qd.COSMOPlat in set(qdo.Platform.instances()) and qd.COSMOPlat not in set(qdo.Enterprise.instances())
    assert qd.COSMOPlatCompany in set(qdo.Enterprise.instances())  # the company behind it: another entity
    assert qdo.value[qd["a001-obs-sei-share-2019"]] == [31.8]
    assert qdo.date[qd.DigitalIndustryForum2021] == [datetime.date(2021, 4, 28)]
    owlready2.sync_reasoner_hermit(world, debug=0)  # strict HermiT: raises on an inconsistency or a refused datatype
    assert list(world.inconsistent_classes()) == []
