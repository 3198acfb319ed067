"""Block network access from Python code we call (rdflib's SERVICE, FROM, remote JSON-LD contexts).

An audit hook sees every socket connect and URL open. Audit hooks cannot be removed, so one hook
is installed on first use and only acts while a ``no_network()`` block is active in the current
context (thread or task).
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from kg.errors import KGError

_blocked: contextvars.ContextVar[str | None] = contextvars.ContextVar("kg_network_blocked", default=None)
_installed = False
_EVENTS = ("socket.connect", "socket.getaddrinfo", "urllib.Request")


class NetworkBlocked(KGError):
    """Something tried to reach the network while that was not allowed."""


def _audit(event: str, args: tuple) -> None:
    why = _blocked.get()
    if why is not None and event in _EVENTS:
        raise NetworkBlocked(f"network access is blocked {why} ({event})")


@contextmanager
def no_network(why: str, allowed: bool = False) -> Iterator[None]:
    """Inside this block any network access raises NetworkBlocked (unless ``allowed``)."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    token = _blocked.set(None if allowed else why)
    try:
        yield
    finally:
        _blocked.reset(token)
