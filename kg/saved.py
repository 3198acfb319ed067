"""Saved competency questions: ``queries/NAME.rq`` files whose header comment states the question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, QueryError
from kg.project import queries_dir

_FIELD = re.compile(r"^#\s*(Question|Parameters|Expect|Note):\s*(.*)$")


@dataclass(frozen=True)
class SavedQuery:
    """One saved question: its name (file stem), the question, parameters, expectation and text."""

    name: str
    path: Path
    question: str
    parameters: str
    expect: str
    text: str


def _header(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _FIELD.match(line)
        if m:
            current = m.group(1)
            fields[current] = m.group(2).strip()
        elif current:
            fields[current] += " " + line.lstrip("#").strip()
    return fields


def read_query_file(path: Path) -> str:
    """A query file's text; unreadable or non-UTF-8 files are an InputError naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded); save the query as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_saved(path: Path) -> SavedQuery:
    text = read_query_file(path)
    h = _header(text)
    return SavedQuery(path.stem, path, h.get("Question", ""), h.get("Parameters", ""), h.get("Expect", ""), text)


def saved_queries(folder: Path | None = None) -> list[SavedQuery]:
    """Every saved question, sorted by name."""
    return [load_saved(p) for p in sorted((folder or queries_dir()).glob("*.rq"))]


def find_saved(name: str, folder: Path | None = None) -> SavedQuery | None:
    """The saved question called ``name`` (with or without .rq), or None."""
    stem = name[:-3] if name.endswith(".rq") else name
    if not re.fullmatch(r"[A-Za-z0-9_-]+", stem):
        return None
    path = (folder or queries_dir()) / f"{stem}.rq"
    return load_saved(path) if path.is_file() else None


def parameter_names(saved: SavedQuery) -> list[str]:
    """Names of the parameters a saved query takes (variables ``?NAME_param`` in its text)."""
    return sorted(set(re.findall(r"\?([A-Za-z][A-Za-z0-9_]*)_param\b", saved.text)))


def require_known_parameters(saved: SavedQuery, given: list[str]) -> None:
    known = parameter_names(saved)
    for name in given:
        if name not in known:
            hint = ", ".join(known) if known else "none"
            raise QueryError(f"query {saved.name!r} has no parameter {name!r} (it takes: {hint})")
