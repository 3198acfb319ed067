"""RDF terms between rdflib and Oxigraph: converting them either way, which terms Oxigraph refuses and rdflib
cannot hold, how to show a term in an error message, and the quads Oxigraph's parser reads from a file. Both
engines read files through ``oxigraph_quads``, so they refuse a bad file with one message; the export checks
with ``check_quads`` that what it writes reads back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

from kg.errors import InputError, KGError, QueryError

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff"\\\\]')
_XSD_STRING = str(XSD.string)
_REWRITTEN_TYPES = {str(XSD.token), str(XSD.normalizedString)}  # rdflib terms never equal plain str, so compare text
LANG_STRING_TYPES = {RDF.langString, URIRef(f"{RDF}dirLangString")}  # rdflib 7 does not name the RDF 1.2 one
#: File suffix → Oxigraph format: the formats Oxigraph's parser reads for both engines. JSON-LD (remote
#: contexts) and RDF/XML (entity declarations) go through kg.dataset.load's guarded rdflib parsers.
NATIVE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
}
QUAD_FORMATS = {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}


def to_ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (a blank node keeps its label)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise QueryError(f"cannot use {term!r} as an RDF term")


def to_ox_resource(term: object) -> ox.NamedNode | ox.BlankNode:
    """``to_ox`` for a subject or graph name, which pyoxigraph takes only as an IRI or blank node: a literal is
    refused with the TypeError pyoxigraph's constructors raise."""
    found = to_ox(term)
    if isinstance(found, ox.Literal):
        raise TypeError(f"a literal cannot be a subject or graph name: {show_term(term)}")
    return found


def to_ox_iri(term: object) -> ox.NamedNode:
    """``to_ox`` for a predicate, which pyoxigraph takes only as an IRI: anything else is refused with the
    TypeError pyoxigraph's constructors raise."""
    found = to_ox(term)
    if not isinstance(found, ox.NamedNode):
        raise TypeError(f"a predicate must be an IRI: {show_term(term)}")
    return found


def to_rdflib(term: object) -> URIRef | BNode | Literal:
    """A pyoxigraph term as the rdflib term rdflib's own parsers would have made (xsd:string → plain); a blank
    node keeps its label, so that it names the same node when it is handed back."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise QueryError(f"the result holds a term rdflib cannot represent: {term}")


def show_term(term: object, limit: int = 80) -> str:
    """A term as N-Triples-like text for an error message: control characters and surrogates escaped, shortened."""
    if isinstance(term, URIRef):
        text = f"<{_escaped(str(term))}>"
    elif isinstance(term, BNode):
        text = "[]"  # its label is the parser's invention, different on every run
    elif isinstance(term, Literal):
        text = f'"{_escaped(str(term))}"'
        if term.language:
            text += f"@{_escaped(term.language)}"
        elif term.datatype:
            text += f"^^<{_escaped(str(term.datatype))}>"
    elif isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple, ox.Quad)):
        text = str(term)
    elif isinstance(term, Variable):
        text = f"?{_escaped(str(term))}"
    else:  # an N3 formula; its name is a counter, different on every run
        text = f"{{ … }} ({type(term).__name__})"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escaped(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\{m[0]}" if m[0] in '"\\' else f"\\u{ord(m[0]):04X}", text)


def _iri_problem(value: str, what: str) -> str | None:
    if _SURROGATE.search(value):
        return f"{what} holds a lone surrogate, which is not Unicode text"
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        return f"{what} is not a valid absolute IRI ({exc})"
    return None


def term_problem(term: object, position: int) -> str | None:
    """Why ``term`` cannot stand at ``position`` (0 subject, 1 predicate, 2 object, 3 graph) of an RDF quad as
    Oxigraph reads one, or None. rdflib holds such terms without complaint and then writes them out broken."""
    if isinstance(term, URIRef):
        return _iri_problem(str(term), "the IRI")
    if isinstance(term, BNode):
        return None if position != 1 else "a blank node cannot be a predicate"
    if isinstance(term, Literal):
        if position != 2:
            return f"a literal cannot be a {('subject', 'predicate', 'object', 'graph name')[position]}"
        if _SURROGATE.search(str(term)):
            return "the literal holds a lone surrogate, which is not Unicode text"
        if term.language is not None:
            try:
                ox.Literal("", language=term.language)
            except (ValueError, UnicodeEncodeError) as exc:
                return f"the language tag {term.language!r} is not valid BCP 47 ({exc})"
        elif term.datatype in LANG_STRING_TYPES:
            return f"a literal typed {term.datatype} needs a language tag"
        elif term.datatype is not None:
            return _iri_problem(str(term.datatype), "the datatype IRI")
        return None
    return "not an RDF term (an N3 formula or variable?)"


def check_quads(quads: Iterable[tuple[Any, Any, Any, Any]], where: str, error: type[KGError] = InputError) -> None:
    """Raise ``error`` naming ``where`` and a term Oxigraph would refuse (see ``term_problem``): of several, the
    first in sorted order, since rdflib's stores give no stable order and the message must not vary."""
    seen: set[tuple[int, object]] = set()
    problems: list[str] = []
    for quad in quads:
        for position, term in enumerate(quad):
            if position == 3 and (term is None or term == DATASET_DEFAULT_GRAPH_ID):
                continue
            key = (position, term)
            if key in seen:
                continue
            problem = term_problem(term, position)
            if problem:
                problems.append(f"{problem}: {show_term(term)}")
            seen.add(key)
    if problems:
        raise error(f"{where}: {min(problems)}")


def unsupported_problem(term: object) -> str | None:
    """Why rdflib, hence the rdflib engine, cannot hold an object Oxigraph read, or None: RDF 1.2 triple
    terms and base directions, and ill-typed xsd:token / xsd:normalizedString literals, whose whitespace
    rdflib's Literal rewrites whatever ``normalize`` says."""
    if isinstance(term, ox.Triple):
        return "RDF 1.2 triple terms are not supported"
    if not isinstance(term, ox.Literal):
        return None
    if term.direction is not None:
        return "RDF 1.2 base directions are not supported"
    if term.datatype.value in _REWRITTEN_TYPES:
        held = Literal(term.value, datatype=URIRef(term.datatype.value))
        if str(held) != term.value:
            return f"rdflib would rewrite this ill-typed literal as {show_term(held)}"
    return None


def term_from_ox(term: Any, blanks: dict[str, BNode]) -> URIRef | BNode | Literal:
    """An Oxigraph term (``unsupported_problem`` ones refused before) as rdflib holds it; blank nodes renamed
    apart per file, as rdflib's parsers do."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        node = blanks.get(term.value)
        if node is None:
            node = blanks[term.value] = BNode()
        return node
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))


def oxigraph_quads(path: Path, fmt: ox.RdfFormat, base: str, data: bytes | None = None) -> Iterator[ox.Quad]:
    """The quads of ``path`` (or of ``data`` read from it) as Oxigraph's parser reads them, for either engine.

    Raises InputError at the first problem in file order — a syntax error (with its line) or an RDF 1.2
    term — so both engines refuse a file with the same message.
    """
    try:
        parsed = (
            ox.parse(data, format=fmt, base_iri=base)
            if data is not None
            else ox.parse(path=str(path), format=fmt, base_iri=base)
        )
        for quad in parsed:
            problem = unsupported_problem(quad.object)
            if problem:
                raise InputError(f"{path}: {problem}: {show_term(quad.object)}")
            yield quad
    except SyntaxError as exc:
        raise InputError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def graph_from_ox(graph: Any, blanks: dict[str, BNode]) -> URIRef | BNode:
    """An Oxigraph graph name as rdflib's Dataset names it (the default graph included)."""
    if isinstance(graph, ox.DefaultGraph):
        return DATASET_DEFAULT_GRAPH_ID
    return term_from_ox(graph, blanks)  # type: ignore[return-value]
