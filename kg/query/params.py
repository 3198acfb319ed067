"""A saved question's parameters as the workbench offers them: name, declared type, default and help.

Typing and binding live in kg.query.saved alone (the CLI, the API and the server bind through it); this module
only describes the parameters for a form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kg.query.saved import SavedQuery, parameter_defaults, parameter_names, parameter_types

ANY = "any"  # no type declared: a value is read as `kg query --param` reads it
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\^\^\S+|@[A-Za-z0-9-]+)?')


@dataclass(frozen=True)
class Parameter:
    """One parameter: ``kind`` is "IRI" (an entity, named as a person likes), an XSD datatype CURIE or ANY;
    ``default`` is the value the question falls back on, as a person would type it."""

    name: str
    kind: str
    default: str
    help: str


def _help(header: str, names: Iterable[str]) -> dict[str, str]:
    """Each parameter's part of the header: from its name (and declared type) to the next parameter's name."""
    found = sorted(
        (*match.span(), name) for name in names if (match := re.search(rf"(?<![\w?$-])[?$]?{name}\b", header))
    )
    ends = [start for start, _, _ in found[1:]] + [len(header)]
    return {
        name: re.sub(r"^\s*(?:\([^()]*\))?\s*[—:-]?\s*", "", header[after:end]).strip(" ;,")
        for (_, after, name), end in zip(found, ends, strict=False)
    }


def parameters_of(saved: SavedQuery) -> list[Parameter]:
    """The parameters a saved question takes, in the order of their names."""
    names = parameter_names(saved)
    types, defaults, helps = parameter_types(saved), parameter_defaults(saved), _help(saved.parameters, names)
    out = []
    for name in names:
        quoted = _QUOTED.fullmatch(defaults[name])
        out.append(Parameter(name, types[name] or ANY, quoted[1] if quoted else defaults[name], helps.get(name, "")))
    return out
