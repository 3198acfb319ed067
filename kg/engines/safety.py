"""The one check every query text passes before any engine (rdflib, Oxigraph, a remote endpoint) sees it.

Safe by default: SERVICE is refused, FROM / FROM NAMED select graphs already in the dataset (never
dereferenced), SPARQL Update and LOAD are refused, and while a query runs an audit hook blocks any
socket the engine might still open. ``allow_network=True`` lifts this for users who explicitly
want federation.

One text, one meaning. rdflib expands ``\\uXXXX`` escapes over the whole text before parsing (as
SPARQL 1.1 §19.2 says) while Oxigraph expands them only inside strings and IRIs; rdflib ends a
comment at LF, Oxigraph at CR too. So the same bytes could read as a string to the check and as
SERVICE to the engine. ``prepare`` therefore normalises the text once (escapes expanded, line
ends made LF), writes the parameters into it as validated terms, and checks that text; the
engines run exactly that text. A lexical tripwire refuses SERVICE wherever it appears in a
position the check did not see, and Oxigraph evaluates in a process with no network at all
(kg.engines.limits.isolate_network), so a parser disagreement still cannot reach out.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from rdflib import Literal, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query

from kg.errors import QueryError
from kg.vocab.namespaces import PREFIXES

#: Brackets of all kinds nested deeper than this are refused before parsing: rdflib's parser recurses
#: about 35 frames per level, and Oxigraph's parser overflows the C stack (a crash) near 5,000.
MAX_NESTING = 64
#: Recursion rdflib may use while parsing and evaluating a query within MAX_NESTING.
_RECURSION = 8000
FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_BRACKETS = re.compile(r"[{}()\[\]]")
#: SERVICE followed, after blanks and comments, by what a SERVICE clause takes (SILENT, an IRI, a
#: variable or a prefixed name) — wherever it stands, strings and comments included.
_SERVICE_WORD = re.compile(
    r"(?<![\w:?$\-.])SERVICE(?:\s|#[^\n]*\n)*(?:SILENT\b|<|[?$][A-Za-z_0-9]|[A-Za-z][\w.\-]*:|:)",
    re.IGNORECASE,
)
#: Query texts up to this many characters keep their parse, at most _PARSES of them (least recently used
#: first out): rdflib's parser takes 10-40 ms of a saved question that Oxigraph answers in 1 ms, and a
#: server hears the same questions again and again. Longer texts are parsed afresh, so hostile clients
#: cannot make the cache hold more than about _PARSES × _CACHEABLE characters of text and their parses.
_CACHEABLE = 16_384
_PARSES = 256
_REFUSED_SERVICE = "SERVICE is refused: queries never reach the network (use --allow-network to permit it)"


def normalise(text: str) -> str:
    """The query as every engine must read it: escape sequences expanded once, line ends made LF.

    A text whose expansion spells another escape sequence is refused, since one engine would
    expand it again and read something else.
    """
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise QueryError("the query is not valid Unicode (it holds a lone surrogate)")

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryError(f"invalid escape {match.group(0)}: not a Unicode character")
        return chr(code)

    out = _ESCAPE.sub(expand, text)
    if _ESCAPE.search(out):
        raise QueryError("the query's escape sequences expand into further escape sequences; write the characters")
    return out.replace("\r\n", "\n").replace("\r", "\n")


def nesting(text: str) -> int:
    """How deeply brackets of any kind nest in ``text`` (strings and comments counted too: a safe overestimate)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group(0) in "{([":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Room for rdflib's recursive parser and evaluator on queries up to MAX_NESTING deep."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, _RECURSION))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


# --- parameters as text ----------------------------------------------------------------------------

_IRI = re.compile(r'^[^<>"{}|^`\\\x00-\x20]*$')
_LANG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _iri_text(iri: str) -> str:
    if not _IRI.match(iri) or any("\ud800" <= ch <= "\udfff" for ch in iri):
        raise QueryError(f"not a valid IRI: {iri!r}")
    return f"<{iri}>"


def term_text(term: object) -> str:
    """An IRI or literal written in SPARQL syntax, after checking it is a well-formed RDF term."""
    if isinstance(term, URIRef):
        return _iri_text(str(term))
    if isinstance(term, Literal):
        value = str(term)
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise QueryError(f"not valid Unicode: {value!r}")
        quoted = '"' + "".join(_ECHAR.get(ch, ch) for ch in value) + '"'
        if term.language:
            if not _LANG.match(term.language):
                raise QueryError(f"not a language tag: {term.language!r}")
            return f"{quoted}@{term.language}"
        return f"{quoted}^^{_iri_text(str(term.datatype))}" if term.datatype else quoted
    raise QueryError(f"a parameter must be an IRI or a literal, got {term!r}")


# Strings, IRIs and comments are copied as they are; only variables outside them are candidates.
_TOKENS = re.compile(
    "|".join(
        (
            r"'''(?:[^'\\]|\\.|'(?!''))*'''",
            r'"""(?:[^"\\]|\\.|"(?!""))*"""',
            r"'(?:[^'\\\n]|\\.)*'",
            r'"(?:[^"\\\n]|\\.)*"',
            r'<[^<>"{}|^`\\\x00-\x20]*>',
            r"\#[^\n]*",
            r"[?$]([A-Za-z_0-9]+)",
        )
    )
)


def splice(text: str, values: Mapping[str, object]) -> str:
    """The query with each named variable written as its (validated) value.

    Hand-written because pyoxigraph substitutes only variables the query projects (oxigraph#1837),
    while our saved queries read their parameters inside the pattern (``COALESCE(?entity_param,
    qd:Haier)``), and rdflib's algebra cannot be written back to text. The result is checked like
    any query before it runs, so a term can never add structure to it.
    """
    written = {name: term_text(value) for name, value in values.items()}

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return written[name] if name is not None and name in written else match.group(0)

    return _TOKENS.sub(swap, text)


# --- checking ----------------------------------------------------------------------------------------


def _position(exc: Exception) -> str:
    line, col = getattr(exc, "lineno", None), getattr(exc, "column", None)
    return f"line {line}, column {col}: " if line is not None else ""


def _walk(node: object) -> Iterable[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)


def _translate_error(exc: Exception) -> QueryError:
    msg = str(exc)
    if msg.startswith("Unknown namespace prefix"):
        prefix = msg.split(":", 1)[1].strip()
        known = ", ".join(f"{p}:" for p in PREFIXES)
        return QueryError(f"unknown prefix '{prefix}:'; predeclared prefixes are {known}")
    return QueryError(f"invalid query: {msg}")


def is_update(text: str) -> bool:
    """Whether the text is SPARQL Update (INSERT, DELETE, LOAD, CLEAR ...) rather than a query."""
    try:
        with deep_recursion():
            parseUpdate(text)
    except Exception:
        return False
    return bool(_meaningful(text))


def _meaningful(text: str) -> str:
    """The text without comments and blanks (an empty or comment-only text is no query at all)."""
    return re.sub(r"#[^\n]*", "", text).strip()


def _parse(text: str) -> Query:
    """The checked parse of ``text``; callers must not change it, since equal texts share it."""
    return _parse_cached(text) if len(text) <= _CACHEABLE else _parse_fresh(text)


def _parse_fresh(text: str) -> Query:
    if not _meaningful(text):
        raise QueryError("empty query: write a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    deepest = nesting(text)
    if deepest > MAX_NESTING:
        raise QueryError(f"query nested {deepest} levels deep; at most {MAX_NESTING} levels are accepted")
    try:
        with deep_recursion():
            tree = parseQuery(text)
    except RecursionError:
        raise QueryError("query too deeply nested to parse") from None
    except Exception as exc:  # pyparsing ParseException and friends
        if is_update(text):
            raise QueryError(
                "SPARQL Update is refused: the graph is read-only (use --update-copy OUT to change a copy)"
            ) from None
        found = getattr(exc, "found", None)
        token = f" near {found}" if found else ""
        raise QueryError(f"malformed query: {_position(exc)}syntax error{token}") from None
    try:
        with deep_recursion():
            query = translateQuery(tree, initNs=dict(PREFIXES))
    except RecursionError:
        raise QueryError("query too deeply nested to parse") from None
    except Exception as exc:
        raise _translate_error(exc) from None
    if query.algebra.name == "ConstructQuery" and not query.algebra.get("template"):
        query.algebra["template"] = _where_template(query.algebra)
    return query


_parse_cached = functools.lru_cache(maxsize=_PARSES)(_parse_fresh)  # failures raise, so they are never kept


def _refuse_network(query: Query, text: str) -> None:
    if any(node.name == "ServiceGraphPattern" for node in _walk(query.algebra)):
        raise QueryError(_REFUSED_SERVICE)
    if _SERVICE_WORD.search(text):
        raise QueryError(
            f"{_REFUSED_SERVICE}; the text spells SERVICE where the check sees a string, comment or name, "
            "which SPARQL engines may read differently: rephrase it"
        )


@dataclass
class Prepared:
    """A query ready to run: ``text`` is what was checked and exactly what any engine executes."""

    text: str
    query: Query  # rdflib's parse of ``text``
    bindings: dict[Variable, URIRef | Literal] = field(default_factory=dict)  # projected parameters
    form: str = "SELECT"

    @property
    def projected(self) -> set[str]:
        return {str(v) for v in self.query.algebra.get("PV") or ()}

    @property
    def dataset_clauses(self) -> list | None:
        return self.query.algebra.get("datasetClause")


def prepare(text: str, bindings: Mapping[str, object] | None = None, *, allow_network: bool = False) -> Prepared:
    """Normalise, bind and check a query: unsafe features refused, parameters written in as validated terms.

    A parameter the query projects stays a binding (rdflib's initial bindings, Oxigraph's
    substitutions): it cannot be written into a SELECT clause as a term. A text without parameters is
    checked once and its Prepared reused (its parse shared, see _CACHEABLE).
    """
    if not bindings and len(text) <= _CACHEABLE:
        return replace(_prepare_plain(text, allow_network), bindings={})
    return _prepare(text, bindings, allow_network)


def _prepare(text: str, bindings: Mapping[str, object] | None, allow_network: bool) -> Prepared:
    text = normalise(text)
    query = _parse(text)
    values = dict(bindings or {})
    if values:
        projected = {str(v) for v in query.algebra.get("PV") or ()}
        inline = {k: v for k, v in values.items() if k not in projected}
        if inline:
            bound = normalise(splice(text, inline))
            try:
                query = _parse(bound)
            except QueryError as exc:
                names = ", ".join(f"?{k}" for k in sorted(inline))
                raise QueryError(f"cannot write the parameter(s) {names} into this query: {exc}") from None
            text = bound
        values = {k: v for k, v in values.items() if k in projected}
        for value in values.values():
            term_text(value)  # the same validation as a written parameter
    if not allow_network:
        _refuse_network(query, text)
    form = FORMS.get(query.algebra.name, "SELECT")
    # every value left was checked by term_text, which passes IRIs and literals alone
    return Prepared(text, query, {Variable(k): v for k, v in values.items() if isinstance(v, (URIRef, Literal))}, form)


@functools.lru_cache(maxsize=_PARSES)
def _prepare_plain(text: str, allow_network: bool) -> Prepared:
    return _prepare(text, None, allow_network)


def _where_template(algebra: CompValue) -> list:
    """The template of ``CONSTRUCT WHERE { … }``: its basic graph pattern.

    rdflib looks for it exactly two levels down and fails ("'NoneType' object is not iterable")
    when LIMIT, OFFSET or ORDER BY put more operators in between.
    """
    node = algebra["p"]
    while isinstance(node, CompValue) and node.name != "BGP" and "p" in node:
        node = node["p"]
    return list(node["triples"]) if isinstance(node, CompValue) and node.name == "BGP" else []
