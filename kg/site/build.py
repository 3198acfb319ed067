"""`kg site -o DIR`: every file of the site written into a fresh folder, which then replaces DIR in one rename.

A folder kg site wrote before (it holds ``MARKER``) is replaced; any other non-empty folder is refused, so
that a typo never deletes someone's files. The files are written plainly into a sibling temporary folder
(thousands of small files: one fsync each would dominate), and only a complete site is moved into place; an
interrupted build leaves the old site as it was.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset

from kg.dataset.outputs import check_folder
from kg.engines.rdflib import RdflibBackend
from kg.engines.registry import backend_of
from kg.errors import KGError
from kg.site.render import Site
from kg.site.w3id import htaccess

#: The file that marks a folder as a site kg wrote (and may replace).
MARKER = ".kg-site"
#: The w3id.org rule for the published copy (kg.site.w3id): submitted as qingdao-kg/.htaccess, not served.
W3ID_FILE = "w3id.htaccess"


@dataclass(frozen=True)
class Built:
    folder: Path
    files: int
    bytes: int
    pages: int
    kinds: dict[str, int]
    seconds: float


def _replaceable(real: Path, shown: Path) -> None:
    if not real.exists():
        return
    if (real / MARKER).is_file() or not any(real.iterdir()):
        return
    raise KGError(f"{shown}: the folder is not empty and is not a site kg wrote; choose an empty or new folder")


#: Files per task a worker process renders; processes are used from this many files on.
_CHUNK = 200
_site: Site | None = None  # the Site a forked worker inherited


def _render_chunk(work: Path, paths: list[str]) -> Counter[str]:
    """Render and write ``paths`` (in a worker, with the inherited ``_site``): the count per suffix, and bytes."""
    assert _site is not None
    counts: Counter[str] = Counter()
    made: set[Path] = set()
    for path in paths:
        file = _site.render(path)
        if file is None:
            continue
        target = work / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(file.body)
        counts[path.rpartition(".")[2]] += 1
        counts[" bytes"] += len(file.body)
    return counts


def _forkable(site: Site) -> bool:
    """Whether worker processes may be forked from this one: the data is rdflib's, in this process (an Oxigraph
    dataset is a handle on a worker process of its own, which forked copies must not share), and no other
    thread runs (a fork copies only the calling thread, and with it any lock another thread held)."""
    return (
        isinstance(backend_of(site.data.ds), RdflibBackend)
        and threading.active_count() == 1
        and "fork" in mp.get_all_start_methods()
    )


def _render_all(site: Site, work: Path, processes: int) -> Counter[str]:
    """Every file of ``site`` written into ``work``: by forked worker processes, which share the loaded data
    copy-on-write, when there are several cores, enough files and forking is safe; else in this process. The
    workers are killed if this process stops early (its time limit, Ctrl-C)."""
    global _site
    paths = list(site.paths())
    site.queries_page()  # the saved questions answered once, here, before any worker starts
    _site = site
    try:
        if processes < 2 or len(paths) < 2 * _CHUNK or not _forkable(site):
            return _render_chunk(work, paths)
        chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
        total: Counter[str] = Counter()
        with mp.get_context("fork").Pool(processes) as pool:  # leaving the block terminates the workers
            for counts in pool.imap_unordered(functools.partial(_render_chunk, work), chunks):
                total.update(counts)
        return total
    finally:
        _site = None


def write_site(
    ds: Dataset,
    out: Path,
    *,
    answers: bool = True,
    root: Path | None = None,
    processes: int | None = None,
    published_at: str | None = None,
) -> Built:
    """Write the whole site for ``ds`` into ``out``; ``answers=False`` leaves the saved questions unanswered;
    ``processes`` renders in that many processes (default: one per core); ``published_at`` (the address of the
    published copy) adds ``W3ID_FILE``, the w3id.org redirect rule for it."""
    start = time.perf_counter()
    rule = htaccess(published_at) if published_at is not None else None  # refused before anything is written
    real = check_folder(out)
    _replaceable(real, out)
    site = Site(ds, root, answers=answers)
    parent = real.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{real.name}.", suffix=".tmp"))
    except OSError as exc:
        raise KGError(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
    try:
        counts = _render_all(site, work, processes or os.cpu_count() or 1)
        if rule is not None:
            (work / W3ID_FILE).write_text(rule, encoding="utf-8")
        (work / MARKER).write_text("Written by kg site; kg site replaces this folder when it writes here again.\n")
        os.chmod(work, 0o755)
        old = None
        if real.exists():
            old = real.with_name(f".{real.name}.old-{os.getpid()}")
            os.replace(real, old)
        os.replace(work, real)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise KGError(f"{out}: cannot write the site: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = counts.pop(" bytes", 0)
    kinds = dict(sorted(counts.items()))
    return Built(out, sum(kinds.values()), size, kinds.get("html", 0), kinds, time.perf_counter() - start)
