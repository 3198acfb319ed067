"""The saved questions run unchanged outside kg and give the expected answers there too.

Each file declares the prefixes it uses (the project's own), finds sources in the data (the reified
statements' and records' dcterms:source) rather than in named graphs, and so answers the same over our
Turtle export (one graph) as over the TriG export (one graph per source, default graph = their union):
checked with pyoxigraph's own engine and with Comunica (Node, tools/comunica), on the files as they are
and on the standalone copies `kg queries --export` writes for tools without parameters.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import assert_same_answer, comunica_answers, comunica_ready, missing_tool, pyoxigraph_answer
from rdflib import Dataset, Literal

from kg.publish.rdf import export
from kg.query.saved import parameter_names, saved_queries, standalone
from kg.vocab.namespaces import PREFIXES

QUESTIONS = saved_queries()
FORMATS = {"turtle": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG}
_PREFIX = re.compile(r"^PREFIX\s+([A-Za-z][\w-]*):\s*<([^>]*)>\s*$", re.MULTILINE)
#: Strings, IRIs and comments (skipped), or a prefixed name's prefix (captured).
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|<[^<>"\s]*>|#[^\n]*|(?<![\w?$:-])([A-Za-z][\w-]*):(?=[A-Za-z0-9_])')


def _body(text: str) -> str:
    return _PREFIX.sub("", text)


def _used_prefixes(text: str) -> set[str]:
    return {m.group(1) for m in _TOKENS.finditer(_body(text)) if m.group(1)}


@pytest.mark.parametrize("saved", QUESTIONS.values(), ids=lambda q: q.name)
def test_each_file_declares_the_project_prefixes_it_uses(saved) -> None:
    declared = dict(_PREFIX.findall(saved.text))
    assert declared, "the file declares its prefixes, so other tools can run it"
    assert {p: str(PREFIXES[p]) for p in declared if p in PREFIXES} == declared, "a prefix the project does not have"
    assert set(declared) == _used_prefixes(saved.text), "declare exactly the prefixes the query uses"


@pytest.mark.parametrize("saved", QUESTIONS.values(), ids=lambda q: q.name)
def test_sources_come_from_the_data_not_from_named_graphs(saved) -> None:
    words = {m.group(0).upper() for m in re.finditer(r"[A-Za-z]+", re.sub(r"#[^\n]*|\"[^\"\n]*\"", "", saved.text))}
    assert not {"GRAPH", "FROM", "NAMED"} & words


@pytest.fixture(scope="module")
def exports(ds: Dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole graph as `kg export` writes it, in both formats."""
    folder = tmp_path_factory.mktemp("exports")
    paths = {"turtle": folder / "kg.ttl", "trig": folder / "kg.trig"}
    for fmt, path in paths.items():
        path.write_text(export(ds, fmt).text, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def stores(exports: dict[str, Path]) -> dict[str, ox.Store]:
    loaded = {}
    for fmt, path in exports.items():
        loaded[fmt] = ox.Store()
        loaded[fmt].load(path=str(path), format=FORMATS[fmt])
    return loaded


@pytest.fixture(scope="module")
def standalone_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The questions as `kg queries --export` writes them."""
    folder = tmp_path_factory.mktemp("standalone") / "queries"
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "queries", "--export", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {len(QUESTIONS)} saved question(s)" in done.stderr
    return folder


def test_standalone_copies_keep_the_header_and_fill_in_the_defaults(standalone_copies: Path) -> None:
    assert sorted(p.stem for p in standalone_copies.glob("*.rq")) == sorted(QUESTIONS)
    for name, saved in QUESTIONS.items():
        copy = (standalone_copies / f"{name}.rq").read_text(encoding="utf-8")
        assert copy.splitlines()[:3] == saved.text.splitlines()[:3]
        assert "_param" not in _body(copy)
        assert (copy == saved.text) == (not parameter_names(saved))
    figures = (standalone_copies / "figures-by-year.rq").read_text(encoding="utf-8")
    assert 'BIND ("2019"^^xsd:gYear AS ?year)' in figures
    assert "BIND (qd:COSMOPlat AS ?entity)" in (standalone_copies / "entity-aliases.rq").read_text(encoding="utf-8")


def test_export_never_writes_into_the_shipped_questions() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "queries", "--export", "queries"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "part of the shipped graph" in done.stderr


@pytest.mark.slow  # every question over every export
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", QUESTIONS)
def test_pyoxigraph_over_the_exports(stores: dict[str, ox.Store], fmt: str, name: str) -> None:
    """pyoxigraph's own engine, no kg in between: the file unchanged, and its standalone copy."""
    saved = QUESTIONS[name]
    union = fmt == "trig"
    assert_same_answer(name, saved.text, pyoxigraph_answer(stores[fmt], saved.text, union), f"pyoxigraph ({fmt})")
    copy = standalone(saved)
    assert_same_answer(name, saved.text, pyoxigraph_answer(stores[fmt], copy, union), f"pyoxigraph ({fmt}, copy)")


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.parametrize("fmt", FORMATS)
def test_comunica_over_the_exports(exports: dict[str, Path], standalone_copies: Path, fmt: str) -> None:
    """Comunica (Node): every file unchanged and every standalone copy, in one process per export."""
    why = comunica_ready()
    if why:
        missing_tool(why)
    originals = [q.path for q in QUESTIONS.values()]
    copies = [standalone_copies / p.name for p in originals]
    answers = comunica_answers(fmt, exports[fmt], originals)
    copied = comunica_answers(fmt, exports[fmt], copies)
    for name, saved in QUESTIONS.items():
        assert_same_answer(name, saved.text, answers[saved.path.name], f"Comunica ({fmt})")
        assert_same_answer(name, saved.text, copied[saved.path.name], f"Comunica ({fmt}, copy)")


def test_every_literal_is_written_as_every_engine_writes_it(ds: Dataset, stores: dict[str, ox.Store]) -> None:
    """Oxigraph keeps a literal's canonical form only (62.0 → "62"): the data writes that form, so no answer
    depends on the engine."""
    mine = {(str(o), o.datatype) for o in ds.objects() if isinstance(o, Literal) and o.datatype}
    theirs = {(q.object.value, q.object.datatype.value) for q in stores["trig"] if isinstance(q.object, ox.Literal)}
    assert not {(v, str(d)) for v, d in mine} - theirs
