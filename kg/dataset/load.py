"""Files → a dataset held by the chosen engine: one named graph per source, the default graph being their union.

Both engines read a file alike or refuse it with the same message. Turtle, TriG, N-Triples and
N-Quads are read by Oxigraph's parser for both: rdflib's own parser accepts what is not RDF (a
literal subject, an IRI written ``<\\u003Cx\\u003E>``, a lone surrogate, N3 paths in Turtle) and
mis-reads valid files (the token ``01`` becomes "1", ``<?q>`` resolves against the folder). JSON-LD,
RDF/XML and N3 go through rdflib's guarded parsers for both engines, and each term they produce is
then checked as Oxigraph checks it. RDF 1.2 triple terms and base directions, which Oxigraph reads
but rdflib cannot hold, are refused on both.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import rdflib
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.dataset.cache import cached
from kg.dataset.paths import Source, shipped_sources
from kg.engines.backend import LocalBackend
from kg.engines.guard import NetworkBlocked, no_network
from kg.engines.rdflib import RdflibBackend
from kg.engines.registry import engine_named
from kg.engines.terms import NATIVE_FORMATS, check_quads
from kg.errors import InputError

# An RDF term is its lexical form. With NORMALIZE_LITERALS on, rdflib rewrites typed literals when it
# builds them, also when a cached Dataset is unpickled: "<p>x</p>"^^rdf:HTML becomes "<p>x",
# "INF"^^xsd:double the invalid "inf", "01"^^xsd:integer "1". Keep literals as written, as Oxigraph does.
rdflib.NORMALIZE_LITERALS = False


class _TermNoise(logging.Filter):
    """rdflib warns on stderr about every ill-typed literal ("abc"^^xsd:integer, legal RDF), with a traceback,
    and every IRI it finds odd; the loader and the export check terms themselves and say so in one line."""

    _NOISE = ("Failed to convert Literal lexical form to value", "does not look like a valid URI")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(noise in str(record.msg) for noise in self._NOISE)


logging.getLogger("rdflib.term").addFilter(_TermNoise())
# Nor need users see the warnings rdflib raises while reading or sorting ill-typed booleans and numbers.
warnings.filterwarnings("ignore", "(Parsing weird boolean|Serializing weird numerical)", UserWarning, "rdflib.term")

#: File suffix → rdflib parser name, for files users add with ``--data``.
FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}
_XML_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: Bumped when the loader reads files differently, so the parse cache never serves an older reading.
_READER_VERSION = "oxigraph-native-1"


# --- files ---------------------------------------------------------------------------------------


def _describe_parse_error(path: Path, exc: Exception) -> str:
    if isinstance(exc, BadSyntax):
        # BadSyntax.lines counts the newlines before the error, so the 1-based line is one more.
        return f"{path}:{exc.lines + 1}: syntax error: {exc._why}"
    line = getattr(exc, "lineno", None) or getattr(exc, "line", None)
    where = f":{line}" if isinstance(line, int) else ""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{path}{where}: cannot parse: {msg}"


def parse_into(ds: Dataset, path: Path, graph: URIRef | None = None) -> None:
    """Parse one file into the rdflib Dataset ``ds``; triples go to ``graph`` (default: a graph named by the file's
    URI). Raises InputError naming the file (and line, when the parser knows it) instead of a traceback; nothing
    of a refused file reaches ``ds``."""
    read_into(RdflibBackend(ds), path, graph)


def read_into(backend: LocalBackend, path: Path, graph: URIRef | None = None) -> None:
    """Read one file into ``backend``: the formats Oxigraph's parser reads through the backend itself, the others
    through rdflib's guarded parsers (no context references, no entity declarations)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown RDF file type (use one of {', '.join(sorted(FORMATS))})")
    if path.suffix.lower() in NATIVE_FORMATS:
        backend.load_file(path, graph)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if fmt == "xml" and _XML_DTD.search(data):
        raise InputError(f"{path}: RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion risk)")
    if fmt == "json-ld":
        refuse_context_references(data, path)
    base = path.resolve().as_uri()
    own = graph or URIRef(base)
    backend.load_quads(_rdflib_quads(data, fmt, path, base, None if fmt == "json-ld" else own), own)


def _rdflib_quads(data: bytes, fmt: str, path: Path, base: str, target: URIRef | None) -> list[tuple]:
    side = Dataset()
    try:
        with no_network(f"while reading {path}"):  # context references are refused before; this is the backstop
            if target is None:
                side.parse(data=data, format=fmt, publicID=base)
            else:
                side.graph(target).parse(data=data, format=fmt, publicID=base)
    except (InputError, NetworkBlocked) as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # parsers raise many types; all mean "bad input file"
        raise InputError(_describe_parse_error(path, exc)) from None
    quads = [(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in side.quads((None, None, None, None))]
    check_quads(quads, str(path))
    # RDF 1.1 has one string type: "x"^^xsd:string is "x", as Oxigraph and the Turtle path hold it.
    return [(s, p, Literal(str(o)) if _is_xsd_string(o) else o, g) for s, p, o, g in quads]


def _is_xsd_string(term: object) -> bool:
    return isinstance(term, Literal) and term.datatype == XSD.string


def refuse_context_references(data: bytes, path: Path) -> None:
    """Refuse a JSON-LD document whose ``@context`` (anywhere, scoped ones too) or ``@import`` names another
    document: rdflib would read a ``file:`` or relative one from disk, and its error would tell whether it
    exists. The message is the same whether or not it does; only inline contexts are read.

    rdflib 7 has no document-loader hook, so the JSON itself is inspected before rdflib sees it.
    """

    def refuse(value: object) -> None:
        raise InputError(
            f"{path}: the JSON-LD context reference {json.dumps(value, ensure_ascii=True)[:80]} is refused: "
            "kg reads only contexts written inline, never a file or URL"
        )

    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        document = json.loads(data, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not valid JSON: {exc or 'nested too deeply'}") from None
    for key, value in _json_items(document):
        if key == "@import":
            refuse(value)
        if key == "@context":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    refuse(item)


def _json_items(document: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) of every object in a JSON document, without recursion (documents nest deeply)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield from node.items()
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files given with ``--data``: a file as is, a folder as every RDF file under it (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


def load_dataset(
    extra: Iterable[str | Path] = (), sources: list[Source] | None = None, engine: str = "rdflib"
) -> Dataset:
    """Load the ontology, entities, article graphs and curated graph, plus any user files on top, into ``engine``.

    The default graph is the union of all named graphs, so plain patterns see everything and
    ``GRAPH ?g { … }`` tells which source states a triple. ``engine="oxigraph"`` holds the same
    graphs in an in-memory Oxigraph store (see kg.engines.oxigraph); an engine whose datasets can be
    pickled is served from the parse cache when no file changed.
    """
    kind = engine_named(engine)
    sources = sources if sources is not None else shipped_sources()
    paths = expand_paths(extra)

    def parse() -> Dataset:
        backend = kind.empty()
        for src in sources:
            read_into(backend, src.path, src.graph)
        for path in paths:
            read_into(backend, path)
        return backend.dataset

    if not kind.capabilities.cached:
        return parse()
    files = [(s.path, f"{s.graph}|{_READER_VERSION}") for s in sources] + [(p, _READER_VERSION) for p in paths]
    return cached(files, parse)
