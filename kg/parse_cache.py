"""A parsed copy of the graph on disk, so a fresh `kg` process does not parse the same Turtle again.

Why: parsing the shipped Turtle is about a quarter of a cold `kg query` (~0.15 s); reading the
parsed Dataset back takes ~0.02 s. The key is a SHA-256 over every source file's bytes, its graph,
and the rdflib and Python versions, so any edit means a fresh parse. The cache holds only what
this user's own `kg` wrote into their cache folder (``$KG_CACHE_DIR`` or ``~/.cache/qingdao-kg``);
an unreadable or damaged entry is ignored and rewritten. Big corpora are not cached (use an
Oxigraph store for those).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Dataset

from kg.project import cache_dir

FORMAT = 1
MAX_BYTES = 32 * 2**20  # above this the pickle would be large and the Oxigraph engine is the better tool


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


def cached(files: list[tuple[Path, str]], parse: Callable[[], Dataset]) -> Dataset:
    """The Dataset ``parse`` builds from ``files`` (path, graph name), from the cache when the files are unchanged."""
    key = _key(files)
    if key is None:
        return parse()
    path = cache_dir() / f"parsed-{key}.pickle"
    try:
        with path.open("rb") as f:
            ds = pickle.load(f)
        if isinstance(ds, Dataset):
            return ds
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        pass
    ds = parse()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(ds, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only home still works, it just parses every time
    return ds
