"""Saved questions by name, from Python and the command line: parameters typed as each question declares,
names resolved like everywhere else, a mistyped name answered with the closest ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD

import kg
from kg.errors import QueryError, ResolveError
from kg.query.results import rows
from kg.query.saved import load_saved, lookup, parameter_types, saved_bindings, standalone, typed_value

QD = "https://w3id.org/qingdao-kg/id/"


def answer(ds: Dataset, text: str, **params: object) -> list[tuple]:
    return rows(kg.run_query(ds, text, **params)).rows


def test_saved_queries_is_a_mapping_by_name() -> None:
    questions = kg.saved_queries()
    assert list(questions) == sorted(questions) and questions["plan-targets"].name == "plan-targets"
    assert all(name == q.name for name, q in questions.items())


def test_run_query_takes_a_saved_name(ds: Dataset) -> None:
    assert answer(ds, "cluster-members") == answer(ds, kg.saved_queries()["cluster-members"].text)
    assert answer(ds, " plan-targets.rq ") == answer(ds, "plan-targets")


def test_keyword_parameters_are_resolved_and_typed(ds: Dataset) -> None:
    aliases = answer(ds, "entity-aliases", entity="Haier Kaos")  # an alias, resolved as the CLI does
    assert {r[0] for r in aliases} == {URIRef(QD + "COSMOPlat")}
    assert answer(ds, "entity-aliases", entity=URIRef(QD + "Haier"))[0][1] == Literal("Haier", lang="en")
    default = answer(ds, "figures-by-year")
    for year in (2019, "2019", '"2019"^^xsd:gYear', Literal("2019", datatype=XSD.gYear)):
        assert answer(ds, "figures-by-year", year=year) == default, year
    assert len(answer(ds, "figures-by-year", year=2023)) == 4
    assert answer(ds, "figures-by-year", year=2020) == []  # the articles date no figure to 2020
    bound = {"year_param": Literal("2023", datatype=XSD.gYear)}
    assert rows(kg.run_query(ds, "figures-by-year", bound)).rows == answer(ds, "figures-by-year", year=2023)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ds: kg.run_query(ds, "plan"), "no saved question 'plan'; did you mean plan-targets?"),
        (lambda ds: kg.run_query(ds, "figure-source"), "did you mean figure-sources"),
        (lambda ds: kg.run_query(ds, "nothing-like-it"), "no saved question 'nothing-like-it'"),
        (lambda ds: kg.run_query(ds, "figures-by-year", yr=2019), "has no parameter 'yr' (it takes: year)"),
        (lambda ds: kg.run_query(ds, "figures-by-year", year="20x9"), "year takes an xsd:gYear: '20x9' is not one"),
        (lambda ds: kg.run_query(ds, "figures-by-year", year=Literal(2019)), "takes an xsd:gYear, got"),
        (lambda ds: kg.run_query(ds, "figures-by-year", year='"2019'), "is not a literal"),
        (lambda ds: kg.run_query(ds, "entity-aliases", entity=Literal("Haier")), "takes an entity"),
        (lambda ds: kg.run_query(ds, "SELECT * WHERE {}", year=2019), "keyword parameters (year) are for saved"),
    ],
)
def test_errors_speak_python(ds: Dataset, call, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        call(ds)
    assert message in str(caught.value) and "--param" not in str(caught.value)


def test_an_unknown_entity_is_a_resolve_error(ds: Dataset) -> None:
    with pytest.raises(ResolveError, match="no entity is named 'Nonesuch'"):
        kg.run_query(ds, "entity-aliases", entity="Nonesuch")


def _question(folder: Path, header: str, where: str) -> object:
    path = folder / "q.rq"
    path.write_text(f"# Question: A test?\n# Parameters: {header}\nSELECT ?x WHERE {{ {where} }}\n", encoding="utf-8")
    return load_saved(path)


@pytest.mark.parametrize(
    ("declared", "good", "bad"),
    [
        ("xsd:integer", "42", "4.2"),
        ("xsd:decimal", "-1.50", "1e3"),
        ("xsd:date", "2020-03-16", "16 March 2020"),
        ("xsd:gYear", "2019", "19"),
        ("xsd:string", "any text", None),
    ],
)
def test_declared_types_type_bare_values(tmp_path: Path, declared: str, good: str, bad: str | None) -> None:
    saved = _question(tmp_path, f"v ({declared}) — a value.", "BIND (COALESCE(?v_param, 1) AS ?x)")
    datatype = XSD[declared.split(":")[1]]
    assert typed_value(saved, "v", good, _no_names) == Literal(good, datatype=datatype)
    if bad is not None:
        with pytest.raises(QueryError, match=f"takes an {declared}"):
            typed_value(saved, "v", bad, _no_names)


def _no_names(name: str) -> URIRef:
    raise AssertionError(f"{name!r} was resolved as a name")


def test_undeclared_parameters_keep_the_old_reading(tmp_path: Path) -> None:
    saved = _question(tmp_path, "v — anything.", "BIND (COALESCE(?v_param, 1) AS ?x)")
    assert parameter_types(saved) == {"v": None}
    assert typed_value(saved, "v", "42", _no_names) == Literal(42)
    assert typed_value(saved, "v", "Haier", lambda name: URIRef(QD + name)) == URIRef(QD + "Haier")
    assert saved_bindings(saved, {"v": 1.5}, _no_names) == {"v_param": Literal(1.5)}


def test_an_unknown_declared_type_is_refused(tmp_path: Path) -> None:
    saved = _question(tmp_path, "v (number) — a value.", "BIND (COALESCE(?v_param, 1) AS ?x)")
    with pytest.raises(QueryError, match="declares parameter v as 'number'"):
        parameter_types(saved)


def test_standalone_writes_each_default_in(tmp_path: Path) -> None:
    saved = _question(tmp_path, "v (xsd:string) — a name.", 'BIND (COALESCE( ?v_param ,"Haier \\"Q\\""@en) AS ?x)')
    assert 'BIND ("Haier \\"Q\\""@en AS ?x)' in standalone(saved)
    without = _question(tmp_path, "v (IRI) — a thing.", "?x ?p ?v_param")
    with pytest.raises(QueryError, match=r"without COALESCE\(\?v_param, default\)"):
        standalone(without)


def test_lookup_suggests_close_names() -> None:
    assert lookup("entity-aliases.rq").name == "entity-aliases"
    with pytest.raises(QueryError, match="did you mean entity-aliases"):
        lookup("entity-alias")


# --- the command line ---------------------------------------------------------------------------------


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_cli_types_parameters_as_declared_and_suggests_names() -> None:
    default = _kg("query", "figures-by-year", "--format", "csv")
    assert default.returncode == 0 and len(default.stdout.splitlines()) == 20
    assert _kg("query", "figures-by-year", "--param", "year=2019", "--format", "csv").stdout == default.stdout
    typed = _kg("query", "figures-by-year", "--param", 'year="2023"^^xsd:gYear', "--format", "csv")
    assert typed.stdout == _kg("query", "figures-by-year", "--param", "year=2023", "--format", "csv").stdout
    assert len(typed.stdout.splitlines()) == 5
    bad = _kg("query", "figures-by-year", "--param", "year=20x9")
    assert bad.returncode == 2 and bad.stderr == "error: --param year takes an xsd:gYear: '20x9' is not one\n"
    typo = _kg("query", "plan")
    assert typo.returncode == 2 and typo.stderr == "error: no saved question 'plan'; did you mean plan-targets?\n"
    unknown = _kg("query", "nothing-like-it")
    assert unknown.stderr == "error: no saved question 'nothing-like-it' (kg queries lists them)\n"
    listed = _kg("queries").stdout
    assert "figures-by-year  [--param year=… (xsd:gYear)]" in listed and "[--param entity=… (IRI)]" in listed
