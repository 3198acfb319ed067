"""Limits on the work a command does with untrusted input: a time limit, a memory ceiling, no network.

Why one module: the CLI, the Python API, the server's query workers and every engine evaluate text a
user (or a web page) wrote, and each must be bounded the same way.

- Time: ``deadline`` raises QueryTimeout from a timer signal. Deadlines nest (the command's limit
  around the query's own), and ``remaining`` tells code that waits on another process how long it
  may wait. Signals reach only the main thread; elsewhere work must run in a killable process.
- Memory: ``memory_ceiling`` caps what the work may allocate on top of what the process already
  holds, with the kernel's data-segment limit (RLIMIT_DATA: heap and private anonymous mappings,
  not the files an on-disk store maps). Python code then gets MemoryError, turned into
  MemoryLimitExceeded; native code (Oxigraph) aborts, so it only runs under a ceiling in a child
  process whose parent reports the abort (kg.engines.worker).
- Network: ``isolate_network`` moves the calling process into a new, empty network namespace
  (Linux), so native code that ignores Python's audit hooks cannot open a connection either.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import re
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kg.errors import InputError, MemoryLimitExceeded, QueryTimeout

log = logging.getLogger("kg.engines.limits")

MiB = 2**20
GiB = 2**30
DEFAULT_TIMEOUT = 30.0
#: What a command's work may allocate on top of the loaded data. Queries over the shipped graph need
#: tens of MB; a million-triple store a few hundred; the 874-byte CONCAT bomb wants over 4 GB.
DEFAULT_MEMORY = 2 * GiB

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": MiB, "K": 2**10, "M": MiB, "G": GiB, "T": 2**40}


def parse_size(text: str) -> int | None:
    """A memory size as written by a user: ``512M``, ``2G``, ``1.5GiB``, ``2048`` (MiB); ``0`` means no limit."""
    match = _SIZE.match(str(text))
    if not match:
        raise InputError(f"not a memory size: {text!r} (write e.g. 512M, 2G or 0 for no limit)")
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size == 0:
        return None
    if size > 2**50:
        raise InputError(f"memory limit {text!r} is larger than any machine; write 0 for no limit")
    if size < 16 * MiB:
        raise InputError(f"memory limit {text!r} is below 16 MiB, too small to run anything")
    return size


def describe_size(size: int) -> str:
    return f"{size / GiB:g} GiB" if size >= GiB and size % (GiB // 4) == 0 else f"{size // MiB} MiB"


def check_timeout(seconds: float | None) -> float | None:
    """A time limit as a number of seconds, or None for none (0 means none); infinite or negative is an error."""
    if seconds is None or seconds == 0:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"a time limit must be a positive number of seconds (or 0 for none), got {seconds!r}")
    return float(seconds)


# --- time ----------------------------------------------------------------------------------------

#: The active deadlines of the main thread: (monotonic time it strikes, seconds it was set to).
_deadlines: list[tuple[float, float]] = []


def remaining() -> float | None:
    """Seconds left before the tightest active deadline of this (main) thread strikes; None if there is none."""
    if not _deadlines or threading.current_thread() is not threading.main_thread():
        return None
    return max(0.0, min(at for at, _ in _deadlines) - time.monotonic())


def budget(timeout: float | None) -> float | None:
    """Seconds a piece of work may take in another process (a worker, a remote server): its own limit or what
    remains of the command's, whichever is tighter; None for neither."""
    return min((t for t in (check_timeout(timeout), remaining()) if t is not None), default=None)


def timeout_message(seconds: float) -> str:
    return f"stopped after {seconds:g} s (time limit; raise it with --timeout)"


def expired() -> QueryTimeout:
    """The error for the tightest active deadline, for code that noticed it while waiting on another process."""
    if not _deadlines:
        return QueryTimeout("stopped at the time limit (raise it with --timeout)")
    return QueryTimeout(timeout_message(min(_deadlines)[1]))


def _arm() -> None:
    """Point the interval timer at the tightest deadline (or switch it off)."""
    if not _deadlines:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.setitimer(signal.ITIMER_REAL, max(1e-3, min(at for at, _ in _deadlines) - time.monotonic()))


def _expire(signum: int, frame: object) -> None:
    now = time.monotonic()
    due = [seconds for at, seconds in _deadlines if at <= now + 1e-3]
    if not due:  # a later deadline is still running (the timer was re-armed late)
        _arm()
        return
    raise QueryTimeout(timeout_message(min(due)))


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Stop the enclosed work after ``seconds`` (None: no limit of its own) by raising QueryTimeout.

    Nested deadlines keep the tighter one; leaving a block re-arms the one around it. rdflib and
    owlrl evaluate in pure Python, so the signal interrupts them between bytecodes. Outside the main
    thread this does nothing: such callers must run the work in a killable process.
    """
    seconds = check_timeout(seconds)
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    outermost = not _deadlines
    previous = signal.signal(signal.SIGALRM, _expire) if outermost else None
    entry = (time.monotonic() + seconds, seconds)
    _deadlines.append(entry)
    _arm()
    try:
        yield
    finally:
        _deadlines.remove(entry)
        _arm()
        if outermost:
            signal.signal(signal.SIGALRM, previous)


# --- memory --------------------------------------------------------------------------------------


def data_size() -> int | None:
    """This process's data segment (heap and private anonymous memory) in bytes: what RLIMIT_DATA counts."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def memory_limit_message(budget: int) -> str:
    return (
        f"stopped: the work needed more than {describe_size(budget)} of memory "
        "(memory limit; raise it with --memory-limit)"
    )


def cap_memory(budget: int | None) -> bool:
    """Let this process allocate at most ``budget`` more bytes from now on (None: lift the cap).

    Returns False where the kernel cannot enforce it (not Linux), so callers can say so.
    """
    if not sys.platform.startswith("linux"):
        return False
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if budget is None:
        resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))
        return True
    used = data_size()
    if used is None:
        return False
    soft = used + budget if hard == resource.RLIM_INFINITY else min(used + budget, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
    return True


@contextmanager
def memory_ceiling(budget: int | None) -> Iterator[None]:
    """Run the enclosed work with at most ``budget`` bytes more memory; past it, MemoryLimitExceeded.

    The cap is process-wide while it lasts, so it belongs around work in a command's main thread,
    not around one thread of a busy process.
    """
    if budget is None:
        yield
        return
    previous = resource.getrlimit(resource.RLIMIT_DATA) if sys.platform.startswith("linux") else None
    if not cap_memory(budget):
        log.info("memory limit not enforced: this system has no data-segment limit")
    elif previous is not None and previous[0] != resource.RLIM_INFINITY:  # nested: never above the outer cap
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (min(soft, previous[0]), hard))
    try:
        yield
    except MemoryError:
        raise MemoryLimitExceeded(memory_limit_message(budget)) from None
    finally:
        if previous is not None:
            resource.setrlimit(resource.RLIMIT_DATA, previous)


@contextmanager
def limited(timeout: float | None, memory: int | None) -> Iterator[None]:
    """The command's whole work (reasoning, querying, drawing, writing) under one time limit and one memory ceiling."""
    with memory_ceiling(memory), deadline(timeout):
        yield


#: Set in a process that exists only to evaluate queries and whose parent enforces its limits (kill at
#: the deadline, report an abort at the memory ceiling): native engines may evaluate in it directly.
in_worker = False


# --- network -------------------------------------------------------------------------------------

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
#: Why this process has no network of its own ("" when isolated); None until ``isolate_network`` ran.
isolation: str | None = None
#: Tests of the query check alone switch the second barrier off.
ISOLATE = os.environ.get("KG_NETWORK_ISOLATION", "on") != "off"


def _unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _map_own_ids(uid: int, gid: int) -> None:
    """Keep this process's own user and group inside its new user namespace: unmapped, it could no longer
    create files (an on-disk store, the parse cache) although the kernel would still allow its real ids."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as proc:
            proc.write(text)


def isolate_network() -> str:
    """Move this process into a new network namespace with no interfaces up: nothing it runs can connect
    anywhere, loopback included. Returns "" when isolated, else why not (said in --verbose output).

    Must be called in a single-threaded process (a freshly forked child): an unprivileged user first
    needs a user namespace of its own, which the kernel grants only to single-threaded processes.
    """
    global isolation
    if not ISOLATE:
        isolation = "switched off (KG_NETWORK_ISOLATION=off)"
    elif not sys.platform.startswith("linux"):
        isolation = f"network namespaces are Linux-only (this is {sys.platform})"
    else:
        try:
            _unshare(_CLONE_NEWNET)  # enough where the process may administer namespaces
            isolation = ""
        except OSError:
            try:
                uid, gid = os.getuid(), os.getgid()
                _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
                _map_own_ids(uid, gid)
                isolation = ""
            except OSError as exc:
                isolation = f"cannot create a network namespace ({exc.strerror or exc})"
    return isolation


def describe_isolation(reason: str | None) -> str:
    """A line for --verbose output about a process's network isolation."""
    if reason == "":
        return "no network: evaluated in a process with an empty network namespace"
    return f"network isolation not available ({reason}); the query check and the audit hook remain"
