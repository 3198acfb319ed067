"""The CLI driven with generated arguments and hostile files (issue 14, section 9): whatever it is given, it
answers with one of its documented exit codes and never a traceback.

The commands run in this process through ``kg.cli.main.main`` (what the ``kg`` script calls), so that an
exception main() does not turn into a message surfaces here as the exception itself; a few cases run as
real subprocesses too, where the traceback would be what a user sees.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kg.cli.main import main
from kg.errors import MemoryLimitExceeded, QueryTimeout

EXIT_CODES = {0, 1, 2, MemoryLimitExceeded.exit_code, QueryTimeout.exit_code}

_WORDS = st.sampled_from(
    [
        "SELECT",
        "ASK",
        "CONSTRUCT",
        "DESCRIBE",
        "WHERE",
        "{",
        "}",
        "(",
        ")",
        "?s",
        "?p",
        "?o",
        "qdo:Platform",
        "qd:Haier",
        "a",
        ".",
        ";",
        "FILTER",
        "BIND",
        "AS",
        "OPTIONAL",
        "UNION",
        "GRAPH",
        "FROM",
        "<urn:x>",
        '"x"',
        "'''",
        "#",
        "\\u0022",
        "\r",
        "\n",
        "LIMIT",
        "1",
        "-1",
        "SERVICE",
        "INSERT DATA",
        "LOAD",
        "nope:x",
        "\x00",
        "\x1b[31m",
        "\ud800",
        "²",
    ]
)
QUERY_TEXT = st.one_of(st.lists(_WORDS, max_size=14).map(" ".join), st.text(max_size=40))
NUMBER_TEXT = st.sampled_from(["0", "1", "2.5", "-1", "inf", "-inf", "nan", "1e400", "abc", "²", "", " 3", "0x10"])
SIZE_TEXT = st.sampled_from(["0", "512M", "2G", "1.5GiB", "1", "-5", "lots", "9" * 30, "", "64K"])
NAME_TEXT = st.one_of(
    st.sampled_from(["Haier", "helcaos", "qd:Chery", "<urn:x>", "<https://w3id.org/qingdao-kg/id/Haier>", "Qingdao"]),
    st.text(max_size=20),
)
URL_TEXT = st.sampled_from(
    ["http://[::1", "ftp://x/", "http://127.0.0.1:1/query", "http://", "://", "http://a b/", "http://127.0.0.1:0/"]
)
FILE_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"<urn:a> <urn:b> <urn:c> .",
            b'<urn:a> <urn:b> "unterminated .',
            b"<\\u003Cx\\u003E> <urn:b> <urn:c> .",
            b"@prefix : <urn:> . :a :b :c ; .",
            b'{"@context": "http://127.0.0.1:1/ctx", "@id": "urn:a"}',
            b'{"@context": "file:///etc/passwd", "@id": "urn:a"}',
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rdf:RDF/>',
            b'"literal" <urn:b> <urn:c> .',
            b"\xff\xfe\x00",
        ]
    ),
)
SUFFIXES = st.sampled_from([".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf", ".owl", ".n3", ".txt", ""])


@st.composite
def a_file(draw: st.DrawFn, folder: Path) -> str:
    path = folder / f"input-{draw(st.integers(0, 10**9))}{draw(SUFFIXES)}"
    path.write_bytes(draw(FILE_BODIES))
    return str(path)


@st.composite
def arguments(draw: st.DrawFn, folder: Path) -> list[str]:
    """A command line for one of kg's commands, with generated (often hostile) values."""
    command = draw(st.sampled_from(["query", "query", "query", "entity", "stats", "central", "graph", "export"]))
    args = [command]
    if command == "query":
        if draw(st.booleans()):
            args.append(draw(st.one_of(QUERY_TEXT, st.sampled_from(["plan-targets", "entity-aliases", "nope"]))))
        else:
            args += ["-f", draw(a_file(folder))]
        if draw(st.booleans()):
            args += ["--format", draw(st.sampled_from(["table", "csv", "json", "xml", "md", "turtle", "nt", "x"]))]
        if draw(st.booleans()):
            args += [
                "--param",
                draw(st.sampled_from(["entity=", "year=", "x=", "=", "entity", "year=1.²"])) + draw(NAME_TEXT),
            ]
        if draw(st.booleans()):
            args += ["--limit", draw(NUMBER_TEXT)]
        if draw(st.booleans()):
            args += ["--endpoint", draw(URL_TEXT)]
        if draw(st.booleans()):
            args += ["--update-copy", str(folder / "copy.trig")]
    elif command == "entity":
        args.append(draw(NAME_TEXT))
    elif command == "central":
        args += ["--top", draw(NUMBER_TEXT)]
        if draw(st.booleans()):
            args += ["--path", draw(NAME_TEXT), draw(NAME_TEXT)]
    elif command == "graph":
        args += ["-o", str(folder / f"out{draw(st.sampled_from(['.html', '.graphml', '.gexf', '.json']))}")]
        args += draw(
            st.sampled_from(
                [["--focus", "COSMOPlat"], ["--path", "Chery", "Haier"], ["--query", "platform-builders"], []]
            )
        )
        if draw(st.booleans()):
            args += ["--focus" if "--focus" not in args else "--depth", draw(NAME_TEXT)]
    elif command == "export":
        args += ["--format", draw(st.sampled_from(["turtle", "trig", "nquads", "nt", "jsonld", "xml"]))]
        if draw(st.booleans()):
            args += ["--graph", draw(NAME_TEXT)]
    if command != "export" and draw(st.booleans()):
        args += ["--engine", draw(st.sampled_from(["rdflib", "oxigraph", "neo4j"]))]
    if draw(st.booleans()):
        args += ["--data", draw(a_file(folder))]
    if draw(st.booleans()):
        args += ["--timeout", draw(NUMBER_TEXT)]
    if draw(st.booleans()):
        args += ["--memory-limit", draw(SIZE_TEXT)]
    return args


def run_main(args: list[str]) -> tuple[int, str]:
    """``kg ARGS`` in this process: (exit code, everything written to stdout and stderr)."""
    out = io.StringIO()
    saved_argv = sys.argv
    sys.argv = ["kg", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        sys.argv = saved_argv
    return code, out.getvalue()


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_generated_command_lines_end_with_a_documented_exit_code(tmp_path: Path, data: st.DataObject) -> None:
    args = data.draw(arguments(tmp_path))
    code, output = run_main(args)
    event(f"exit {code}")
    assert code in EXIT_CODES, (args, code, output[-2000:])
    assert "Traceback" not in output, (args, output[-2000:])


def test_construct_where_with_limit_answers() -> None:
    code, output = run_main(["query", "--format", "nt", "CONSTRUCT WHERE { ?s a qdo:Platform } LIMIT 1"])
    assert code == 0 and output.count(" .\n") == 1, output


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["query", "--endpoint", "http://[::1", "ASK {}"],
        ["query", "--timeout", "inf", "ASK {}"],
        ["query", "--param", 'entity="unterminated', "entity-aliases"],
        ["query", "SELECT * WHERE " + "{ " * 70 + "?s ?p ?o " + "} " * 70],
        ["central", "--path", "Haier", "Missing"],
        ["build", "--store", "{tmp}/afile/sub"],
        ["graph", "-o", "{tmp}/x.txt", "--focus", "Haier"],
    ],
)
def test_reported_crashes_are_one_line_errors_for_a_real_process(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", *argv], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert proc.stdout == "", "nothing is printed before the error"
