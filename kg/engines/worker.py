"""Worker processes that evaluate user queries: killed at the deadline, capped in memory, without network.

Why processes: rdflib evaluates in pure Python, which another thread cannot interrupt; Oxigraph evaluates
in native code that ignores Python signals, aborts its process when an allocation fails, and performs
SERVICE over its own sockets, which Python's audit hooks cannot see. So a query runs in a worker that
the caller kills at the deadline, that may allocate at most the query's budget on top of what it holds
(kg.engines.limits.cap_memory: Python then gets MemoryError; native code aborts, which ends only the
worker and is reported as the memory limit), and that lives in an empty network namespace where the OS
offers one (kg.engines.limits.isolate_network). A worker answers many queries, one at a time, and is
replaced only after one overran a limit.

Why multiprocessing's fork server, explicitly: the processes that start workers run threads (`kg serve`'s
request threads, RocksDB's once an on-disk store is open, a notebook kernel's), and forking a threaded
process can deadlock the child: Python 3.12 warns about it, and 3.14 no longer forks by default. The fork
server is a fresh, single-threaded process that forks each worker, so a worker starts single-threaded
(which its own network namespace requires) and holds nothing of its caller but its end of the pipe: no
client connection, browser driver or sibling's pipe is kept open by it, and the pipe reads as closed
once the caller is gone. A worker builds what it needs itself (``setup``): it loads the dataset its
spec names, or opens the store snapshot it was handed.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from kg.engines import limits
from kg.engines.limits import cap_memory, isolate_network, memory_limit_message, timeout_message
from kg.errors import KGError, MemoryLimitExceeded, QueryError, QueryTimeout

log = logging.getLogger("kg.engines.worker")

_CONTEXT = multiprocessing.get_context("forkserver")
STARTUP_TIMEOUT = 120.0
#: How a worker under a memory ceiling dies when an allocation fails in native code: Rust aborts (SIGABRT),
#: C code may fault on the null pointer, and the kernel's OOM killer sends SIGKILL.
MEMORY_SIGNALS = frozenset({signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL})

#: Answers one request in the worker; MemoryError ends the worker, anything else is the handler's to report.
Handler = Callable[[Any], Any]
#: Runs in the worker before its first request: its handler and what it reports when ready.
Setup = Callable[[], tuple[Handler, Any]]


@dataclass(frozen=True)
class Ready:
    """A worker's report once ``setup`` succeeded and it locked itself down."""

    isolation: str  # "" when the worker has no network, else why not
    capped: bool  # whether the kernel enforces memory ceilings
    report: Any  # what ``setup`` returned beside the handler


@dataclass(frozen=True)
class _Failed:
    reason: str


@dataclass(frozen=True)
class _OutOfMemory:
    """The reply of a worker whose request raised MemoryError; the worker then ends (its heap may stay
    fragmented near the cap) and makes way for a fresh one."""


class WorkerDied(QueryError):
    """A worker ended without an answer, and not at a limit kg set (say it was killed from outside)."""

    def __init__(self, cause: str, *, before_request: bool = False) -> None:
        super().__init__(f"query failed: the query worker ended without an answer ({cause})")
        self.cause = cause
        self.before_request = before_request  # the request never reached it: another worker may take it


def describe_exit(code: int | None) -> str:
    """A process's exit code (minus the signal that ended it) in words."""
    if code is None:
        return "still running"
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"


class Worker:
    """One worker process and the caller's end of its pipe; one request at a time.

    ``setup`` must be picklable (a module-level function, or a partial of one): it runs in the worker.
    """

    def __init__(self, setup: Setup, name: str = "kg-query-worker") -> None:
        _preload(setup)
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_live, args=(child, setup, _Settings.now()), name=name, daemon=True)
        self.process.start()
        child.close()
        self.pid: int = self.process.pid  # type: ignore[assignment]
        self.ready: Ready | None = None

    def wait_ready(self) -> Ready:
        """The worker's report once ``setup`` finished; KGError (the worker stopped) when it failed."""
        try:
            if not self.conn.poll(STARTUP_TIMEOUT):
                raise KGError(f"a query worker did not load the data within {STARTUP_TIMEOUT:g} s")
            reply = self.conn.recv()
        except (EOFError, OSError):
            how = describe_exit(self.exit_code())
            self.stop()
            raise KGError(f"a query worker died while loading the data ({how})") from None
        except KGError:
            self.stop()
            raise
        if isinstance(reply, _Failed):
            self.stop()
            raise KGError(reply.reason)
        self.ready = reply
        return reply

    def ask(self, request: Any, seconds: float | None, memory: int | None) -> Any:
        """The worker's answer to ``request``, which may take ``seconds`` and allocate ``memory`` bytes.

        Past the deadline the worker is killed and QueryTimeout raised; at the memory ceiling the worker
        ends and MemoryLimitExceeded is raised; a worker that dies otherwise raises WorkerDied.
        """
        try:
            self.conn.send((memory, request))
        except OSError:
            raise WorkerDied(describe_exit(self.stop()), before_request=True) from None
        try:
            if not self.conn.poll(seconds):
                self.stop()
                raise QueryTimeout(timeout_message(seconds or 0))
            reply = self.conn.recv()
        except (EOFError, OSError):
            code = self.stop()
            if memory and code is not None and -code in MEMORY_SIGNALS:
                raise MemoryLimitExceeded(memory_limit_message(memory)) from None
            raise WorkerDied(describe_exit(code)) from None
        if isinstance(reply, _OutOfMemory):
            self.stop()
            raise MemoryLimitExceeded(memory_limit_message(memory or 0))
        return reply

    def exit_code(self) -> int | None:
        """The process's exit code once it has ended (waiting a moment for it): minus the signal that ended
        it, or None while it lives."""
        self.process.join(timeout=5)
        return self.process.exitcode

    def stop(self) -> int | None:
        """Kill the worker (idempotent); its exit code."""
        if not self.conn.closed:
            self.process.kill()
            self.conn.close()
        return self.exit_code()


def _preload(setup: Setup) -> None:
    """Have the fork server, when it starts, import the module whose code the workers run, so that each
    worker starts with it loaded rather than importing it again."""
    module = getattr(setup, "func", setup).__module__
    _CONTEXT.set_forkserver_preload([__name__, module])


@dataclass(frozen=True)
class _Settings:
    """The caller's settings a worker must share, which a child of the fork server does not inherit: how kg's
    messages are logged (level, and the formatters of stderr handlers) and whether workers isolate the network."""

    level: int
    formatters: tuple[logging.Formatter | None, ...]
    isolate: bool

    @classmethod
    def now(cls) -> _Settings:
        logger = logging.getLogger("kg")
        formatters = tuple(h.formatter for h in logger.handlers if type(h) is logging.StreamHandler)
        return cls(logger.level, formatters, limits.ISOLATE)

    def apply(self) -> None:
        logger = logging.getLogger("kg")
        logger.setLevel(self.level)
        for formatter in self.formatters:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        limits.ISOLATE = self.isolate


def _live(conn: Connection, setup: Setup, settings: _Settings) -> None:
    """A worker's life: lock down, set up, report, then answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the caller handles it
    settings.apply()
    # Isolate first: a process may enter a namespace of its own only while it is single-threaded, and
    # opening an on-disk store starts RocksDB's threads.
    isolation = isolate_network()
    try:
        handle, report = setup()
    except KGError as exc:
        conn.send(_Failed(str(exc)))
        return
    except Exception as exc:  # a defect, not bad data: the traceback goes to the log
        log.exception("query worker: setting up failed")
        conn.send(_Failed(f"loading the data failed: {type(exc).__name__}"))
        return
    limits.in_worker = True  # native engines evaluate right here: this process is the one killed at a limit
    conn.send(Ready(isolation, cap_memory(None), report))
    gc.freeze()  # the loaded data stays out of this process's collections
    while True:
        try:
            memory, request = conn.recv()
        except (EOFError, OSError):  # the caller closed the pipe, or is gone
            return
        try:
            cap_memory(memory)
            reply = handle(request)
        except MemoryError:
            reply = _OutOfMemory()
        finally:
            cap_memory(None)
        conn.send(reply)
        if isinstance(reply, _OutOfMemory):
            return
