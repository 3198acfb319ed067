"""Saved competency questions: ``queries/NAME.rq`` files whose header comment states the question.

A parameter ``NAME`` is the variable ``?NAME_param``, read as ``COALESCE(?NAME_param, default)`` so the
file runs anywhere without it. Its type is declared in the header (``# Parameters: year (xsd:gYear) — …``,
``entity (IRI) — …``): the one place that turns what a user typed (``2019``, ``Haier Kaos``) into the
RDF term the query compares with, for the CLI and the Python API alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from kg.dataset.paths import queries_dir
from kg.errors import InputError, QueryError
from kg.vocab.namespaces import PREFIXES

_FIELD = re.compile(r"^#\s*(Question|Parameters|Expect|Note|Shape):\s*(.*)$")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: A term a COALESCE default may be: an IRI, a prefixed name, a literal (typed or tagged) or a number.
_TERM = "|".join(
    (
        r'<[^<>"\s]*>',
        r'"(?:[^"\\\n]|\\.)*"(?:\^\^(?:<[^<>"\s]*>|[A-Za-z][\w.-]*:[\w.-]*)|@[A-Za-z0-9-]+)?',
        r"[A-Za-z][\w.-]*:[\w.-]*",
        r"[+-]?[\d.]+(?:[eE][+-]?\d+)?",
    )
)

#: Parameter types a header may declare: "IRI" (an entity, named as the user likes), or an XSD datatype
#: with the lexical forms it accepts.
LEXICAL: dict[str, re.Pattern[str]] = {
    "xsd:gYear": re.compile(r"-?\d{4,}(?:Z|[+-]\d{2}:\d{2})?"),
    "xsd:date": re.compile(r"-?\d{4,}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?"),
    "xsd:integer": re.compile(r"[+-]?\d+"),
    "xsd:decimal": re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"),
    "xsd:string": re.compile(r"(?s).*"),
}
TYPES = ("IRI", *LEXICAL)
#: What an undeclared parameter reads as a number rather than a name (as Turtle writes numbers).
_NUMBER = re.compile(r"^[+-]?(?:\d+|\d*\.\d+|(?:\d+\.\d*|\.?\d+)[eE][+-]?\d+)$", re.ASCII)

Resolver = Callable[[str], URIRef]


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


def saved_queries(folder: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved question by name, in name order (iterate ``.values()`` for the questions)."""
    return {p.stem: load_saved(p) for p in sorted((folder or queries_dir()).glob("*.rq"))}


def find_saved(name: str, folder: Path | None = None) -> SavedQuery | None:
    """The saved question called ``name`` (with or without .rq), or None."""
    stem = name[:-3] if name.endswith(".rq") else name
    if not _NAME.fullmatch(stem):
        return None
    path = (folder or queries_dir()) / f"{stem}.rq"
    return load_saved(path) if path.is_file() else None


def looks_like_name(text: str) -> bool:
    """Whether ``text`` is a bare word such as ``plan-targets``: a saved name or a typo of one, never SPARQL."""
    stem = text.strip()
    return bool(_NAME.fullmatch(stem[:-3] if stem.endswith(".rq") else stem))


def lookup(name: str, folder: Path | None = None) -> SavedQuery:
    """The saved question called ``name``; a QueryError suggesting the closest names if there is none."""
    saved = find_saved(name.strip(), folder)
    if saved is not None:
        return saved
    stem = name.strip().removesuffix(".rq")
    names = list(saved_queries(folder))
    close = [n for n in names if stem.casefold() in n.casefold()]
    close += difflib.get_close_matches(stem, names, n=3, cutoff=0.5)
    hint = " or ".join(dict.fromkeys(close[:3]))
    raise QueryError(f"no saved question {stem!r}" + (f"; did you mean {hint}?" if hint else ""))


# --- parameters ------------------------------------------------------------------------------------


def parameter_names(saved: SavedQuery) -> list[str]:
    """Names of the parameters a saved query takes (variables ``?NAME_param`` in its text)."""
    return sorted(set(re.findall(r"\?([A-Za-z][A-Za-z0-9_]*)_param\b", saved.text)))


def parameter_types(saved: SavedQuery) -> dict[str, str | None]:
    """Each parameter's declared type (``IRI`` or an XSD datatype CURIE), None where the header declares none."""
    types: dict[str, str | None] = {}
    for name in parameter_names(saved):
        m = re.search(rf"(?<![\w-]){re.escape(name)} \(([^)]*)\)", saved.parameters)
        declared = m.group(1).strip() if m else None
        if declared is not None and declared not in TYPES:
            raise QueryError(
                f"saved question {saved.name!r} declares parameter {name} as {declared!r}; "
                f"a type is one of {', '.join(TYPES)}"
            )
        types[name] = declared
    return types


def parameter_defaults(saved: SavedQuery) -> dict[str, str]:
    """Each parameter's default as written in the query: the term in ``COALESCE(?NAME_param, default)``."""
    found = {}
    for name in parameter_names(saved):
        m = re.search(rf"COALESCE\(\s*\?{re.escape(name)}_param\s*,\s*({_TERM})\s*\)", saved.text)
        if m is None:
            raise QueryError(
                f"saved question {saved.name!r} reads ?{name}_param without COALESCE(?{name}_param, default)"
            )
        found[name] = m.group(1)
    return found


def standalone(saved: SavedQuery) -> str:
    """The question for tools without parameters: each ``COALESCE(?NAME_param, default)`` written as its default."""
    text = saved.text
    for name, default in parameter_defaults(saved).items():
        pattern = rf"COALESCE\(\s*\?{re.escape(name)}_param\s*,\s*{re.escape(default)}\s*\)"
        text = re.sub(pattern, _verbatim(default), text)
    return text


def _verbatim(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that puts in ``text`` as it is (no backslash escapes or group references)."""
    return lambda _match: text


def require_known_parameters(saved: SavedQuery, given: list[str]) -> None:
    known = parameter_names(saved)
    for name in given:
        if name not in known:
            hint = ", ".join(known) if known else "none"
            raise QueryError(f"saved question {saved.name!r} has no parameter {name!r} (it takes: {hint})")


def typed_value(saved: SavedQuery, name: str, value: object, resolve: Resolver) -> URIRef | Literal:
    """The RDF term for parameter ``name``: a name resolved to an IRI, a bare value typed as declared, or a
    term given as such (which must already be of the declared type)."""
    declared = parameter_types(saved).get(name)
    if declared == "IRI":
        if isinstance(value, URIRef):
            return value
        if isinstance(value, str) and not isinstance(value, Literal):
            return resolve(value)
        raise QueryError(f"parameter {name} takes an entity (a name or IRI), got {value!r}")
    if isinstance(value, (URIRef, Literal)):
        term = value
    elif isinstance(value, str) and value.startswith(('"', "'")):
        term = turtle_literal(name, value)
    elif declared is None:
        return _untyped(name, value, resolve)
    else:  # typed into a form or on a command line: blanks around a number or a year are no part of it
        text = _lexical(value)
        term = Literal(text if declared == "xsd:string" else text.strip(), datatype=_datatype(declared))
    return _checked(name, term, declared)


def _untyped(name: str, value: object, resolve: Resolver) -> URIRef | Literal:
    """A value for a parameter whose type is not declared: a number is a number, other text names an entity."""
    if not isinstance(value, str):
        return Literal(value)
    return turtle_literal(name, value) if _NUMBER.match(value) else resolve(value)


def _lexical(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _datatype(declared: str) -> URIRef:
    return URIRef(str(PREFIXES["xsd"]) + declared.split(":", 1)[1])


def _checked(name: str, term: URIRef | Literal, declared: str | None) -> URIRef | Literal:
    if declared is None:
        return term
    datatype = _datatype(declared)
    plain_string = declared == "xsd:string" and isinstance(term, Literal) and term.datatype is None
    if not isinstance(term, Literal) or term.language or not (term.datatype == datatype or plain_string):
        raise QueryError(f"parameter {name} takes an {declared}, got {term.n3()}")
    if not LEXICAL[declared].fullmatch(str(term)):
        raise QueryError(f"parameter {name} takes an {declared}: {str(term)!r} is not one")
    return term


def turtle_literal(name: str, value: str) -> Literal:
    """The literal ``value`` spells in Turtle (``"2019"^^xsd:gYear``, ``"Haier"@en``, ``42``), read by rdflib's
    Turtle parser with the project's prefixes so that anything malformed is an error."""
    prologue = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
    graph = Graph()
    try:
        graph.parse(data=f"{prologue}<urn:kg:param> <urn:kg:value> {value} .", format="turtle")
    except Exception:
        raise QueryError(f"parameter {name}: {value!r} is not a literal (write e.g. '\"2019\"^^xsd:gYear')") from None
    values = list(graph.objects())
    if len(values) != 1 or not isinstance(values[0], Literal):
        raise QueryError(f"parameter {name}: {value!r} is not one literal")
    return values[0]


def saved_bindings(saved: SavedQuery, values: Mapping[str, object], resolve: Resolver) -> dict[str, URIRef | Literal]:
    """Initial bindings (``NAME_param`` → term) for the parameters ``values`` gives by name."""
    require_known_parameters(saved, list(values))
    return {f"{name}_param": typed_value(saved, name, value, resolve) for name, value in values.items()}
