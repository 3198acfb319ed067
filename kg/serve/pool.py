"""A pool of query worker processes (kg.engines.worker) with a hard per-query time limit, a memory ceiling and no
network, each holding its own loaded Dataset.

A query past its time limit gets its worker killed; one past the ceiling gets 507 (the worker raised
MemoryError, or died of the abort); in both cases the worker is replaced and the other workers keep answering.

A replacement that cannot load the data (say an extra file was broken meanwhile) is retried with
exponential back-off, each failure logged; ``health`` says whether any worker is ready and why not;
after ``give_up_after`` seconds with no worker and no successful load the pool gives up (``failure``),
and `kg serve` exits with PoolFailed's status so that a supervisor restarts it.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
import time
from http import HTTPStatus

from rdflib import Dataset

from kg.dataset.spec import DatasetSpec
from kg.dataset.store import build_store
from kg.engines.limits import DEFAULT_TIMEOUT, GiB, describe_isolation, describe_size, memory_limit_message
from kg.engines.worker import Handler, Ready, Worker, WorkerDied
from kg.errors import KGError, MemoryLimitExceeded, QueryTimeout
from kg.serve.linked import answer_path
from kg.serve.protocol import Answer, Job, answer, error

log = logging.getLogger("kg.serve")

#: What one query may allocate on top of the worker's loaded data.
DEFAULT_MEMORY = GiB
#: Seconds of failing loads, with no worker left to answer, before the pool gives up.
GIVE_UP_AFTER = 60.0
FIRST_RETRY = 0.5
LAST_RETRY = 30.0
MEMORY_STATUS = HTTPStatus.INSUFFICIENT_STORAGE


class PoolFailed(KGError):
    """No query worker could load the data for a sustained period: exit status 75 (EX_TEMPFAIL, "try again"),
    so that a supervisor restarts the server once the data is fixed."""

    exit_code = 75


def _open(spec: DatasetSpec, max_rows: int) -> tuple[Handler, list[str]]:
    """A worker's setup: load the dataset once; its handler answers Jobs; its report names the graphs."""
    ds = spec.open()
    named = sorted(str(g.identifier) for g in ds.graphs() if g.identifier != ds.default_graph.identifier)
    return functools.partial(_answer, ds, max_rows), named


def _answer(ds: Dataset, max_rows: int, job: Job) -> Answer:
    """The reply to ``job`` (a query, or a Linked Data path); MemoryError is left to the worker, which ends after
    it (kg.engines.worker)."""
    try:
        if job.path:
            return answer_path(ds, job.path, job.accept)
        return answer(ds, job, max_rows)
    except MemoryError:
        raise
    except Exception as exc:  # never let one request end the worker; the client gets a short 500
        log.exception("query worker %d: internal error", os.getpid())
        return error(500, f"internal error: {type(exc).__name__} (logged by the server)")


class QueryPool:
    """``size`` workers answering Jobs; ``run`` waits for a free worker, then at most ``timeout`` seconds.

    Each query may allocate ``memory_limit`` bytes on top of its worker's loaded data. ``give_up_after``
    bounds how long the pool keeps retrying to load the data with no worker ready before it sets ``failure``.
    """

    def __init__(
        self,
        spec: DatasetSpec | None = None,
        size: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = 10_000,
        memory_limit: int = DEFAULT_MEMORY,
        give_up_after: float = GIVE_UP_AFTER,
    ) -> None:
        if size < 1:
            raise KGError("the pool needs at least one worker")
        self.spec, self.size, self.timeout, self.max_rows = spec or DatasetSpec(), size, timeout, max_rows
        self.memory_limit, self.give_up_after = memory_limit, give_up_after
        if self.spec.store is not None:
            build_store(self.spec.store, self.spec.data)  # refresh once here, not racing in every worker
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._loading: set[Worker] = set()  # replacements still loading the data
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.restarts = 0
        self.failure: str | None = None  # set when the pool gave up: the server must exit
        self._problem: str | None = None  # the last load failure, until a load succeeds
        self._failing_since: float | None = None
        workers = [self._start() for _ in range(size)]
        try:
            reports = [w.wait_ready() for w in workers]
        except KGError:
            for w in workers:
                w.stop()
            raise
        self.graphs: list[str] = reports[0].report
        self._report(reports[0])
        for w in workers:
            self._all.add(w)
            self._idle.put(w)

    def _start(self) -> Worker:
        return Worker(functools.partial(_open, self.spec, self.max_rows))

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

    def _ask(self, worker: Worker, job: Job) -> Answer:
        try:
            reply: Answer = worker.ask(job, self.timeout, self.memory_limit)
        except QueryTimeout:
            self._replace(worker)
            return error(503, f"query stopped after {self.timeout:g} s (the server's time limit)")
        except MemoryLimitExceeded:
            log.warning("query worker %d: a query reached the memory limit; replacing it", worker.pid)
            self._replace(worker)
            return error(MEMORY_STATUS, memory_limit_message(self.memory_limit))
        except WorkerDied as exc:
            self._replace(worker)
            if exc.before_request:  # it died idle (say the OOM killer took it): the job never started
                return self.run(job)
            log.error("query worker %d: ended without an answer (%s); replacing it", worker.pid, exc.cause)
            return error(500, "the query worker stopped unexpectedly; try again")
        self._idle.put(worker)
        return reply

    def _unavailable(self) -> Answer:
        reply = error(503, "no query worker is available: the data failed to load; the server keeps retrying")
        reply.headers["Retry-After"] = "5"
        return reply

    def _replace(self, worker: Worker) -> None:
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
            except (KGError, OSError) as exc:  # OSError: the system could not start a process
                if self._failed(str(exc), delay):
                    return
                self._closing.wait(delay)
                delay = min(delay * 2, LAST_RETRY, self.give_up_after / 4)
                continue
            self._admit(fresh)
            return

    def _load_one(self) -> Worker:
        """A new worker once it has loaded the data; ``close`` stops it meanwhile if need be."""
        with self._lock:
            if self._closing.is_set():
                raise KGError("the pool is closing")
            fresh = self._start()
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

    def _admit(self, fresh: Worker) -> None:
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
