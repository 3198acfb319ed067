"""A saved question's parameters as the workbench offers them (name, type, default, help) and the values a
person types there, bound as RDF terms by the rules of `kg query NAME --param`.

A type comes from the ``# Parameters:`` header when it declares one (``year (xsd:gYear) — …``), else from
the default the query writes (``COALESCE(?year_param, "2019"^^xsd:gYear)``), else from an ``xsd:`` type the
help text mentions; failing all three, a value is read as the CLI reads it (a literal written as in Turtle,
or an entity's name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import QueryError
from kg.resolve import resolve_entity
from kg.saved import SavedQuery, parameter_names

ENTITY = "entity"  # a label, alias, CURIE or IRI, resolved to one entity of the graph
ANY = "any"  # undeclared: read as `kg query --param` reads it

_TZ = r"(?:Z|[+-]\d\d:\d\d)?"
_YEAR = r"-?(?:[1-9]\d{3,}|0\d{3})"
_DATE = _YEAR + r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_INTEGER = r"[+-]?\d+"
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
#: Lexical forms of the XSD types a parameter may take (XML Schema 1.1 part 2): a value outside them is
#: refused, since the engine would only compare it unequal to everything.
LEXICAL = {
    "string": re.compile(r".*", re.DOTALL),
    "boolean": re.compile(r"true|false|1|0"),
    "integer": re.compile(_INTEGER),
    "nonNegativeInteger": re.compile(r"\+?\d+|-0+"),
    "positiveInteger": re.compile(r"\+?0*[1-9]\d*"),
    "decimal": re.compile(_DECIMAL),
    "double": re.compile(rf"{_DECIMAL}(?:[Ee][+-]?\d+)?|[+-]?INF|NaN"),
    "float": re.compile(rf"{_DECIMAL}(?:[Ee][+-]?\d+)?|[+-]?INF|NaN"),
    "gYear": re.compile(_YEAR + _TZ),
    "gYearMonth": re.compile(_YEAR + r"-(?:0[1-9]|1[0-2])" + _TZ),
    "date": re.compile(_DATE + _TZ),
    "dateTime": re.compile(_DATE + r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?" + _TZ),
}
_XSD_NAME = re.compile(r"(?:xsd:|http://www\.w3\.org/2001/XMLSchema#)?([A-Za-z]+)")
_MENTIONED = re.compile(r"\bxsd:([A-Za-z]+)\b")
_TYPED_DEFAULT = re.compile(r'"[^"]*"\^\^xsd:([A-Za-z]+)')
_QUOTED = re.compile(r'"([^"]*)"(?:\^\^\S+|@[A-Za-z-]+)?')


@dataclass(frozen=True)
class Parameter:
    """One parameter: ``kind`` is an XSD datatype as a CURIE (``xsd:gYear``), ENTITY or ANY; ``default`` is the
    value the query falls back on, as a person would type it."""

    name: str
    kind: str
    default: str
    help: str


def _xsd(name: str) -> str | None:
    match = _XSD_NAME.fullmatch(name.strip())
    return f"xsd:{match[1]}" if match and match[1] in LEXICAL else None


def _default(text: str, name: str) -> str:
    match = re.search(rf"COALESCE\s*\(\s*\?{name}_param\s*,\s*(.+?)\s*\)", text)
    return match[1] if match else ""


def _named(name: str) -> str:
    """A parameter's name in the header, written plain or as a variable (``year``, ``?year``)."""
    return rf"(?<![\w?$])[?$]?{name}\b"


def _help(header: str, names: Iterable[str]) -> dict[str, str]:
    """Each parameter's part of the header: from its name to the next parameter's name."""
    found = sorted((*match.span(), name) for name in names if (match := re.search(_named(name), header)))
    ends = [start for start, _, _ in found[1:]] + [len(header)]
    parts = {}
    for (_, after, name), end in zip(found, ends, strict=False):  # no names found: one end, no start
        parts[name] = re.sub(r"^\s*(?:\([^()]*\))?\s*[—:-]?\s*", "", header[after:end]).strip(" ;,")
    return parts


def _kind(name: str, header: str, default: str, help_text: str) -> str:
    declared = re.search(_named(name) + r"\s*\(([^()]+)\)", header)
    if declared:
        return _xsd(declared[1]) or ENTITY
    typed = _TYPED_DEFAULT.fullmatch(default)
    if typed:
        return _xsd(typed[1]) or ANY
    if re.fullmatch(r"<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*", default):
        return ENTITY
    mentioned = _MENTIONED.search(help_text)
    return (_xsd(mentioned[1]) if mentioned else None) or ANY


def parameters_of(saved: SavedQuery) -> list[Parameter]:
    """The parameters a saved question takes, in the order of their names."""
    names = parameter_names(saved)
    helps = _help(saved.parameters, names)
    found = []
    for name in names:
        default = _default(saved.text, name)
        quoted = _QUOTED.fullmatch(default)
        help_text = helps.get(name, "")
        kind = _kind(name, saved.parameters, default, help_text)
        found.append(Parameter(name, kind, quoted[1] if quoted else default, help_text))
    return found


def bind(ds: Graph, values: Iterable[tuple[str, str, str]]) -> dict[str, URIRef | Literal]:
    """(name, kind, value as typed) → the bindings ``kg.query.prepare`` takes (``NAME_param`` → term).

    A QueryError or ResolveError names the parameter when a value does not fit its type or entity."""
    bindings: dict[str, URIRef | Literal] = {}
    for name, kind, raw in values:
        bindings[f"{name}_param"] = _term(ds, name, kind, raw)
    return bindings


def _term(ds: Graph, name: str, kind: str, raw: str) -> URIRef | Literal:
    from kg.cli import _parse_param, _turtle_literal  # the CLI's own reading of --param NAME=VALUE

    if kind == ENTITY:
        return resolve_entity(ds, raw)
    if kind == ANY:
        return _parse_param(lambda entity: resolve_entity(ds, entity), f"{name}={raw}")[1]
    local = kind.removeprefix("xsd:")
    if local != "string":
        raw = raw.strip()
        if raw.startswith(('"', "'")):  # written out in full, as on the command line
            return _turtle_literal(name, raw)
    if local not in LEXICAL or not LEXICAL[local].fullmatch(raw):
        raise QueryError(f"parameter {name}: {raw!r} is not an {kind}")
    return Literal(raw, datatype=XSD[local])
