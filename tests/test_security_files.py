"""Issue 14 §6-7: updates mean what SPARQL says, writes never touch the shipped graph, stores fail clearly and repair.

Everything here is real: rdflib's update evaluation on real datasets, real files, hard links and symlinks,
real RocksDB stores built by `kg build` and damaged on disk, and `kg` run as a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import InputError, KGError, QueryError
from kg.query.update import run_update_on_copy

ROOT = Path(__file__).resolve().parent.parent
X = "urn:x:"
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def kg(*args: str, env: dict | None = None, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        **kw,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, no traceback, the error in one line naming each fragment."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], proc.stderr


# --- 6a. update semantics -----------------------------------------------------------------------------


def term(token: str) -> URIRef | Literal:
    return Literal(token.strip('"')) if token.startswith('"') else URIRef(X + token)


def quads(*specs: str) -> set[tuple]:
    """``'s p o g'`` (``"o"`` a literal, ``g`` ``-`` for the unnamed default graph) as rdflib quads."""
    out = set()
    for spec in specs:
        s, p, o, g = spec.split()
        out.add((term(s), term(p), term(o), DATASET_DEFAULT_GRAPH_ID if g == "-" else term(g)))
    return out


def dataset(content: set[tuple]) -> Dataset:
    ds = Dataset(default_union=True)
    for s, p, o, g in content:
        ds.graph(g).add((s, p, o))
    return ds


def content(ds: Dataset) -> set[tuple]:
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


BASE = quads('d p "d" -', 's p "1" g1', "a p b g1", 's p "1" g2', 's p "2" g2')
P = f"PREFIX : <{X}> "

#: (update, the dataset it leaves): every SPARQL 1.1 Update operation, with and without GRAPH, WITH, USING.
CASES: list[tuple[str, set[tuple]]] = [
    ("INSERT DATA { :n :p :m }", BASE | quads("n p m -")),
    ("INSERT DATA { GRAPH :g3 { :n :p :m } }", BASE | quads("n p m g3")),
    ('DELETE DATA { :s :p "1" }', BASE - quads('s p "1" g1', 's p "1" g2')),
    ('DELETE DATA { GRAPH :g2 { :s :p "1" } }', BASE - quads('s p "1" g2')),
    ('DELETE DATA { :d :p "d" }', BASE - quads('d p "d" -')),
    ("DELETE WHERE { :s :p ?o }", quads('d p "d" -', "a p b g1")),
    ('DELETE WHERE { GRAPH ?g { :s :p "1" } }', BASE - quads('s p "1" g1', 's p "1" g2')),
    ("DELETE WHERE { GRAPH :g1 { ?x :p ?y } }", quads('d p "d" -', 's p "1" g2', 's p "2" g2')),
    (
        "DELETE { :s :p ?o } INSERT { :s :q ?o } WHERE { :s :p ?o }",
        quads('d p "d" -', "a p b g1", 's q "1" -', 's q "2" -'),
    ),
    (
        "INSERT { GRAPH ?g { :n :p ?o } } WHERE { GRAPH ?g { :s :p ?o } }",
        BASE | quads('n p "1" g1', 'n p "1" g2', 'n p "2" g2'),
    ),
    (
        'WITH :g2 DELETE { ?x :p "1" } INSERT { ?x :q "1" } WHERE { ?x :p "1" }',
        BASE - quads('s p "1" g2') | quads('s q "1" g2'),
    ),
    ("DELETE { ?x :p ?y } USING :g1 WHERE { ?x :p ?y }", quads('d p "d" -', 's p "2" g2')),
    ("INSERT { :n :in ?g } USING NAMED :g2 WHERE { GRAPH ?g { ?x ?y ?z } }", BASE | quads("n in g2 -")),
    ("INSERT { :n :in ?g } USING :g1 WHERE { GRAPH ?g { ?x ?y ?z } }", BASE),
    ("WITH :g1 INSERT { :n :p ?o } USING :g2 WHERE { :s :p ?o }", BASE | quads('n p "1" g1', 'n p "2" g1')),
    ("INSERT { ?o :r ?x } WHERE { ?x :p ?o }", BASE | quads("b r a -")),  # literal subjects are skipped
    ("INSERT { GRAPH ?nothing { :n :p :m } } WHERE { OPTIONAL { :s :none ?nothing } }", BASE),  # unbound graph
    ("CLEAR DEFAULT", BASE - quads('d p "d" -')),
    ("DROP DEFAULT", BASE - quads('d p "d" -')),
    ("CLEAR NAMED", quads('d p "d" -')),
    ("DROP NAMED", quads('d p "d" -')),
    ("CLEAR ALL", set()),
    ("DROP ALL", set()),
    ("CLEAR GRAPH :g1", quads('d p "d" -', 's p "1" g2', 's p "2" g2')),
    ("DROP GRAPH :g1", quads('d p "d" -', 's p "1" g2', 's p "2" g2')),
    ("CREATE GRAPH :g3", BASE),
    ("ADD :g1 TO :g2", BASE | quads("a p b g2")),
    ("ADD DEFAULT TO :g1", BASE | quads('d p "d" g1')),
    ("ADD :g2 TO DEFAULT", BASE | quads('s p "1" -', 's p "2" -')),
    ("MOVE :g1 TO :g2", quads('d p "d" -', 's p "1" g2', "a p b g2")),
    ("MOVE :g1 TO DEFAULT", quads('s p "1" -', "a p b -", 's p "1" g2', 's p "2" g2')),
    ("MOVE DEFAULT TO :g3", BASE - quads('d p "d" -') | quads('d p "d" g3')),
    ("COPY :g2 TO :g1", quads('d p "d" -', 's p "1" g1', 's p "2" g1', 's p "1" g2', 's p "2" g2')),
    ("COPY DEFAULT TO :g2", quads('d p "d" -', 's p "1" g1', "a p b g1", 'd p "d" g2')),
    ("COPY :g1 TO DEFAULT", BASE - quads('d p "d" -') | quads('s p "1" -', "a p b -")),
    ("ADD :g1 TO :g1 ; MOVE :g2 TO :g2 ; COPY DEFAULT TO DEFAULT", BASE),
    (
        "INSERT DATA { :n :p :m } ; CLEAR DEFAULT ; INSERT DATA { GRAPH :g3 { :n :p :m } }",
        BASE - quads('d p "d" -') | quads("n p m g3"),
    ),
    # SILENT turns the failures below into doing nothing
    ("CLEAR SILENT GRAPH :nope", BASE),
    ("DROP SILENT GRAPH :nope", BASE),
    ("CREATE SILENT GRAPH :g1", BASE),
    ("ADD SILENT :nope TO :g1", BASE),
    ("MOVE SILENT :nope TO DEFAULT", BASE),
    ("COPY SILENT :nope TO :g2", BASE),
]

FAILING = [
    ("CLEAR GRAPH :nope", "does not exist"),
    ("DROP GRAPH :nope", "does not exist"),
    ("CREATE GRAPH :g1", "already exists"),
    ("ADD :nope TO :g1", "does not exist"),
    ("MOVE :nope TO DEFAULT", "does not exist"),
    ("COPY :nope TO :g2", "does not exist"),
    ("INSERT DATA { :n :p :m } ; DROP GRAPH :nope", "does not exist"),  # one failure fails the request
    ("LOAD <http://127.0.0.1:9/x.ttl>", "LOAD is refused"),
    ("LOAD SILENT <http://127.0.0.1:9/x.ttl> INTO GRAPH :g1", "LOAD is refused"),
    ("INSERT { :n :p ?o } USING :nope WHERE { ?s ?p ?o }", "no such graph"),
    ('DELETE DATA { _:b :p "1" }', "blank nodes"),
    ("DELETE WHERE { _:b :p ?o }", "blank nodes"),
    ('INSERT DATA { "lit" :p :o }', "not an RDF triple"),
]


@pytest.mark.parametrize(("update", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_update_operation_leaves_exactly_these_quads(update: str, expected: set[tuple]) -> None:
    ds = dataset(BASE)
    copy = run_update_on_copy(ds, P + update)
    assert content(copy) == expected
    assert content(ds) == BASE


@pytest.mark.parametrize(("update", "message"), FAILING, ids=[f[0] for f in FAILING])
def test_failing_updates_are_one_clear_error(update: str, message: str) -> None:
    ds = dataset(BASE)
    with pytest.raises(QueryError, match=message) as caught:
        run_update_on_copy(ds, P + update)
    assert "\n" not in str(caught.value)
    assert content(ds) == BASE


def test_using_never_reads_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text(f'<{X}secret> <{X}is> "leaked" .\n', encoding="utf-8")
    with pytest.raises(QueryError, match="never load"):
        run_update_on_copy(dataset(BASE), P + f"INSERT {{ :n :p ?o }} USING <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}")


def test_insert_data_blank_nodes_are_fresh_in_each_operation() -> None:
    ds = dataset(BASE | {(BNode("x"), term("p"), Literal("0"), DATASET_DEFAULT_GRAPH_ID)})
    copy = run_update_on_copy(ds, P + 'INSERT DATA { _:x :p "1" } ; INSERT DATA { _:x :p "2" }')
    assert len({s for s, *_ in copy.quads((None, None, None, None)) if isinstance(s, BNode)}) == 3


# A reference model of the semantics above (graph name or None → set of triples), to check generated
# sequences of operations against. It is written from the semantics table, not from kg.query.update.

SUBJECTS, PREDICATES, OBJECTS, GRAPHS = ["a", "b"], ["p", "q"], ["a", "b", '"1"'], ["g1", "g2", "g3"]
triples_st = st.sets(st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(PREDICATES), st.sampled_from(OBJECTS)))
graph_st = st.one_of(st.none(), st.sampled_from(GRAPHS))
Model = dict


class ModelFailure(Exception):
    pass


def _ref(g: str | None) -> str:
    return "DEFAULT" if g is None else f":{g}"


def _block(triples: set[tuple]) -> str:
    return " ".join(f":{s} :{p} {o if o.startswith(chr(34)) else ':' + o} ." for s, p, o in sorted(triples))


@st.composite
def operations(draw) -> tuple[str, Callable[[Model], None]]:
    """One generated operation: its text, and what it does to the model (raising ModelFailure if it fails)."""
    kind = draw(st.sampled_from(["insert", "delete", "clear", "drop", "create", "add", "move", "copy", "dw", "modify"]))
    silent = " SILENT" if draw(st.booleans()) else ""

    def fail() -> None:
        if not silent:
            raise ModelFailure

    if kind in ("insert", "delete"):
        g, triples = draw(graph_st), draw(triples_st.filter(bool))
        body = _block(triples) if g is None else f"GRAPH :{g} {{ {_block(triples)} }}"

        def data(m: Model) -> None:
            if kind == "insert":
                m.setdefault(g, set()).update(triples)
            for name in list(m) if g is None else [g]:
                if kind == "delete" and name in m:
                    m[name] -= triples

        return f"{kind.upper()} DATA {{ {body} }}", data
    if kind in ("clear", "drop"):
        target = draw(st.sampled_from(["DEFAULT", "NAMED", "ALL", *GRAPHS]))

        def clear(m: Model) -> None:
            if target in GRAPHS:
                if not m.get(target):
                    return fail()
                m[target] = set()
            for name in m:
                named = name is not None
                if target == "ALL" or (target == "DEFAULT" and not named) or (target == "NAMED" and named):
                    m[name] = set()
            return None

        ref = target if target in ("DEFAULT", "NAMED", "ALL") else f"GRAPH :{target}"
        return f"{kind.upper()}{silent} {ref}", clear
    if kind == "create":
        g = draw(st.sampled_from(GRAPHS))
        return f"CREATE{silent} GRAPH :{g}", lambda m: fail() if m.get(g) else None
    if kind in ("add", "move", "copy"):
        src, dst = draw(graph_st), draw(graph_st)

        def transfer(m: Model) -> None:
            if src is not None and not m.get(src):
                return fail()
            if src == dst:
                return None
            moved = set(m.get(src, set()))
            m[dst] = m.get(dst, set()) | moved if kind == "add" else moved
            if kind == "move":
                m[src] = set()
            return None

        return f"{kind.upper()}{silent} {_ref(src)} TO {_ref(dst)}", transfer
    p1, p2 = draw(st.sampled_from(PREDICATES)), draw(st.sampled_from(PREDICATES))
    if kind == "dw":
        named = draw(st.booleans())

        def delete_where(m: Model) -> None:
            hits = {t for name, triples in m.items() for t in triples if t[1] == p1 and (name or not named)}
            for name in m:
                if name is not None or not named:
                    m[name] = m[name] - hits
            return None

        return f"DELETE WHERE {{ {f'GRAPH ?g {{ ?s :{p1} ?o }}' if named else f'?s :{p1} ?o'} }}", delete_where
    with_graph = draw(graph_st)

    def modify(m: Model) -> None:
        read = m.get(with_graph, set()) if with_graph else {t for triples in m.values() for t in triples}
        matched = {t for t in read if t[1] == p1}
        for name in [with_graph] if with_graph else list(m):
            m[name] = m.get(name, set()) - matched
        m.setdefault(with_graph, set()).update((o, p2, s) for s, _, o in matched if not o.startswith('"'))

    with_clause = f"WITH :{with_graph} " if with_graph else ""
    return f"{with_clause}DELETE {{ ?s :{p1} ?o }} INSERT {{ ?o :{p2} ?s }} WHERE {{ ?s :{p1} ?o }}", modify


def model_quads(m: Model) -> set[tuple]:
    return {
        (term(s), term(p), term(o), DATASET_DEFAULT_GRAPH_ID if g is None else term(g))
        for g, triples in m.items()
        for s, p, o in triples
    }


@pytest.mark.slow
@SETTINGS
@given(
    start=st.dictionaries(graph_st, triples_st, max_size=4),
    ops=st.lists(operations(), min_size=1, max_size=4),
)
def test_generated_update_sequences_follow_the_model(start: Model, ops: list) -> None:
    ds = dataset(model_quads(start))
    before = content(ds)
    model = {g: set(t) for g, t in start.items()}
    failed = False
    try:
        for _, apply in ops:
            apply(model)
    except ModelFailure:
        failed = True
    text = P + " ;\n".join(op for op, _ in ops)
    if failed:
        with pytest.raises(QueryError):
            run_update_on_copy(ds, text)
    else:
        copy = run_update_on_copy(ds, text)
        assert content(copy) == model_quads(model), text
        union = {(s, p, o) for s, p, o, _ in content(copy)}
        assert {tuple(row) for row in copy.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")} == union
        again = Dataset(default_union=True).parse(data=copy.serialize(format="trig"), format="trig")
        assert content(again) == content(copy)
    assert content(ds) == before


def _graphs(ds: Dataset) -> dict:
    return {g.identifier: g for g in ds.graphs() if len(g)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "update",
    [
        'INSERT DATA { <urn:a> <urn:b> "c" }',
        "CLEAR DEFAULT",
        'INSERT DATA { <urn:a> <urn:b> "c" } ; DROP DEFAULT',
        "DELETE WHERE { GRAPH ?g { qd:Haier ?p ?o } } ; INSERT DATA { GRAPH qdg:notes { qd:Haier rdfs:comment 'x' } }",
    ],
)
def test_cli_update_copy_round_trips_and_the_data_stays(update: str, ds: Dataset, tmp_path: Path) -> None:
    shipped = fingerprints(ROOT)
    out = tmp_path / "copy.trig"
    proc = kg("query", update, "--update-copy", str(out))
    assert proc.returncode == 0, proc.stderr
    written = Dataset(default_union=True).parse(out, format="trig")
    expected = run_update_on_copy(ds, update)
    assert _graphs(written).keys() == _graphs(expected).keys()
    for name, graph in _graphs(expected).items():
        assert isomorphic(graph, _graphs(written)[name]), name
    if update in ("CLEAR DEFAULT", 'INSERT DATA { <urn:a> <urn:b> "c" } ; DROP DEFAULT'):
        assert len(written) == len(ds) and len(written.default_graph) == 0  # the named graphs are all still there
    assert fingerprints(ROOT) == shipped


# --- 6b. writes never touch the shipped graph --------------------------------------------------------


def shipped_files(root: Path) -> list[Path]:
    return [
        root / "ontology.ttl",
        root / "shapes.ttl",
        *sorted((root / "data").rglob("*")),
        *sorted((root / "queries").rglob("*")),
    ]


def fingerprints(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in shipped_files(root) if p.is_file()
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped graph for commands run with KG_ROOT, so a failing guard harms only the copy."""
    root = tmp_path_factory.mktemp("project")
    for name in ("ontology.ttl", "shapes.ttl"):
        shutil.copy(ROOT / name, root / name)
    for name in ("data", "queries"):
        shutil.copytree(ROOT / name, root / name)
    return root


@pytest.fixture
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KG_ROOT", str(project))
    before = fingerprints(project)
    yield project
    assert fingerprints(project) == before


SPELLINGS = ["absolute", "relative", "dotdot", "symlink", "symlinked-folder", "hardlink", "trailing-slash", "case"]


def spell(root: Path, shipped: str, how: str, scratch: Path) -> Path | str:
    """A path naming the shipped file ``shipped`` (relative to ``root``) in the way ``how`` says."""
    target = root / shipped
    parts = Path(shipped).parts
    if how == "absolute":
        return target
    if how == "relative":
        return Path(os.path.relpath(target, Path.cwd()))
    if how == "dotdot":
        return root / parts[0] / ".." / shipped if len(parts) > 1 else root / "data" / ".." / shipped
    if how == "symlink":
        (scratch / "link").symlink_to(target)
        return scratch / "link"
    if how == "symlinked-folder":
        (scratch / "folder").symlink_to(target.parent)
        return scratch / "folder" / target.name
    if how == "hardlink":
        os.link(target, scratch / "hard")
        return scratch / "hard"
    if how == "trailing-slash":
        return str(target) + "/"
    return root / Path(*parts[:-1], parts[-1].swapcase())  # another spelling, the same file where case is folded


@pytest.mark.slow  # subprocesses or generated examples
@SETTINGS
@given(data=st.data(), how=st.sampled_from(SPELLINGS))
def test_no_spelling_of_a_shipped_file_is_written(in_project: Path, data, how: str) -> None:
    from kg.dataset.outputs import check_folder, write_text

    shipped = data.draw(
        st.sampled_from([str(p.relative_to(in_project)) for p in shipped_files(in_project) if p.is_file()])
    )
    with (
        tempfile.TemporaryDirectory() as scratch,
        contextlib.chdir(data.draw(st.sampled_from([in_project, Path(scratch)]))),
    ):
        path = spell(in_project, shipped, how, Path(scratch))
        target = Path(path)
        if how == "case" and not os.path.exists(target) and len(Path(shipped).parts) == 1:
            # a case-sensitive file system: a new file beside ontology.ttl or shapes.ttl, which is fine
            write_text(target, "new")
            assert target.read_text() == "new" and not os.path.samefile(target, in_project / shipped)
            target.unlink()
            return
        with pytest.raises(KGError, match="shipped graph"):
            write_text(target, "clobbered")
        with pytest.raises(KGError):
            check_folder(target)


@SETTINGS
@given(
    folder=st.sampled_from(["data", "queries", "data/triples", "data/articles"]),
    below=st.sampled_from(["", "new", "new/deeper"]),
)
def test_no_folder_inside_the_shipped_graph_is_written(in_project: Path, folder: str, below: str) -> None:
    from kg.dataset.outputs import check_folder, write_text

    with pytest.raises(KGError, match="shipped graph"):
        check_folder(in_project / folder / below)
    with pytest.raises(KGError):
        write_text(in_project / folder / below / "x.ttl", "x")


@SETTINGS
@given(old=st.binary(max_size=2000), new=st.binary(max_size=2000), fail=st.booleans())
def test_a_write_replaces_whole_or_not_at_all(tmp_path: Path, old: bytes, new: bytes, fail: bool) -> None:
    from kg.dataset.outputs import atomic_file

    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        target, partner = Path(scratch, "out.bin"), Path(scratch, "partner.bin")
        target.write_bytes(old)
        os.link(target, partner)  # a hard link elsewhere must never be written through
        with contextlib.suppress(RuntimeError), atomic_file(target) as stream:
            stream.write(new[: len(new) // 2])
            if fail:
                raise RuntimeError("interrupted")
            stream.write(new[len(new) // 2 :])
        assert target.read_bytes() == (old if fail else new)
        assert partner.read_bytes() == old
        assert sorted(p.name for p in Path(scratch).iterdir()) == ["out.bin", "partner.bin"]  # no temporary left


def test_a_symlink_to_a_user_file_is_written_through_and_kept(tmp_path: Path) -> None:
    from kg.dataset.outputs import write_text

    real, link = tmp_path / "real.txt", tmp_path / "link.txt"
    real.write_text("old")
    real.chmod(0o640)
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new" and (real.stat().st_mode & 0o777) == 0o640


def _file_writers(t: str) -> dict[str, list[str]]:
    return {
        "query -o": ["query", "ASK { ?s ?p ?o }", "-o", t],
        "query --update-copy": ["query", 'INSERT DATA { <urn:a> <urn:b> "c" }', "--update-copy", t],
        "export -o": ["export", "--format", "nt", "-o", t],
        "graph -o": ["graph", "--focus", "Haier", "--format", "json", "-o", t],
    }


def _folder_writers(t: str) -> dict[str, list[str]]:
    return {"docs -o": ["docs", "-o", t], "build --store": ["build", "--store", t]}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(_file_writers("")) + list(_folder_writers("")))
def test_every_writing_command_refuses_the_shipped_graph(command: str, project: Path, tmp_path: Path) -> None:
    before = fingerprints(project)
    env = {"KG_ROOT": str(project)}
    (tmp_path / "to-data").symlink_to(project / "data")
    if command in _file_writers(""):
        os.link(project / "data" / "triples" / "a004.ttl", tmp_path / "hard.ttl")
        (tmp_path / "soft.ttl").symlink_to(project / "ontology.ttl")
        targets = [
            (str(tmp_path / "hard.ttl"), None),
            (str(tmp_path / "soft.ttl"), None),
            (str(project / "queries" / ".." / "shapes.ttl"), None),
            ("data/triples/a001.ttl/", project),
            (str(tmp_path / "to-data" / "new.ttl"), None),
            (str(project / "queries" / "new.rq"), None),
        ]
        argv = _file_writers
    else:
        targets = [
            (str(project / "data"), None),
            ("queries/sub", project),
            (str(tmp_path / "to-data" / "store"), None),
            (str(project / "data" / "triples" / ".." / "articles"), None),
        ]
        argv = _folder_writers
    for target, cwd in targets:
        one_line_error(kg(*argv(target)[command], env=env, cwd=cwd), "part of the shipped graph", "never writes")
    assert fingerprints(project) == before
    assert sorted(p.name for p in (project / "data").iterdir()) == ["articles", "context.jsonld", "triples"]


@pytest.mark.slow
def test_graph_and_export_refuse_unknown_suffixes(project: Path, tmp_path: Path) -> None:
    env = {"KG_ROOT": str(project)}
    one_line_error(kg("graph", "-o", str(project / "data" / "triples" / "a000.ttl"), env=env), ".html, .htm, .graphml")
    one_line_error(kg("graph", "-o", str(tmp_path / "view.txt"), env=env), "unknown suffix '.txt'", "--format")
    one_line_error(
        kg("graph", "--format", "html", "-o", str(project / "data" / "triples" / "a000.ttl"), env=env), "shipped"
    )
    one_line_error(
        kg("export", "-o", str(tmp_path / "graph.txt"), env=env), "unknown suffix '.txt'", ".ttl, .turtle, .trig"
    )
    assert kg("export", "--format", "nt", "-o", str(tmp_path / "graph.txt"), env=env).returncode == 0
    assert (
        kg("graph", "--focus", "Haier", "--format", "html", "-o", str(tmp_path / "view.txt"), env=env).returncode == 0
    )
    assert (tmp_path / "view.txt").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


@given(suffix=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", max_size=8))
def test_output_formats_come_only_from_known_suffixes(suffix: str) -> None:
    from kg.cli.export import _format_for
    from kg.graph import files as netexport
    from kg.publish import rdf as export

    path = Path(f"out.{suffix}")
    for table, by_suffix in (
        (netexport.SUFFIXES, lambda p: netexport.format_for(p, None)),
        (export.SUFFIXES, lambda p: _format_for(None, p)),
    ):
        if path.suffix.lower() in table:
            assert by_suffix(path) == table[path.suffix.lower()]
        else:
            with pytest.raises(KGError, match="unknown suffix"):
                by_suffix(path)
    assert netexport.format_for(path, "gexf") == "gexf" and _format_for("xml", path) == "xml"


@pytest.mark.slow
def test_unwritable_targets_are_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    one_line_error(kg("query", "ASK {}", "-o", str(tmp_path / "nowhere" / "x.txt")), "does not exist")
    one_line_error(kg("query", "ASK {}", "-o", str(tmp_path / "afile" / "x.txt")), "is a file, not a folder")
    one_line_error(kg("query", "ASK {}", "--update-copy", str(tmp_path / "afile" / "x.trig")), "is a file")
    one_line_error(kg("build", "--store", str(tmp_path / "afile" / "sub")), "is a file, not a folder")
    one_line_error(kg("docs", "-o", str(tmp_path / "afile" / "sub")), "is a file, not a folder")
    one_line_error(kg("query", "ASK {}", "-o", str(tmp_path)), "is a directory")


def unprivileged() -> list[str]:
    """A prefix running a command without root's power to ignore file permissions."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]


@pytest.mark.slow
def test_permission_problems_are_one_clear_line(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*unprivileged(), sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=120
        )

    locked, readonly = tmp_path / "locked", tmp_path / "readonly.txt"
    locked.mkdir()
    readonly.write_text("keep")
    locked.chmod(0o555)
    readonly.chmod(0o444)
    try:
        one_line_error(run("query", "ASK {}", "-o", str(locked / "x.txt")), "permission denied")
        one_line_error(run("query", "ASK {}", "-o", str(readonly)), "permission denied")
        one_line_error(run("export", "--format", "nt", "-o", str(readonly)), "permission denied")
        one_line_error(run("build", "--store", str(locked / "store")), "permission denied")
    finally:
        locked.chmod(0o755)
    assert readonly.read_text() == "keep" and list(locked.iterdir()) == []


@pytest.mark.slow
def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    """A real failure half-way: the file size limit stops `kg export` mid-write (Python ignores SIGXFSZ)."""
    out = tmp_path / "graph.nt"
    out.write_text("old\n")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = kg("export", "--format", "nt", "-o", str(out), preexec_fn=small_files)
    one_line_error(proc, str(out), "cannot write")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.nt"]


@pytest.mark.slow  # subprocesses or generated examples
def test_docs_refuse_a_file_linked_to_the_shipped_graph(in_project: Path, tmp_path: Path) -> None:
    from kg.publish.docs import PAGE, write_docs

    os.link(in_project / "ontology.ttl", tmp_path / PAGE)
    with pytest.raises(KGError, match=r"is a link to ontology\.ttl"):
        write_docs(tmp_path)


# --- 7. stores fail clearly and repair ------------------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store of the shipped graph built by `kg build`, and what it answers to COUNT."""
    store = tmp_path_factory.mktemp("pristine") / "store"
    built = kg("build", "--store", str(store))
    assert built.returncode == 0, built.stderr
    answer = kg("query", COUNT, "--format", "csv", "--store", str(store))
    assert answer.returncode == 0, answer.stderr
    assert "up to date" in kg("build", "--store", str(store)).stderr  # a read-only open changes nothing
    return store, answer.stdout


def damaged_copy(pristine: tuple[Path, str], where: Path) -> Path:
    store = where / "store"
    shutil.copytree(pristine[0], store, symlinks=True)
    return store


def _ssts(store: Path) -> list[Path]:
    return sorted((store / "oxigraph").glob("*.sst"), key=lambda p: p.stat().st_size)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _same_length_garbage(path: Path) -> None:
    path.write_bytes(b"X" * (path.stat().st_size - 1) + b"\n")


def _oxigraph_as_file(store: Path) -> None:
    shutil.rmtree(store / "oxigraph")
    _write(store / "oxigraph", "not a folder")


CORRUPTIONS: dict[str, Callable[[Path], object]] = {
    "garbage in CURRENT": lambda s: _write(s / "oxigraph" / "CURRENT", "garbage\n"),
    "same-length garbage in CURRENT": lambda s: _same_length_garbage(s / "oxigraph" / "CURRENT"),
    "deleted .sst": lambda s: _ssts(s)[-1].unlink(),
    "truncated .sst": lambda s: os.truncate(_ssts(s)[-1], 100),
    "deleted MANIFEST-*": lambda s: next((s / "oxigraph").glob("MANIFEST-*")).unlink(),
    "deleted OPTIONS-*": lambda s: next((s / "oxigraph").glob("OPTIONS-*")).unlink(),
    "manifest.json not JSON": lambda s: _write(s / "manifest.json", "{not json"),
    "manifest.json a list": lambda s: _write(s / "manifest.json", "[1, 2]"),
    "manifest.json without files": lambda s: _write(s / "manifest.json", '{"format": 2, "sources": []}'),
    "manifest.json wrong types": lambda s: _write(
        s / "manifest.json", '{"format": 2, "sources": [{"path": 1}], "files": {}}'
    ),
    "manifest.json of another format": lambda s: _write(s / "manifest.json", '{"format": 1, "sources": []}'),
    "deleted manifest.json": lambda s: (s / "manifest.json").unlink(),
    "missing oxigraph/": lambda s: shutil.rmtree(s / "oxigraph"),
    "oxigraph/ a file": _oxigraph_as_file,
}


@pytest.mark.slow
@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_damaged_store_says_so_and_rebuild_repairs_it(
    corruption: str, pristine: tuple[Path, str], tmp_path: Path
) -> None:
    store = damaged_copy(pristine, tmp_path)
    CORRUPTIONS[corruption](store)
    cure = f"kg build --store {store} --rebuild"
    one_line_error(kg("query", COUNT, "--format", "csv", "--store", str(store)), cure)
    built = kg("build", "--store", str(store))
    one_line_error(built, cure)
    assert "up to date" not in built.stderr
    rebuilt = kg("build", "--store", str(store), "--rebuild")
    assert rebuilt.returncode == 0 and "rebuilt from" in rebuilt.stderr, rebuilt.stderr
    assert kg("query", COUNT, "--format", "csv", "--store", str(store)).stdout == pristine[1]
    assert "up to date" in kg("build", "--store", str(store)).stderr


@pytest.mark.slow
@settings(SETTINGS, max_examples=12)
@given(data=st.data(), action=st.sampled_from(["delete", "truncate", "append"]))
def test_any_damaged_file_is_caught_and_rebuilt(pristine: tuple[Path, str], tmp_path: Path, data, action: str) -> None:
    import pyoxigraph as ox

    from kg.dataset.store import build_store, open_store

    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        store = damaged_copy(pristine, Path(scratch))
        files = sorted(p for p in (store / "oxigraph").iterdir() if not p.name.startswith(("LOCK", "LOG")))
        victim = data.draw(st.sampled_from(files))
        if action == "delete":
            victim.unlink()
        elif action == "truncate":
            assume(victim.stat().st_size > 0)
            os.truncate(victim, data.draw(st.integers(0, victim.stat().st_size - 1)))
        else:
            with victim.open("ab") as f:
                f.write(data.draw(st.binary(min_size=1, max_size=64)))
        with pytest.raises(InputError, match="--rebuild"):
            open_store(store)
        with pytest.raises(InputError, match="damaged"):
            build_store(store)
        assert build_store(store, rebuild=True).rebuilt
        expected = len(ox.Store.read_only(str(pristine[0] / "oxigraph")))
        assert len(ox.Store.read_only(str(store / "oxigraph"))) == expected


@pytest.mark.slow
def test_a_store_in_use_is_reported_and_then_rebuilt(pristine: tuple[Path, str], tmp_path: Path) -> None:
    store = damaged_copy(pristine, tmp_path)
    db = str(store / "oxigraph")
    hold = f"import pyoxigraph, sys; s = pyoxigraph.Store({db!r}); print('open', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        for args in (["query", COUNT, "--store"], ["build", "--store"], ["build", "--rebuild", "--store"]):
            one_line_error(kg(*args, str(store)), "in use by another process")
        assert (store / "oxigraph").is_dir()
    finally:
        holder.communicate("", timeout=30)
    assert kg("build", "--store", str(store), "--rebuild").returncode == 0
    assert kg("query", COUNT, "--format", "csv", "--store", str(store)).stdout == pristine[1]


@pytest.mark.slow
def test_store_permission_problems_are_one_clear_line(pristine: tuple[Path, str], tmp_path: Path) -> None:
    store = damaged_copy(pristine, tmp_path)
    (store / "oxigraph").chmod(0o000)
    try:
        for args in (["query", "ASK {}", "--store"], ["build", "--store"], ["build", "--rebuild", "--store"]):
            proc = subprocess.run(
                [*unprivileged(), sys.executable, "-m", "kg.cli", *args, str(store)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            one_line_error(proc, "permission denied", "permissions")
    finally:
        (store / "oxigraph").chmod(0o755)


@pytest.mark.slow
def test_rebuild_touches_nothing_outside_the_database_folder(pristine: tuple[Path, str], tmp_path: Path) -> None:
    store = damaged_copy(pristine, tmp_path)
    (store / "notes.txt").write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    shutil.move(store / "oxigraph", elsewhere)
    (store / "oxigraph").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    assert kg("build", "--store", str(store), "--rebuild").returncode == 0
    assert (store / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in elsewhere.iterdir()) == before  # the link is replaced, not followed
    assert (store / "oxigraph").is_dir() and not (store / "oxigraph").is_symlink()
    assert kg("query", COUNT, "--format", "csv", "--store", str(store)).stdout == pristine[1]
