"""`kg validate` is clean on the shipped data and catches each kind of defect planted in a copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.quality.shacl import validate


def test_shipped_graph_is_clean() -> None:
    report = validate()
    assert report.ok, "\n".join(map(str, report.findings))
    assert report.triples > 3000


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


MUTATIONS = {
    "tampered evidence": (
        "a000.ttl",
        'qdo:evidence "Here, a brand-new vehicle comes off the assembly line every 1.5 minutes." ;',
        'qdo:evidence "Here, a brand-new vehicle comes off the assembly line every 1.2 minutes." ;',
        "evidence",
    ),
    "unbacked statement": (
        "a000.ttl",
        "qd:HaierWashingMachineFactory qdo:hasRecognition qd:GlobalLighthouseFactory .",
        "qd:HaierWashingMachineFactory qdo:hasRecognition qd:GlobalLighthouseFactory .\n"
        "qd:Haier qdo:hasRecognition qd:GlobalLighthouseFactory .",
        "backing",
    ),
    "misspelled standard term": (
        "entities.ttl",
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ;',
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ; skos:prefLable "Chery"@en ;',
        "vocabulary",
    ),
    "undeclared ontology term": (
        "a000.ttl",
        "qd:CheryAutoPlatform qdo:builtBy qd:COSMOPlatCompany, qd:Chery ;",
        "qd:CheryAutoPlatform qdo:constructedBy qd:Chery ; qdo:builtBy qd:COSMOPlatCompany, qd:Chery ;",
        "vocabulary",
    ),
    "undefined entity": (
        "a000.ttl",
        "rdf:object qd:Chery ; dcterms:source art:a000 ;",
        "rdf:object qd:Cherry ; dcterms:source art:a000 ;",
        "references",
    ),
    "integer amount": ("a000.ttl", "qdo:value 1.5 ;", "qdo:value 2 ;", "numbers"),
    "decimal count": ("a000.ttl", "qdo:value 31 ;", "qdo:value 31.0 ;", "numbers"),
    "text value": ("a000.ttl", "qdo:value 1.5 ;", 'qdo:value "1.5" ;', "shacl"),
    "target without deadline": ("a002.ttl", 'qdo:timeframe "in the next three years"', "", "shacl"),
    "fact in the entities file": (
        "entities.ttl",
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ;',
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ; qdo:locatedIn qd:China ;',
        "entities",
    ),
    "curated fact without rationale": (
        "curated.ttl",
        "qd:Shandong qdo:locatedIn qd:China .",
        "qd:Shandong qdo:locatedIn qd:China .\nqd:Jinan qdo:locatedIn qd:China .",
        "backing",
    ),
    # the second fidelity pass: each kind of claim-more-than-the-quote defect the audit found (kg/quality/fidelity.py)
    "timeframe not in the quote": (
        "a002.ttl",
        'qdo:valueText "12%" ;',
        'qdo:valueText "12%" ; qdo:timeframe "2022-2026" ;',
        "coverage",
    ),
    "qualifier not written": (
        "a004.ttl",
        "qdo:unit qdo:USDollar ;",
        "qdo:unit qdo:USDollar ; qdo:qualifier qdo:MoreThan ;",
        "coverage",
    ),
    "year not in the quote": (
        "a000.ttl",
        "qdo:counts qd:NationalIntelligentManufacturingDemonstrationFactory ;",
        'qdo:counts qd:NationalIntelligentManufacturingDemonstrationFactory ; qdo:year "2023"^^xsd:gYear ;',
        "coverage",
    ),
    "vague date left unread": (
        "curated.ttl",
        'qd:AILeadersGathering qdo:yearMonth "2019-11"^^xsd:gYearMonth .',
        "",
        "dating",
    ),
    "derived figure passed off as the article's": (
        "curated.ttl",
        'qdo:valueText "0.6 percent (derived)" ;',
        'qdo:valueText "0.6 percent (derived)" ; dcterms:source art:a004 ;',
        "curated",
    ),
    "property outside its domain": (
        "a001.ttl",
        "qd:JQYParkPressConference qdo:topic qd:JQYInvestmentPark .",
        "qd:JQYParkPressConference qdo:topic qd:JQYInvestmentPark ; qdo:concerns qd:JQYInvestmentPark .",
        "domain",
    ),
    "industry of a figure": (
        "a003.ttl",
        "qdo:scopeIndustry qd:TextilesClothing, qd:RubberTires ;",
        "qdo:inIndustry qd:TextilesClothing, qd:RubberTires ;",
        "shacl",
    ),
    "identifying name in the entities file": (
        "entities.ttl",
        'qd:COSMOPlat a qdo:Platform ; skos:prefLabel "COSMOPlat"@en ;',
        'qd:COSMOPlat a qdo:Platform ; skos:prefLabel "COSMOPlat"@en ; skos:altLabel "Tsingtao beer"@en ;',
        "names",
    ),
    "name no article uses": (
        "entities.ttl",
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ;',
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ; skos:altLabel "Chery Automobile"@en ;',
        "names",
    ),
    "two labels": (
        "entities.ttl",
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en ;',
        'qd:Chery a qdo:Enterprise ; skos:prefLabel "Chery"@en, "Chery Automobile"@en ;',
        "shacl",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_planted_defect_is_found(project_copy: Path, name: str) -> None:
    file, old, new, check = MUTATIONS[name]
    _edit(project_copy / "data" / "triples" / file, old, new)
    report = validate(root=project_copy, reasoner=False)  # HermiT's own defects: tests/test_ontology_dl.py
    assert not report.ok
    assert check in {f.check for f in report.findings}, "\n".join(map(str, report.findings))


def test_curated_repeat_of_an_article_fact_is_found(project_copy: Path) -> None:
    path = project_copy / "data" / "triples" / "curated.ttl"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\nqd:Qingdao qdo:locatedIn qd:Shandong .\n"
        + "qd:cur-dup a rdf:Statement ; rdf:subject qd:Qingdao ; rdf:predicate qdo:locatedIn ;"
        + ' rdf:object qd:Shandong ; qdo:rationale "duplicate" .\n',
        encoding="utf-8",
    )
    report = validate(root=project_copy, reasoner=False)
    assert "curated" in {f.check for f in report.findings}


def test_parse_error_names_file_and_line(project_copy: Path) -> None:
    path = project_copy / "data" / "triples" / "a003.ttl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(20, 'qd:Qingdao qdo:statement "unterminated')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate(root=project_copy)
    [finding] = report.findings
    assert finding.check == "parse"
    assert "a003.ttl:21:" in finding.message


def test_unknown_file_in_triples_folder_is_an_error(project_copy: Path) -> None:
    from kg.errors import InputError

    (project_copy / "data" / "triples" / "notes.ttl").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.ttl"):
        validate(root=project_copy)


def test_remote_jsonld_context_is_never_fetched(tmp_path: Path, listener) -> None:
    from kg.dataset.load import load_dataset
    from kg.errors import InputError

    url, received = listener
    doc = tmp_path / "remote.jsonld"
    doc.write_text(json.dumps({"@context": url, "@id": "http://example.org/a", "name": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"remote\.jsonld"):
        load_dataset([doc])
    assert received == []
