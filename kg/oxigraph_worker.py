"""A long-lived forked child that answers time-limited Oxigraph queries for one store.

Why: Oxigraph evaluates in native code that ignores Python signals, so a time limit needs another
process that can be killed at the deadline. Forking one per query costs 0.04-0.2 s at a million
triples (page tables, copy-on-write faults, tearing the child down), more than a small question
takes. One child per store pays that once and is replaced only after a query overran its limit.

The child holds the store as it was at fork time, so every write to the store retires its worker
(``retire``): kg's loaders and the rdflib view of an Oxigraph store call it; code writing to a
pyoxigraph store directly must call it too.
"""

from __future__ import annotations

import gc
import os
import signal
import stat
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe

from kg.errors import QueryError, QueryTimeout

#: id(pyoxigraph store) → its worker; an entry lives as long as the store's rdflib wrapper.
_WORKERS: dict[int, Worker] = {}
_LOCK = threading.Lock()
#: the stores' rdflib wrappers already set to retire their worker when they are collected
_WATCHED: weakref.WeakSet = weakref.WeakSet()

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

    def ask(self, request: dict, seconds: float) -> Reply:
        """The child's reply to ``request``; at the deadline the child is killed and QueryTimeout raised."""
        try:
            self.conn.send(request)
            if not self.conn.poll(seconds):
                self.close()
                raise QueryTimeout(f"query stopped after {seconds:g} s (time limit; raise it with --timeout)")
            return self.conn.recv()
        except (EOFError, OSError):
            self.close()
            raise QueryError("query failed: the Oxigraph worker ended without an answer") from None

    def close(self) -> None:
        """Stop the child (idempotent)."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
            self.pid = 0
            self.conn.close()


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


def _serve(conn: Connection, answer: Callable[[dict], Reply], parent: int) -> None:
    """The child's life: answer requests until the pipe closes or the parent is gone; never returns."""
    try:
        _close_inherited_channels(conn.fileno())
        gc.freeze()  # the inherited objects stay untouched by this process's collections: fewer page copies
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        while True:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    break
                continue
            request = conn.recv()
            try:
                reply = answer(request)
            except BaseException as exc:  # any failure becomes an error reply, not a dead worker
                reply = (b"E", f"query failed: {exc}".encode())
            conn.send(reply)
    finally:
        os._exit(0)


def ask(store: object, owner: object, answer: Callable[[dict], Reply], request: dict, seconds: float) -> Reply:
    """Answer ``request`` in the worker of ``store`` (started on first use, ended with ``owner``)."""
    with _LOCK:
        worker = _WORKERS.get(id(store))
        if owner not in _WATCHED:
            _WATCHED.add(owner)
            weakref.finalize(owner, retire, store)
        if worker is None or not worker.pid:  # none yet, or the last one was killed at a deadline
            worker = _WORKERS[id(store)] = Worker(answer)
    if not worker.busy.acquire(blocking=False):  # another thread's query is running: a one-off worker
        single = Worker(answer)
        try:
            return single.ask(request, seconds)
        finally:
            single.close()
    try:
        return worker.ask(request, seconds)
    finally:
        worker.busy.release()


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
