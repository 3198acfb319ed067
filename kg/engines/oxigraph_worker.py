"""A long-lived forked child that evaluates Oxigraph queries for one store: killable, memory-capped, offline.

Why: Oxigraph evaluates in native code that ignores Python signals, aborts the process when an
allocation fails, and performs SERVICE over its own sockets, which Python's audit hooks cannot
see. So user queries never run in the caller's process: this child is killed at the deadline,
runs each query under a memory ceiling (an abort ends only the child, and is reported as the
memory limit), and lives in an empty network namespace where the OS offers one
(kg.engines.limits.isolate_network). Forking one per query would cost 0.04-0.2 s at a million triples
(page tables, copy-on-write faults, teardown), more than a small question takes; one child per
store pays that once and is replaced only after a query overran a limit.

The child holds the store as it was at fork time, so every write to the store retires its worker
(``retire``): kg's loaders and the rdflib view of an Oxigraph store call it; code writing to a
pyoxigraph store directly must call it too.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import stat
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe

from kg.engines.limits import cap_memory, describe_isolation, isolate_network, memory_limit_message, timeout_message
from kg.errors import MemoryLimitExceeded, QueryError, QueryTimeout

log = logging.getLogger("kg.oxigraph")

#: id(pyoxigraph store) → its worker; an entry lives as long as the store's rdflib wrapper.
_WORKERS: dict[int, Worker] = {}
_LOCK = threading.Lock()
#: the stores' rdflib wrappers already set to retire their worker when they are collected
_WATCHED: weakref.WeakSet = weakref.WeakSet()
#: reply kinds: b"E" error message, b"M" memory limit, anything else the answer's payload kind
Reply = tuple[bytes, bytes]


class Worker:
    """The child process and the parent's end of its pipe; one query at a time."""

    def __init__(self, answer: Callable[[dict], Reply]) -> None:
        self.conn, child = Pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            self.conn.close()
            _serve(child, answer, parent)
        child.close()
        self.pid = pid
        self.busy = threading.Lock()
        try:
            self.isolation: str = self.conn.recv()
        except (EOFError, OSError):
            self.close()
            raise QueryError("query failed: the Oxigraph worker did not start") from None
        log.info("Oxigraph worker %d: %s", pid, describe_isolation(self.isolation))

    def ask(self, request: dict, seconds: float | None) -> Reply:
        """The child's reply to ``request``; at the deadline the child is killed and QueryTimeout raised."""
        try:
            self.conn.send(request)
            if not self.conn.poll(seconds):
                self.close()
                raise QueryTimeout(timeout_message(seconds or 0))
            return self.conn.recv()
        except (EOFError, OSError):
            status = self.close()
            raise self._death(status, request.get("memory")) from None

    @staticmethod
    def _death(status: int, budget: int | None) -> Exception:
        """Why the child died mid-query: an abort under a memory ceiling is the ceiling (Rust aborts when an
        allocation fails); anything else is a crash."""
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        if budget and signum in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL):
            return MemoryLimitExceeded(memory_limit_message(budget))
        cause = f"signal {signal.Signals(signum).name}" if signum else f"exit status {os.WEXITSTATUS(status)}"
        return QueryError(f"query failed: the Oxigraph worker ended without an answer ({cause})")

    def close(self) -> int:
        """Stop the child (idempotent); its wait status, 0 if it was already gone."""
        status = 0
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            self.conn.close()
        return status


def _close_inherited_channels(keep: int) -> None:
    """Close the pipes and sockets the child inherited (other than ``keep``), so that no peer of the parent
    (a browser driver, an HTTP client, a subprocess) waits forever for an end-of-file this child would
    hold back. Regular files stay open: an on-disk store reads through them."""
    for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"):
        fd = int(name)
        if fd == keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            os.close(fd)


def _silence_stderr() -> None:
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)


def _serve(conn: Connection, answer: Callable[[dict], Reply], parent: int) -> None:
    """The child's life: answer requests until the pipe closes or the parent is gone; never returns."""
    try:
        _close_inherited_channels(conn.fileno())
        if not log.isEnabledFor(logging.INFO):  # Oxigraph's own report of an abort is ours to word
            _silence_stderr()
        conn.send(isolate_network())
        gc.freeze()  # the inherited objects stay untouched by this process's collections: fewer page copies
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        while True:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    break
                continue
            request = conn.recv()
            budget = request.get("memory")
            try:
                cap_memory(budget)
                reply = answer(request)
            except MemoryError:
                reply = (b"M", b"")
            except BaseException as exc:  # any failure becomes an error reply, not a dead worker
                reply = (b"E", f"query failed: {exc}".encode())
            finally:
                cap_memory(None)
            conn.send(reply)
    finally:
        os._exit(0)


def ask(store: object, owner: object, answer: Callable[[dict], Reply], request: dict, seconds: float | None) -> Reply:
    """Answer ``request`` in the worker of ``store`` (started on first use, ended with ``owner``).

    ``request["memory"]`` caps what the query may allocate; a reply of kind b"M" means it hit that cap.
    """
    with _LOCK:
        worker = _WORKERS.get(id(store))
        if owner not in _WATCHED:
            _WATCHED.add(owner)
            weakref.finalize(owner, retire, store)
        if worker is None or not worker.pid:  # none yet, or the last one was killed at a limit
            worker = _WORKERS[id(store)] = Worker(answer)
    if not worker.busy.acquire(blocking=False):  # another thread's query is running: a one-off worker
        single = Worker(answer)
        try:
            return _checked(single.ask(request, seconds), request)
        finally:
            single.close()
    try:
        return _checked(worker.ask(request, seconds), request)
    finally:
        worker.busy.release()


def _checked(reply: Reply, request: dict) -> Reply:
    if reply[0] == b"M":
        raise MemoryLimitExceeded(memory_limit_message(request.get("memory") or 0))
    return reply


def retire(store: object) -> None:
    """Stop the worker of ``store``, if any: the store changed (or is gone) and its snapshot is stale."""
    with _LOCK:
        worker = _WORKERS.pop(id(store), None)
    if worker is not None:
        worker.close()


def worker_pid(store: object) -> int:
    """The process id of the worker now serving ``store`` (0: none)."""
    worker = _WORKERS.get(id(store))
    return worker.pid if worker else 0


def worker_isolation(store: object) -> str | None:
    """Why the worker of ``store`` has network ("" when it has none); None when there is no worker."""
    worker = _WORKERS.get(id(store))
    return worker.isolation if worker and worker.pid else None
