"""`kg build --store DIR`: the dataset as a persistent on-disk Oxigraph store, and reopening it later.

Layout: ``DIR/oxigraph/`` holds Oxigraph's own files; ``DIR/manifest.json`` records what was loaded:
every source file with its named graph, size, modification time and SHA-256. Opening the store
compares the manifest with the files as they are now; a changed, added or removed source is
reloaded into its graph first (said on stderr), so answers never come from stale data and the
Turtle is parsed again only where it changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, URIRef

from kg.errors import InputError
from kg.loader import expand_paths
from kg.project import shipped_sources

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One loaded file: where it is, the graph it fills (None: the file names its own graphs), its fingerprint."""

    path: str
    graph: str | None
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Changes:
    """What a refresh did, for the user's note."""

    loaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def __bool__(self) -> bool:
        return bool(self.loaded or self.removed or self.rebuilt)

    def describe(self) -> str:
        if self.rebuilt:
            return f"rebuilt from {len(self.loaded)} file(s)"
        parts = []
        if self.loaded:
            parts.append("reloaded " + ", ".join(Path(p).name for p in self.loaded))
        if self.removed:
            parts.append("dropped " + ", ".join(Path(p).name for p in self.removed))
        return "; ".join(parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _wanted(data: Iterable[Path]) -> dict[str, str | None]:
    """Every file the dataset is made of now → its graph (None for quad files, which name their own)."""
    from kg.oxigraph_engine import NATIVE_FORMATS

    wanted: dict[str, str | None] = {str(s.path.resolve()): str(s.graph) for s in shipped_sources()}
    for path in expand_paths(data):
        if path.suffix.lower() not in NATIVE_FORMATS:
            raise InputError(f"{path}: a store loads Turtle, N-Triples, N-Quads or TriG; convert this file first")
        quads = path.suffix.lower() in (".nq", ".trig")
        wanted[str(path.resolve())] = None if quads else path.resolve().as_uri()
    return wanted


def _fingerprint(path: str, graph: str | None, old: Entry | None) -> Entry:
    stat = Path(path).stat()
    if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
        return old
    return Entry(path, graph, stat.st_size, stat.st_mtime_ns, _sha256(Path(path)))


def _read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable store manifest ({exc}); rebuild with kg build --store") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{path}: store format {manifest.get('format')!r}, expected {FORMAT}; rebuild it")
    return manifest


def _write_manifest(folder: Path, entries: list[Entry], complete: bool) -> None:
    import pyoxigraph

    body = {
        "format": FORMAT,
        "complete": complete,
        "pyoxigraph": pyoxigraph.__version__,
        "sources": [e.__dict__ for e in sorted(entries, key=lambda e: e.path)],
    }
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def _plan(folder: Path, data: Iterable[Path]) -> tuple[dict | None, list[Entry], list[Entry], list[Entry]]:
    """(manifest, current entries, entries to (re)load, old entries to drop)."""
    manifest = _read_manifest(folder)
    old = {e["path"]: Entry(**e) for e in (manifest or {}).get("sources", [])}
    current, changed = [], []
    for path, graph in _wanted(data).items():
        entry = _fingerprint(path, graph, old.get(path))
        current.append(entry)
        previous = old.get(path)
        if previous is None or previous.sha256 != entry.sha256 or previous.graph != entry.graph:
            changed.append(entry)
    dropped = [e for p, e in old.items() if p not in {c.path for c in current}]
    return manifest, current, changed, dropped


def build_store(folder: Path, data: Iterable[Path] = (), rebuild: bool = False) -> Changes:
    """Create the store at ``folder``, or bring an existing one up to date with the files (all of it if ``rebuild``)."""
    import pyoxigraph as ox

    from kg.oxigraph_engine import bulk_load_files, merge_into_default

    data = list(data)
    if folder.exists() and not (folder / MANIFEST).is_file() and any(folder.iterdir()):
        raise InputError(f"{folder}: exists and is not a kg store; give an empty or new folder")
    manifest, current, changed, dropped = _plan(folder, data)
    quad_files = any(e.graph is None for e in changed + dropped)
    full = rebuild or manifest is None or not manifest.get("complete") or quad_files
    if not full and not changed and not dropped:
        return Changes()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        store = ox.Store(str(folder / "oxigraph"))
    except OSError as exc:
        raise InputError(f"{folder}: cannot open the store for writing ({exc}); is another command using it?") from None
    _write_manifest(folder, current, complete=False)
    if full:
        store.clear()
        changed, dropped = current, []
    for entry in dropped + changed:
        if entry.graph is not None and store.contains_named_graph(ox.NamedNode(entry.graph)):
            store.remove_graph(ox.NamedNode(entry.graph))
    if not full:
        store.clear_graph(ox.DefaultGraph())  # the merge is rebuilt below from the graphs kept
        merge_into_default(store)
    bulk_load_files(store, [(Path(e.path), URIRef(e.graph) if e.graph else None) for e in changed])
    store.flush()
    store.optimize()
    del store
    _write_manifest(folder, current, complete=True)
    return Changes([e.path for e in changed], [e.path for e in dropped], rebuilt=full)


def open_store(folder: Path, data: Iterable[Path] = ()) -> Dataset:
    """The store at ``folder`` as a read-only Dataset, refreshed first if its sources changed since the build."""
    import pyoxigraph as ox

    from kg.oxigraph_engine import as_dataset

    if not (folder / MANIFEST).is_file():
        raise InputError(f"{folder}: no kg store here; create it with: kg build --store {folder}")
    changes = build_store(folder, data)
    if changes:
        print(f"note: store {folder} was out of date with its sources: {changes.describe()}", file=sys.stderr)
    try:
        store = ox.Store.read_only(str(folder / "oxigraph"))
    except OSError as exc:
        raise InputError(f"{folder}: cannot open the store: {exc}") from None
    return as_dataset(store, read_only=True)
