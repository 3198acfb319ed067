"""Writing the files and folders a user names: never over the shipped graph, never half-written.

Every command that writes where the user says (``kg query -o``, ``--update-copy``, ``kg export -o``,
``kg graph -o``, ``kg docs -o``, ``kg build --store``) goes through here. A target is refused when it
is a shipped file (ontology.ttl, shapes.ttl, anything in data/ or queries/ of the project root in use:
a checkout, or the copy installed with the package) by its real path, with symlinks and ``..``
resolved, or by identity (same device and inode: a hard link, or another spelling on a
case-insensitive file system). A file is written to a temporary file beside it, flushed to disk and
renamed over the target in one step, so a hard link elsewhere is never written through and an
interrupted write leaves the old file as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from kg.dataset.paths import project_root, queries_dir, shapes_path
from kg.errors import KGError


def _shipped() -> tuple[Path, list[Path], list[Path]]:
    """(project root, folders, files) of the shipped graph as real paths; the files include all in the folders."""

    root = project_root().resolve()
    folders = [root / "data", queries_dir(root)]
    files = [root / "ontology.ttl", shapes_path(root)]
    for folder in list(folders):
        for parent, dirs, names in os.walk(folder):
            files += [Path(parent, n) for n in names]
            folders += [Path(parent, d) for d in dirs]
    return root, folders, files


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _refuse_shipped(path: Path, real: Path) -> None:
    """Refuse a shipped file or folder, or a path in one, by name or by identity (hard links, case variants)."""
    root, folders, files = _shipped()
    by_identity = {_identity(p): p for p in folders + files}
    by_identity.pop(None, None)
    for candidate in [real, *real.parents]:
        shipped = candidate if candidate in folders or candidate in files else by_identity.get(_identity(candidate))
        if shipped is not None:
            name = shipped.relative_to(root).as_posix() + ("/" if shipped in folders else "")
            how = "lies in" if candidate != real else "is" if shipped == real else "is a link to"
            raise KGError(f"{path}: {how} {name}, part of the shipped graph, which kg never writes; write elsewhere")


def _existing_parent(path: Path, real: Path) -> None:
    """Refuse a target whose folder is missing or is a file (one clear line instead of an OSError)."""
    parent = real.parent
    if parent.is_dir():
        return
    for ancestor in [parent, *parent.parents]:
        if ancestor.exists() and not ancestor.is_dir():
            raise KGError(f"{path}: {ancestor} is a file, not a folder")
    raise KGError(f"{path}: the folder {parent} does not exist; create it first")


def check_file(path: Path) -> Path:
    """The real path to write ``path`` at, after refusing what must not or cannot be written there."""
    real = Path(os.path.realpath(path))
    _refuse_shipped(path, real)
    if real.is_dir():
        raise KGError(f"{path}: is a folder; give a file name")
    _existing_parent(path, real)
    if real.exists() and not os.access(real, os.W_OK):
        raise KGError(f"{path}: cannot write: permission denied")
    return real


def check_folder(path: Path) -> Path:
    """The real path of a folder to write into (it may not exist yet), after the same refusals."""
    real = Path(os.path.realpath(path))
    _refuse_shipped(path, real)
    if real.exists() and not real.is_dir():
        raise KGError(f"{path}: is a file, not a folder")
    for ancestor in real.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise KGError(f"{path}: {ancestor} is a file, not a folder")
            break
    return real


def format_from_suffix(path: Path, formats: Mapping[str, str]) -> str:
    """The format ``path``'s suffix names in ``formats`` (suffix → format); any other suffix is refused rather
    than guessed, so a typo, or the name of a data file, never receives output in some default format."""
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        known = ", ".join(formats)
        raise KGError(f"{path}: unknown suffix {suffix or '(none)'!r}; name the file {known}, or give --format")
    return formats[suffix]


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into; it replaces ``path`` only if the block succeeds."""
    real = check_file(path)
    if real.exists() and not real.is_file():  # a device or pipe (/dev/stdout): nothing to replace
        with _reporting(path), real.open("wb") as stream:
            yield stream
        return
    with _reporting(path):
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    try:
        with _reporting(path), os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with _reporting(path):
            os.chmod(tmp, real.stat().st_mode & 0o7777 if real.exists() else 0o666 & ~_umask())
            check_file(path)  # again: the target may have changed while the content was made
            os.replace(tmp, real)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_file(path) as stream:
        stream.write(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextmanager
def _reporting(path: Path) -> Iterator[None]:
    try:
        yield
    except PermissionError:
        raise KGError(f"{path}: cannot write: permission denied") from None
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process's umask (there is no call that reads it without setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
