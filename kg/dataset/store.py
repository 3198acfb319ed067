"""`kg build --store DIR`: the dataset as a persistent on-disk Oxigraph store, and reopening it later.

Layout: ``DIR/oxigraph/`` holds Oxigraph's own files; ``DIR/manifest.json`` records what was loaded:
every source file with its named graph, size, modification time and SHA-256. Opening the store
compares the manifest with the files as they are now; a changed, added or removed source is
reloaded into its graph first (said on stderr), so answers never come from stale data and the
Turtle is parsed again only where it changed.

Damage: the manifest also records the name and size (for the small control files, the SHA-256) of
every file Oxigraph (RocksDB) left after the build, and every open and build compares them first:
a deleted or truncated ``.sst``, a lost ``MANIFEST-*`` or ``OPTIONS-*``, garbage in ``CURRENT`` or a
broken manifest.json is reported in one line with the cure (``kg build --store DIR --rebuild``), not as
a RocksDB traceback, nor as "up to date" (``kg build`` does not otherwise open the store). A full build
(``--rebuild``, or whenever the store cannot be updated in place) deletes ``DIR/oxigraph`` and nothing
else, and builds it afresh, so it works whatever the damage.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, URIRef

from kg.dataset.load import expand_paths
from kg.dataset.outputs import check_folder
from kg.dataset.paths import shipped_sources
from kg.engines.oxigraph import OxigraphBackend, bulk_load_files, merge_into_default
from kg.engines.terms import NATIVE_FORMATS
from kg.errors import InputError

MANIFEST = "manifest.json"
OXIGRAPH = "oxigraph"
#: What a store folder holds: a folder with anything else in it (and not our manifest) is refused as a store.
LAYOUT = {MANIFEST, f"{MANIFEST}.tmp", OXIGRAPH}
FORMAT = 2
#: RocksDB's lock and its info logs change on every open, even a read-only one; they hold no data.
_UNTRACKED = ("LOCK", "LOG")
_ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "graph": (str, type(None)),
    "size": int,
    "mtime_ns": int,
    "sha256": str,
}


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
    wanted: dict[str, str | None] = {str(s.path.resolve()): str(s.graph) for s in shipped_sources()}
    for path in expand_paths(data):
        if path.suffix.lower() not in NATIVE_FORMATS:
            raise InputError(f"{path}: a store loads Turtle, N-Triples, N-Quads or TriG; convert this file first")
        quads = path.suffix.lower() in (".nq", ".trig")
        wanted[str(path.resolve())] = None if quads else path.resolve().as_uri()
    return wanted


def _fingerprint(path: str, graph: str | None, old: Entry | None) -> Entry:
    try:
        stat = Path(path).stat()
        if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
            return old
        return Entry(path, graph, stat.st_size, stat.st_mtime_ns, _sha256(Path(path)))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


@dataclass
class Manifest:
    """What manifest.json says: the sources loaded, and the files the finished build left (None: unfinished)."""

    sources: list[Entry]
    files: dict[str, str] | None


def _damaged(folder: Path, why: str) -> InputError:
    return InputError(f"{folder}: the store is damaged ({why}); rebuild it with: kg build --store {folder} --rebuild")


def _read_manifest(folder: Path) -> Manifest | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise _damaged(folder, f"{MANIFEST} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise _damaged(folder, f"{MANIFEST} is not a kg store manifest")
    if raw.get("format") != FORMAT:
        raise InputError(
            f"{folder}: the store has format {raw.get('format')!r}, this kg reads format {FORMAT}; "
            f"rebuild it with: kg build --store {folder} --rebuild"
        )
    try:
        sources = [Entry(**e) for e in raw["sources"]]
        for entry in sources:
            for name, kind in _ENTRY_TYPES.items():
                if not isinstance(getattr(entry, name), kind):
                    raise ValueError(f"{name} {getattr(entry, name)!r}")
        files = raw["files"]
        if files is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise ValueError("file fingerprints")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _damaged(folder, f"{MANIFEST} is malformed: {type(exc).__name__} {exc}") from None
    return Manifest(sources, files)


def _write_manifest(folder: Path, entries: list[Entry], files: dict[str, str] | None) -> None:
    body = {
        "format": FORMAT,
        "pyoxigraph": ox.__version__,
        "sources": [e.__dict__ for e in sorted(entries, key=lambda e: e.path)],
        "files": files,
    }
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def _store_files(folder: Path) -> dict[str, str]:
    """Oxigraph's files, but for the lock and logs that change on every open: name → size, and for the small
    control files (CURRENT, MANIFEST-*, OPTIONS-*, IDENTITY) their SHA-256 too. Reading the large table and
    write-ahead files back would cost as much as the build; RocksDB checksums their blocks as it reads them."""
    db = folder / OXIGRAPH
    if not db.is_dir() or db.is_symlink():
        raise _damaged(folder, f"{OXIGRAPH}/ is missing" if not db.exists() else f"{OXIGRAPH} is not a folder")
    files = {}
    for path in db.iterdir():
        if not path.name.startswith(_UNTRACKED):
            size = str(path.stat().st_size)
            files[path.name] = size if path.suffix in (".sst", ".log") else f"{size} {_sha256(path)}"
    return files


def _verify(folder: Path, files: dict[str, str]) -> None:
    """Refuse a store whose files are not those its build left: RocksDB itself notices only some of that."""
    found = _store_files(folder)
    for name, fingerprint in sorted(files.items()):
        if found.get(name) != fingerprint:
            _refuse_if_in_use(folder)  # a writer at work changes the files too
            what = "is missing" if name not in found else "has changed since the build"
            raise _damaged(folder, f"{OXIGRAPH}/{name} {what}")


def _plan(data: Iterable[Path], manifest: Manifest | None) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """(current entries, entries to (re)load, old entries to drop)."""
    old = {e.path: e for e in (manifest.sources if manifest else [])}
    current, changed = [], []
    for path, graph in _wanted(data).items():
        entry = _fingerprint(path, graph, old.get(path))
        current.append(entry)
        previous = old.get(path)
        if previous is None or previous.sha256 != entry.sha256 or previous.graph != entry.graph:
            changed.append(entry)
    dropped = [e for p, e in old.items() if p not in {c.path for c in current}]
    return current, changed, dropped


def _is_store(folder: Path) -> bool:
    """An empty folder, one laid out as a store, or one with our manifest (which a user may add files beside)."""
    if not set(os.listdir(folder)) - LAYOUT:
        return True
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and "sources" in raw and "format" in raw


@contextmanager
def _reporting(folder: Path) -> Iterator[None]:
    """pyoxigraph's and the file system's errors about the store as one line saying what to do."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        message = " ".join(str(exc).split())
        if isinstance(exc, PermissionError) or "Permission denied" in message:
            where = getattr(exc, "filename", None) or message
            raise InputError(f"{folder}: permission denied ({where}); check the store folder's permissions") from None
        if "lock" in message.lower():
            raise _in_use(folder) from None
        if isinstance(exc, OSError) and exc.errno is not None:  # the file system's, not pyoxigraph's (no errno)
            raise InputError(f"{folder}: cannot use the store folder: {exc.strerror} ({exc.filename})") from None
        raise _damaged(folder, message) from None


def _in_use(folder: Path) -> InputError:
    return InputError(
        f"{folder}: the store is in use by another process (a kg build or an Oxigraph server); "
        "retry when it has finished"
    )


def _refuse_if_in_use(folder: Path) -> None:
    """Refuse a store another process holds open for writing: its files change under us.

    RocksDB's lock is a POSIX record lock on ``LOCK``: taking it fails while another process holds it,
    and closing our descriptor releases ours. (Record locks belong to a process, so this cannot see a
    store the calling process itself has open; kg never keeps one open for writing.)
    """
    lock = folder / OXIGRAPH / "LOCK"
    if not lock.is_file():
        return
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise _in_use(folder) from None
    finally:
        os.close(fd)


def _remove_database(folder: Path) -> None:
    """Delete ``folder/oxigraph`` and nothing else, for a fresh build whatever state it is in."""
    db = folder / OXIGRAPH
    if db.is_symlink() or db.is_file():
        db.unlink()
    elif db.exists():
        shutil.rmtree(db)


def build_store(folder: Path, data: Iterable[Path] = (), rebuild: bool = False) -> Changes:
    """Create the store at ``folder``, or bring an existing one up to date with the files (all of it if ``rebuild``)."""
    check_folder(folder)
    data = list(data)
    with _reporting(folder):
        if folder.exists() and not _is_store(folder):
            raise InputError(f"{folder}: exists and is not a kg store; give an empty or new folder")
        manifest = None if rebuild else _read_manifest(folder)
        if manifest is None and not rebuild and (folder / OXIGRAPH).exists():
            raise _damaged(folder, f"{MANIFEST} is missing")
        if manifest is not None and manifest.files is not None:
            _verify(folder, manifest.files)
        current, changed, dropped = _plan(data, manifest)
        quad_files = any(e.graph is None for e in changed + dropped)
        full = manifest is None or manifest.files is None or quad_files
        if not full and not changed and not dropped:
            return Changes()
        folder.mkdir(parents=True, exist_ok=True)
        if full:
            _refuse_if_in_use(folder)
            _remove_database(folder)
            changed, dropped = current, []
        _load(folder, changed, dropped, merge=not full, entries=current)
    return Changes([e.path for e in changed], [e.path for e in dropped], rebuilt=full)


def _load(folder: Path, changed: list[Entry], dropped: list[Entry], merge: bool, entries: list[Entry]) -> None:
    """Load the changed sources (replacing their graphs, dropping those of removed ones); record the files left."""
    store = ox.Store(str(folder / OXIGRAPH))
    _write_manifest(folder, entries, files=None)  # unfinished until the files are recorded below
    for entry in dropped + changed:
        if entry.graph is not None and store.contains_named_graph(ox.NamedNode(entry.graph)):
            store.remove_graph(ox.NamedNode(entry.graph))
    if merge:
        store.clear_graph(ox.DefaultGraph())  # the merge is rebuilt below from the graphs kept
        merge_into_default(store)
    bulk_load_files(store, [(Path(e.path), URIRef(e.graph) if e.graph else None) for e in changed])
    store.flush()
    store.optimize()
    del store  # closed: RocksDB has written its last files
    _write_manifest(folder, entries, files=_store_files(folder))


def open_store(folder: Path, data: Iterable[Path] = ()) -> Dataset:
    """The store at ``folder`` as a read-only Dataset, refreshed first if its sources changed since the build."""
    if not (folder / MANIFEST).exists() and not (folder / OXIGRAPH).exists():
        raise InputError(f"{folder}: no kg store here; create it with: kg build --store {folder}")
    changes = build_store(folder, data)
    if changes:
        print(f"note: store {folder} was out of date with its sources: {changes.describe()}", file=sys.stderr)
    with _reporting(folder):
        store = ox.Store.read_only(str(folder / OXIGRAPH))
    return OxigraphBackend(store, read_only=True, path=folder / OXIGRAPH).dataset
