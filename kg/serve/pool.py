"""A pool of query worker processes with a hard per-query time limit, a memory ceiling and no network.

rdflib evaluates queries in pure Python and cannot be interrupted from another thread, and Oxigraph
evaluates in native code that aborts its process when an allocation fails. So each query runs in a
forked worker that holds its own loaded Dataset, lives in an empty network namespace and may allocate
at most ``memory_limit`` on top of its loaded data (kg.engines.limits). A query past its time limit gets its
worker killed; one past the ceiling gets 507 (the worker raised MemoryError, or died of the abort); in
both cases the worker is replaced and the other workers keep answering.

A replacement that cannot load the data (say an extra file was broken meanwhile) is retried with
exponential back-off, each failure logged; ``health`` says whether any worker is ready and why not;
after ``give_up_after`` seconds with no worker and no successful load the pool gives up (``failure``),
and `kg serve` exits with PoolFailed's status so that a supervisor restarts it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import stat
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection

from rdflib import Dataset

from kg.dataset.spec import DatasetSpec
from kg.engines import limits
from kg.engines.limits import GiB, cap_memory, describe_isolation, describe_size, isolate_network, memory_limit_message
from kg.errors import KGError
from kg.serve.protocol import Answer, Job, answer, error

log = logging.getLogger("kg.serve")

_CONTEXT = multiprocessing.get_context("fork")
STARTUP_TIMEOUT = 120.0
#: What one query may allocate on top of the worker's loaded data.
DEFAULT_MEMORY = GiB
#: Seconds of failing loads, with no worker left to answer, before the pool gives up.
GIVE_UP_AFTER = 60.0
FIRST_RETRY = 0.5
LAST_RETRY = 30.0
MEMORY_STATUS = HTTPStatus.INSUFFICIENT_STORAGE
#: How a worker under a memory ceiling dies when an allocation fails in native code: Rust aborts (SIGABRT),
#: C code may fault on the null pointer, and the kernel's OOM killer sends SIGKILL (kg.engines.oxigraph_worker agrees).
_MEMORY_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL}


class PoolFailed(KGError):
    """No query worker could load the data for a sustained period: exit status 75 (EX_TEMPFAIL, "try again"),
    so that a supervisor restarts the server once the data is fixed."""

    exit_code = 75


@dataclass(frozen=True)
class Ready:
    """A worker's report once it has loaded the data and locked itself down."""

    graphs: list[str]
    isolation: str  # "" when the worker has no network, else why not
    capped: bool  # whether the kernel enforces the memory ceiling


def _close_inherited_sockets(keep: int) -> None:
    """Close the sockets this fork inherited (the listener, clients' connections, other workers' pipes) but its
    own: a dead sibling's pipe must read as closed, and a client's connection must end when the server ends it.
    Pipes stay open: stderr and multiprocessing's sentinel, which tells the server this process ended."""
    for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"):
        fd = int(name)
        with contextlib.suppress(OSError):
            if fd != keep and stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _load(conn: Connection, spec: DatasetSpec, memory: int) -> Dataset | None:
    """Shut the network, load the dataset, then cap memory (loading is not the query's to pay for); report either
    way. Isolating first matters: an unprivileged process may enter a namespace of its own only while it is
    single-threaded, and opening an on-disk store starts RocksDB's threads."""
    isolation = isolate_network()
    try:
        ds = spec.open()
    except KGError as exc:
        conn.send(("failed", str(exc)))
        return None
    except Exception as exc:  # a defect, not bad data: the traceback goes to the server's log
        log.exception("query worker %d: loading the data failed", os.getpid())
        conn.send(("failed", f"loading the data failed: {type(exc).__name__}"))
        return None
    limits.in_worker = True  # Oxigraph evaluates right here: this process is the one killed at a limit
    capped = cap_memory(memory)
    named = sorted(str(g.identifier) for g in ds.graphs() if g.identifier != ds.default_graph.identifier)
    conn.send(("ready", Ready(named, isolation, capped)))
    return ds


def _next_job(conn: Connection, server: int) -> Job | None:
    """The next job, or None once the pipe closed or the server is gone (e.g. SIGKILLed, not closing us)."""
    try:
        while not conn.poll(1.0):
            if os.getppid() != server:
                return None
        return conn.recv()
    except (EOFError, OSError):
        return None


def _answer(ds: Dataset, job: Job, max_rows: int, memory: int) -> tuple[Answer, bool]:
    """The reply to ``job`` and whether this worker must end: after hitting its ceiling its heap may stay
    fragmented near the cap, so it answers 507 and makes way for a fresh worker."""
    try:
        return answer(ds, job, max_rows), False
    except MemoryError:
        pass  # leave the handler first, so that the failed work's frames and allocations are freed
    except Exception as exc:  # never let one request end the worker; the client gets a short 500
        log.exception("query worker %d: internal error", os.getpid())
        return error(500, f"internal error: {type(exc).__name__} (logged by the server)"), False
    return error(MEMORY_STATUS, memory_limit_message(memory)), True


def _serve(conn: Connection, parent_end: Connection, spec: DatasetSpec, max_rows: int, memory: int) -> None:
    """A worker's life: load the dataset once, report, then answer jobs until the pipe closes or the server is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which then ends its workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's handler, inherited: SIGTERM ends a worker
    parent_end.close()
    _close_inherited_sockets(conn.fileno())
    server = os.getppid()
    ds = _load(conn, spec, memory)
    if ds is None:
        return
    while (job := _next_job(conn, server)) is not None:
        reply, done = _answer(ds, job, max_rows, memory)
        conn.send(reply)
        if done:
            return


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, spec: DatasetSpec, max_rows: int, memory: int) -> None:
        self.conn, child = _CONTEXT.Pipe()
        args = (child, self.conn, spec, max_rows, memory)
        self.process = _CONTEXT.Process(target=_serve, args=args, daemon=True, name="kg-query-worker")
        self.process.start()
        child.close()

    def wait_ready(self) -> Ready:
        try:
            if not self.conn.poll(STARTUP_TIMEOUT):
                raise KGError(f"a query worker did not load the data within {STARTUP_TIMEOUT:g} s")
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            how = _describe_exit(self.exit_code())
            self.stop()
            raise KGError(f"a query worker died while loading the data ({how})") from None
        except KGError:
            self.stop()
            raise
        if status != "ready":
            self.stop()
            raise KGError(detail)
        return detail

    def exit_code(self) -> int | None:
        """The process's exit code once it has ended (waiting a moment for it): minus the signal that ended it,
        or None while it lives."""
        self.process.join(timeout=5)
        return self.process.exitcode

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """``size`` workers answering Jobs; ``run`` waits for a free worker, then at most ``timeout`` seconds.

    Each query may allocate ``memory_limit`` bytes on top of its worker's loaded data. ``give_up_after``
    bounds how long the pool keeps retrying to load the data with no worker ready before it sets ``failure``.
    """

    def __init__(
        self,
        spec: DatasetSpec | None = None,
        size: int = 2,
        timeout: float = 30.0,
        max_rows: int = 10_000,
        memory_limit: int = DEFAULT_MEMORY,
        give_up_after: float = GIVE_UP_AFTER,
    ) -> None:
        if size < 1:
            raise KGError("the pool needs at least one worker")
        self.spec, self.size, self.timeout, self.max_rows = spec or DatasetSpec(), size, timeout, max_rows
        self.memory_limit, self.give_up_after = memory_limit, give_up_after
        if self.spec.store is not None:
            from kg.dataset.store import build_store

            build_store(self.spec.store, self.spec.data)  # refresh once here, not racing in every worker
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._loading: set[_Worker] = set()  # replacements still loading the data
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.restarts = 0
        self.failure: str | None = None  # set when the pool gave up: the server must exit
        self._problem: str | None = None  # the last load failure, until a load succeeds
        self._failing_since: float | None = None
        workers = [_Worker(self.spec, max_rows, memory_limit) for _ in range(size)]
        try:
            reports = [w.wait_ready() for w in workers]
        except KGError:
            for w in workers:
                w.stop()
            raise
        self.graphs: list[str] = reports[0].graphs
        self._report(reports[0])
        for w in workers:
            self._all.add(w)
            self._idle.put(w)

    def _report(self, ready: Ready) -> None:
        log.info("query workers: %s", describe_isolation(ready.isolation))
        if ready.capped:
            log.info("query workers: each query may use %s on top of the data", describe_size(self.memory_limit))
        else:
            log.warning("query workers: memory limit not enforced (this system has no data-segment limit)")

    def run(self, job: Job, wait: float | None = None) -> Answer:
        """Answer ``job`` in a worker; 503 when no worker frees up within ``wait`` seconds, none can load the
        data, or the query runs past the time limit (its worker is then killed and replaced); 507 when it
        needs more memory than the ceiling (the worker is replaced)."""
        if not self._all and self._problem is not None:
            return self._unavailable()
        try:
            worker = self._idle.get(timeout=self.timeout if wait is None else wait)
        except queue.Empty:
            if not self._all and self._problem is not None:
                return self._unavailable()
            return error(503, "server busy: every query worker is occupied; try again shortly")
        return self._ask(worker, job)

    def _ask(self, worker: _Worker, job: Job) -> Answer:
        try:
            worker.conn.send(job)
        except OSError:  # the worker died idle (say the OOM killer took it): the job never started, use another
            self._lost(worker)
            return self.run(job)
        try:
            if not worker.conn.poll(self.timeout):
                self._replace(worker)
                return error(503, f"query stopped after {self.timeout:g} s (the server's time limit)")
            reply: Answer = worker.conn.recv()
        except (EOFError, OSError):
            return self._lost(worker)
        if reply.status == MEMORY_STATUS:
            log.warning("query worker %d: a query reached the memory limit; replacing it", worker.process.pid)
            self._replace(worker)
        else:
            self._idle.put(worker)
        return reply

    def _lost(self, worker: _Worker) -> Answer:
        """The reply for a query whose worker died before answering: a death by one of _MEMORY_SIGNALS is how
        native code ends at the ceiling."""
        pid, code = worker.process.pid, worker.exit_code()
        how = _describe_exit(code)
        self._replace(worker)
        if code is not None and -code in _MEMORY_SIGNALS:
            log.warning("query worker %d: stopped at the memory limit (%s); replacing it", pid, how)
            return error(MEMORY_STATUS, memory_limit_message(self.memory_limit))
        log.error("query worker %d: ended without an answer (%s); replacing it", pid, how)
        return error(500, "the query worker stopped unexpectedly; try again")

    def _unavailable(self) -> Answer:
        reply = error(503, "no query worker is available: the data failed to load; the server keeps retrying")
        reply.headers["Retry-After"] = "5"
        return reply

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a fresh one in the background; it joins the pool once it has loaded."""
        worker.stop()
        with self._lock:
            self._all.discard(worker)
            if self._closing.is_set():
                return
            self.restarts += 1
        threading.Thread(target=self._refill, daemon=True, name="kg-worker-refill").start()

    def _refill(self) -> None:
        """Load a replacement worker, retrying with exponential back-off while loading fails (e.g. a broken
        data file that its owner is about to fix); at most four retries fit in ``give_up_after``."""
        delay = min(FIRST_RETRY, self.give_up_after / 4)
        while not self._closing.is_set():
            try:
                fresh = self._load_one()
            except (KGError, OSError) as exc:  # OSError: the system could not fork
                if self._failed(str(exc), delay):
                    return
                self._closing.wait(delay)
                delay = min(delay * 2, LAST_RETRY, self.give_up_after / 4)
                continue
            self._admit(fresh)
            return

    def _load_one(self) -> _Worker:
        """A new worker once it has loaded the data; ``close`` stops it meanwhile if need be."""
        with self._lock:
            if self._closing.is_set():
                raise KGError("the pool is closing")
            fresh = _Worker(self.spec, self.max_rows, self.memory_limit)
            self._loading.add(fresh)
        try:
            fresh.wait_ready()
        finally:
            with self._lock:
                self._loading.discard(fresh)
        return fresh

    def _failed(self, reason: str, delay: float) -> bool:
        """Record a failed load; True when the pool gives up (no worker for ``give_up_after`` seconds)."""
        with self._lock:
            if self.failure is not None or self._closing.is_set():  # given up already, or shutting down
                return True
            now = time.monotonic()
            self._problem = reason
            self._failing_since = self._failing_since or now
            down = now - self._failing_since
            give_up = not self._all and down >= self.give_up_after and not self._closing.is_set()
            if give_up:  # said once, by whoever stops on it (kg serve exits with it)
                self.failure = f"no query worker could load the data for {down:.0f} s: {reason}"
        if not give_up:
            log.warning("a query worker could not load the data: %s; retrying in %g s", reason, delay)
        return give_up

    def _admit(self, fresh: _Worker) -> None:
        with self._lock:
            if self._closing.is_set():
                fresh.stop()
                return
            if self._problem is not None:
                log.warning("a query worker loaded the data again; the pool recovers")
            self._problem, self._failing_since = None, None
            self._all.add(fresh)
        self._idle.put(fresh)

    def health(self) -> tuple[bool, dict[str, object]]:
        """Whether the pool can answer (at least one worker ready) and a report for monitoring."""
        with self._lock:
            ready = len(self._all)
            report: dict[str, object] = {
                "status": "ok" if ready else "unavailable",
                "workers": ready,
                "size": self.size,
                "restarts": self.restarts,
            }
            if self._problem is not None:
                report["reason"] = self._problem
            elif not ready:
                report["reason"] = "the query workers are loading the data"
        return bool(ready), report

    def close(self) -> None:
        """Stop every worker (and any retrying replacement)."""
        with self._lock:
            self._closing.set()
            workers = [*self._all, *self._loading]
            self._all.clear()
        for w in workers:
            w.stop()
