"""A parsed copy of the graph on disk, so a fresh `kg` process does not parse the same Turtle again.

Why: parsing the shipped Turtle is about a quarter of a cold `kg query` (~0.15 s); reading the
parsed copy back takes ~0.035 s. The key is a SHA-256 over every source file's bytes, its graph,
and the rdflib and Python versions, so any edit means a fresh parse.

The copy is JSON — a table of terms and the quads as indexes into it — rather than a pickle:
unpickling runs whatever code the file names, so anyone able to write the cache folder could run
code as the user; reading JSON back only ever makes RDF terms. It reads back as fast as the pickle
did. The folder (``$KG_CACHE_DIR`` or ``~/.cache/qingdao-kg``, kg.dataset.paths.cache_dir) is still
trusted only when it and the entry belong to this user and nobody else may write them: it is
created 0700, entries 0600, and anything else is ignored (logged at INFO, seen with ``kg -v``),
because a planted file could still put false facts in the answers. An unreadable or damaged entry
is ignored and rewritten. The folder is bounded, least recently used entries going first: at most
``MAX_ENTRIES`` files and ``MAX_TOTAL`` bytes, counting the inferred graphs kg.query.reasoning keeps there.
Big corpora are not cached (use an Oxigraph store for those).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from kg.dataset.paths import cache_dir

log = logging.getLogger(__name__)

FORMAT = 2
MAX_BYTES = 32 * 2**20  # sources above this are not cached: the Oxigraph engine is the better tool
MAX_ENTRIES = 8
MAX_TOTAL = 64 * 2**20
#: Every file this cache, kg.query.reasoning's and kg.quality.reasoner's write (old pickles included, so that
#: they are removed).
_ENTRIES = ("parsed-*.json", "parsed-*.pickle", "inferred-*.nt", "reasoner-*.tsv")


def _key(files: Iterable[tuple[Path, str]]) -> str | None:
    import rdflib

    digest = hashlib.sha256(f"{FORMAT}|rdflib {rdflib.__version__}|{sys.version}\n".encode())
    total = 0
    for path, graph in files:
        try:
            data = path.read_bytes()
        except OSError:
            return None  # the loader reports the unreadable file
        total += len(data)
        if total > MAX_BYTES:
            return None
        digest.update(f"{path.resolve()}|{graph}|{len(data)}\n".encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:32]


def _trusted(info: os.stat_result, what: Path) -> bool:
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.info("%s: not used as cache: owned by uid %d, mode %o", what, info.st_uid, stat.S_IMODE(info.st_mode))
        return False
    return True


def _folder() -> Path | None:
    """The cache folder, created 0700 if missing; None when it belongs to someone else or others may write it."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None  # a read-only home still works, it just parses every time
    return folder if stat.S_ISDIR(info.st_mode) and _trusted(info, folder) else None


def read_entry(name: str) -> bytes | None:
    """The cache entry ``name``, if this user wrote it and nobody else can have; marks it as recently used."""
    folder = _folder()
    if folder is None:
        return None
    path = folder / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a symlink or a FIFO is not waited on
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)  # the file actually opened, not whatever the name points to later
            if not stat.S_ISREG(info.st_mode) or not _trusted(info, path):
                return None
            data = f.read()
            os.utime(fd)
    except OSError:
        return None
    return data


def write_entry(name: str, data: bytes) -> None:
    """Store ``data`` as the cache entry ``name`` (atomically, mode 0600), then evict down to the bounds."""
    folder = _folder()
    if folder is None or len(data) > MAX_TOTAL:
        return
    path = folder / name
    tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        tmp.replace(path)  # a concurrent reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    _evict(folder)


def _evict(folder: Path) -> None:
    """Remove the least recently used entries until at most MAX_ENTRIES files and MAX_TOTAL bytes remain."""
    entries = []
    for pattern in _ENTRIES:
        for path in folder.glob(pattern):
            try:
                info = path.lstat()
            except OSError:
                continue  # removed by a concurrent process
            if path.suffix == ".pickle":  # an earlier version's format, never read again
                path.unlink(missing_ok=True)
            else:
                entries.append((info.st_mtime, info.st_size, path))
    total = 0
    for count, (_, size, path) in enumerate(sorted(entries, key=lambda e: e[0], reverse=True), start=1):
        total += size
        if count > MAX_ENTRIES or total > MAX_TOTAL:
            path.unlink(missing_ok=True)


def _encode(ds: Dataset, key: str) -> bytes:
    """The Dataset as JSON: prefixes, a table of distinct terms, and each quad as four indexes into it. The key
    is written too, so an entry copied or linked under another name is not taken for that name's."""
    index: dict[object, int] = {}
    terms: list[object] = []

    def ref(term: object) -> int:
        found = index.get(term)
        if found is None:
            found = index[term] = len(terms)
            if isinstance(term, URIRef):
                terms.append(str(term))
            elif isinstance(term, BNode):
                terms.append([str(term)])
            elif isinstance(term, Literal):
                terms.append([str(term), term.language or "", str(term.datatype or "")])
            else:
                raise TypeError(f"cannot cache a {type(term).__name__}")
        return found

    quads = []
    for s, p, o, g in ds.quads((None, None, None, None)):
        quads += [ref(s), ref(p), ref(o), ref(getattr(g, "identifier", g))]
    namespaces = [[prefix, str(ns)] for prefix, ns in ds.namespaces()]
    doc = {"format": FORMAT, "key": key, "union": ds.default_union, "namespaces": namespaces}
    doc |= {"terms": terms, "quads": quads}
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


def _term(raw: object) -> URIRef | BNode | Literal:
    if isinstance(raw, str):
        return URIRef(raw)
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str):
        return BNode(raw[0])
    if isinstance(raw, list) and len(raw) == 3 and all(isinstance(x, str) for x in raw):
        return Literal(raw[0], lang=raw[1] or None, datatype=URIRef(raw[2]) if raw[2] else None)
    raise ValueError("not a term")


def _decode(data: bytes, key: str) -> Dataset:
    """The Dataset ``_encode`` wrote; ValueError, TypeError, KeyError or IndexError if the entry is damaged."""
    doc = json.loads(data)
    if doc["format"] != FORMAT or doc["key"] != key:
        raise ValueError("another format or another entry")
    terms = [_term(raw) for raw in doc["terms"]]
    ds = Dataset(default_union=doc["union"] is True)
    for prefix, ns in doc["namespaces"]:
        ds.bind(prefix, ns, override=True, replace=True)
    graphs: dict[Node, Graph] = {DATASET_DEFAULT_GRAPH_ID: ds.default_graph}
    quads = doc["quads"]
    if len(quads) % 4:
        raise ValueError("a quad cut short")

    def graph(i: int) -> Graph:
        name = terms[i]
        if name not in graphs:
            graphs[name] = ds.graph(name)
        return graphs[name]

    ds.addN(
        (terms[quads[i]], terms[quads[i + 1]], terms[quads[i + 2]], graph(quads[i + 3]))
        for i in range(0, len(quads), 4)
    )
    return ds


def cached(files: list[tuple[Path, str]], parse: Callable[[], Dataset]) -> Dataset:
    """The Dataset ``parse`` builds from ``files`` (path, graph name), from the cache when the files are unchanged."""
    key = _key(files)
    if key is None:
        return parse()
    name = f"parsed-{key}.json"
    data = read_entry(name)
    if data is not None:
        try:
            return _decode(data, key)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            log.info("%s: damaged cache entry, parsing again", name)
    ds = parse()
    try:
        encoded = _encode(ds, key)
    except TypeError:
        return ds  # a term kind the cache does not know (none is expected from the parsers)
    write_entry(name, encoded)
    return ds
