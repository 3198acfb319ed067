"""The `kg` command as a user runs it: real subprocesses, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def kg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def assert_user_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:") or proc.stderr.startswith("Error:")
    for fragment in fragments:
        assert fragment in proc.stderr


def test_validate_passes() -> None:
    proc = kg("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK:")


def test_validate_reports_findings_with_exit_1(tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix qdo: <https://w3id.org/qingdao-kg/ontology#> .\n<https://w3id.org/qingdao-kg/id/X> a qdo:Platform .\n",
        encoding="utf-8",
    )
    proc = kg("validate", "--data", str(extra))
    assert proc.returncode == 1
    assert "[shacl] qd:X" in proc.stdout


def test_stats() -> None:
    proc = kg("stats")
    assert proc.returncode == 0
    assert "art:a004" in proc.stdout and "Observation" not in proc.stderr


def test_query_table_and_json() -> None:
    proc = kg("query", "SELECT ?l WHERE { qd:Chery skos:prefLabel ?l }")
    assert proc.returncode == 0 and "Chery" in proc.stdout and "(1 row)" in proc.stdout
    proc = kg("query", "figure-conflicts", "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["results"]["bindings"][0]["statedB"]["value"] == "3.1 percentage points"


def test_query_from_file_and_saved_name_agree(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    by_file = kg("query", "-f", str(root / "queries" / "plan-targets.rq"), "--format", "csv")
    by_name = kg("query", "plan-targets", "--format", "csv")
    assert by_file.returncode == 0 and by_file.stdout == by_name.stdout


def test_saved_query_parameter_resolves_alias() -> None:
    proc = kg("query", "entity-aliases", "--param", "entity=tsingtao beer", "--format", "csv")
    assert proc.returncode == 0
    assert "Tsingtao Brewery" in proc.stdout


def test_ask_exit_codes() -> None:
    assert kg("query", "ASK { qd:CheryAutoPlatform qdo:builtBy qd:Chery }").returncode == 0
    assert kg("query", "ASK { qd:Chery qdo:builtBy qd:Haier }").returncode == 1


def test_malformed_query_is_one_line_with_position() -> None:
    proc = kg("query", "SELECT ?s WHERE { ?s ?p }")
    assert_user_error(proc, "line 1, column")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_refused_service() -> None:
    assert_user_error(kg("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), "SERVICE")


def test_bad_data_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "open\n', encoding="utf-8")
    assert_user_error(kg("stats", "--data", str(bad)), "bad.ttl:2:")


def test_hostile_rdfxml_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaa">]>\n<r/>\n', encoding="utf-8")
    assert_user_error(kg("stats", "--data", str(bomb)), "DOCTYPE")


def test_unknown_entity_and_unknown_parameter() -> None:
    assert_user_error(kg("entity", "Nowhere Corp"), "no entity is named")
    assert_user_error(kg("query", "entity-aliases", "--param", "company=Haier"), "no parameter 'company'")


def test_entity_report_shows_sources_and_evidence() -> None:
    proc = kg("entity", "zhaohaozhi")
    assert proc.returncode == 0
    assert "Zhao Haozhi" in proc.stdout and "stated by art:a003" in proc.stdout and "evidence:" in proc.stdout


def test_queries_lists_questions() -> None:
    proc = kg("queries")
    assert proc.returncode == 0
    assert proc.stdout.count("\n    ") >= 15


def test_showcase() -> None:
    proc = kg("showcase")
    assert proc.returncode == 0, proc.stderr
    assert "Validation: OK" in proc.stdout and "== figure-conflicts" in proc.stdout


def test_runaway_query_is_stopped_with_exit_124() -> None:
    proc = kg("query", "--timeout", "1", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert proc.returncode == 124
    assert proc.stderr.strip() == "error: stopped after 1 s (time limit; raise it with --timeout)"


@pytest.mark.parametrize("fmt", ["xml", "md", "tsv"])
def test_select_formats_to_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"targets.{fmt}"
    proc = kg("query", "plan-targets", "--format", fmt, "--output", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "more than 30%" in text


def test_construct_formats() -> None:
    q = "CONSTRUCT { ?p qdo:builtBy ?b } WHERE { ?p qdo:builtBy ?b }"
    turtle = kg("query", q)
    assert turtle.returncode == 0 and "@prefix qdo:" in turtle.stdout
    doc = json.loads(kg("query", q, "--format", "jsonld").stdout)
    assert len(doc) >= 3
    assert_user_error(kg("query", q, "--format", "csv"), "CONSTRUCT")


def test_reason_flag_answers_through_inverse(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path)}
    q = "SELECT ?x WHERE { qd:Haier qdo:built ?x }"
    cmd = [sys.executable, "-m", "kg.cli", "query", q, "--format", "csv"]
    plain = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    reasoned = subprocess.run([*cmd, "--reason"], capture_output=True, text=True, env=env, timeout=120)
    assert plain.stdout.strip() == "x"
    assert reasoned.stdout.split() == ["x", "https://w3id.org/qingdao-kg/id/COSMOPlat"]


def test_update_copy_writes_elsewhere_and_leaves_data_alone(tmp_path: Path) -> None:
    from rdflib import Dataset

    out = tmp_path / "copy.trig"
    update = "INSERT DATA { GRAPH qdg:notes { qd:Haier rdfs:comment 'reviewed' } }"
    proc = kg("query", update, "--update-copy", str(out))
    assert proc.returncode == 0, proc.stderr
    copy = Dataset().parse(out, format="trig")
    assert any(str(o) == "reviewed" for _, _, o, _ in copy.quads((None, None, None, None)))
    assert_user_error(kg("query", update), "read-only")
    root = Path(__file__).resolve().parent.parent
    assert_user_error(kg("query", update, "--update-copy", str(root / "data" / "x.trig")), "part of the shipped graph")
