"""A pool of query worker processes with a hard per-query time limit.

rdflib evaluates queries in pure Python and cannot be interrupted from another thread, so each query runs
in a forked worker that holds its own loaded Dataset; a query past its limit gets its worker killed and
replaced, and the other workers keep answering.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from multiprocessing.connection import Connection

from kg.endpoint import Answer, Job, answer, error
from kg.engines import DatasetSpec
from kg.errors import KGError

_CONTEXT = multiprocessing.get_context("fork")
STARTUP_TIMEOUT = 120.0


def _serve(conn: Connection, parent_end: Connection, spec: DatasetSpec, max_rows: int) -> None:
    """A worker's life: load the dataset once, report the graph names, then answer jobs until the pipe closes
    or the server is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which then ends its workers
    parent_end.close()
    server = os.getppid()
    try:
        ds = spec.open()
    except KGError as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", sorted(str(g.identifier) for g in ds.graphs() if g.identifier != ds.default_graph.identifier)))
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != server:  # the server died without closing us (e.g. SIGKILL)
                    return
                continue
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = answer(ds, job, max_rows)
        except Exception as exc:  # never let one request end the worker; the client gets a short 500
            reply = error(500, f"internal error: {type(exc).__name__}")
        conn.send(reply)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, spec: DatasetSpec, max_rows: int) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, self.conn, spec, max_rows), daemon=True)
        self.process.start()
        child.close()

    def wait_ready(self) -> list[str]:
        if not self.conn.poll(STARTUP_TIMEOUT):
            self.stop()
            raise KGError(f"a query worker did not load the data within {STARTUP_TIMEOUT:g} s")
        try:
            status, detail = self.conn.recv()
        except EOFError:
            raise KGError("a query worker died while loading the data") from None
        if status != "ready":
            self.stop()
            raise KGError(detail)
        return detail

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """``size`` workers answering Jobs; ``run`` waits for a free worker, then at most ``timeout`` seconds."""

    def __init__(
        self, spec: DatasetSpec | None = None, size: int = 2, timeout: float = 30.0, max_rows: int = 10_000
    ) -> None:
        if size < 1:
            raise KGError("the pool needs at least one worker")
        self.spec, self.timeout, self.max_rows = spec or DatasetSpec(), timeout, max_rows
        if self.spec.store is not None:
            from kg.store import build_store

            build_store(self.spec.store, self.spec.data)  # refresh once here, not racing in every worker
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        workers = [_Worker(self.spec, max_rows) for _ in range(size)]
        try:
            graphs = [w.wait_ready() for w in workers]
        except KGError:
            for w in workers:
                w.stop()
            raise
        self.graphs: list[str] = graphs[0]
        for w in workers:
            self._all.add(w)
            self._idle.put(w)

    def run(self, job: Job, wait: float | None = None) -> Answer:
        """Answer ``job`` in a worker; 503 when no worker frees up within ``wait`` seconds or the query
        runs past the time limit (its worker is then killed and replaced)."""
        try:
            worker = self._idle.get(timeout=self.timeout if wait is None else wait)
        except queue.Empty:
            return error(503, "server busy: every query worker is occupied; try again shortly")
        try:
            worker.conn.send(job)
            if worker.conn.poll(self.timeout):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
        except (EOFError, OSError):
            self._replace(worker)
            return error(500, "the query worker stopped unexpectedly; try again")
        self._replace(worker)
        return error(503, f"query stopped after {self.timeout:g} s (the server's time limit)")

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a fresh one in the background; it joins the pool once it has loaded."""
        worker.stop()
        with self._lock:
            self._all.discard(worker)
            if self._closed:
                return

        def start() -> None:
            fresh = _Worker(self.spec, self.max_rows)
            try:
                fresh.wait_ready()
            except KGError:
                return
            with self._lock:
                if self._closed:
                    fresh.stop()
                    return
                self._all.add(fresh)
            self._idle.put(fresh)

        threading.Thread(target=start, daemon=True).start()

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.stop()
