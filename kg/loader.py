"""Files → rdflib Dataset: one named graph per source, the default graph being their union."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.errors import InputError
from kg.namespaces import bind_prefixes
from kg.netguard import NetworkBlocked, no_network
from kg.project import Source, shipped_sources

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
QUAD_FORMATS = {"nquads", "trig", "json-ld"}
_XML_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def new_dataset() -> Dataset:
    """An empty Dataset with the project's prefixes bound and the default graph as the union."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    return ds


def _describe_parse_error(path: Path, exc: Exception) -> str:
    if isinstance(exc, BadSyntax):
        # BadSyntax.lines counts the newlines before the error, so the 1-based line is one more.
        return f"{path}:{exc.lines + 1}: syntax error: {exc._why}"
    line = getattr(exc, "lineno", None) or getattr(exc, "line", None)
    where = f":{line}" if isinstance(line, int) else ""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{path}{where}: cannot parse: {msg}"


def parse_into(ds: Dataset, path: Path, graph: URIRef | None = None, fmt: str | None = None) -> None:
    """Parse one file into ``ds``; triples go to ``graph`` (default: a graph named by the file's URI).

    Raises InputError naming the file (and line, when the parser knows it) instead of a traceback.
    """
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown RDF file type (use one of {', '.join(sorted(FORMATS))})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if fmt == "xml" and _XML_DTD.search(data):
        raise InputError(f"{path}: RDF/XML with a DOCTYPE or ENTITY declaration is refused (entity expansion risk)")
    try:
        with no_network(f"while reading {path} (e.g. a remote JSON-LD @context)"):
            _parse(ds, data, fmt, path, graph)
    except (InputError, NetworkBlocked) as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # parsers raise many types; all mean "bad input file"
        raise InputError(_describe_parse_error(path, exc)) from None


def _parse(ds: Dataset, data: bytes, fmt: str, path: Path, graph: URIRef | None) -> None:
    if fmt in QUAD_FORMATS:
        ds.parse(data=data, format=fmt, publicID=path.resolve().as_uri())
    else:
        target: Graph = ds.graph(graph or URIRef(path.resolve().as_uri()))
        target.parse(data=data, format=fmt, publicID=path.resolve().as_uri())


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


ENGINES = ("rdflib", "oxigraph")


def load_dataset(
    extra: Iterable[str | Path] = (), sources: list[Source] | None = None, engine: str = "rdflib"
) -> Dataset:
    """Load the ontology, entities, article graphs and curated graph, plus any user files on top.

    The default graph is the union of all named graphs, so plain patterns see everything and
    ``GRAPH ?g { … }`` tells which source states a triple. ``engine="oxigraph"`` holds the same
    graphs in an in-memory Oxigraph store (see kg.oxigraph_engine).
    """
    sources = sources if sources is not None else shipped_sources()
    if engine == "oxigraph":
        from kg.oxigraph_engine import as_dataset, new_store

        store = new_store()
        load_into_store(store, sources, extra)
        return as_dataset(store)
    if engine != "rdflib":
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    paths = expand_paths(extra)

    def parse() -> Dataset:
        ds = new_dataset()
        for src in sources:
            parse_into(ds, src.path, src.graph, "turtle")
        for path in paths:
            parse_into(ds, path)
        return ds

    from kg.parse_cache import cached

    return cached([(s.path, str(s.graph)) for s in sources] + [(p, "") for p in paths], parse)


def load_into_store(store: object, sources: list[Source], extra: Iterable[str | Path] = ()) -> None:
    """Fill an Oxigraph store: shipped sources and native formats with Oxigraph's parser, JSON-LD and
    RDF/XML through rdflib's guarded parsers (no remote contexts, no entity declarations)."""
    from kg.oxigraph_engine import NATIVE_FORMATS, add_dataset, load_file

    for src in sources:
        load_file(store, src.path, src.graph)  # type: ignore[arg-type]
    for path in expand_paths(extra):
        if path.suffix.lower() in NATIVE_FORMATS:
            load_file(store, path)  # type: ignore[arg-type]
        else:
            side = Dataset()
            parse_into(side, path)
            add_dataset(store, side)  # type: ignore[arg-type]
