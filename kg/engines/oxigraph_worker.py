"""What an Oxigraph query worker (kg.engines.worker) runs: a snapshot of one store, queried with checked text,
each answer sent back serialized (SPARQL JSON or N-Triples) for kg.engines.results to read.

The snapshot is the store as it was when the worker started: an on-disk store opened again read-only,
or an in-memory store's quads (blank nodes keeping their labels, so that a node an answer names is the
caller's node). Every write to the store retires its worker (kg.engines.oxigraph), whose snapshot is
then stale. This module imports pyoxigraph alone, so that a worker starts without loading rdflib.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.errors import KGError, QueryError

log = logging.getLogger("kg.oxigraph")

#: Kinds of serialized answer: SPARQL JSON results of a SELECT or ASK, N-Triples of a CONSTRUCT or DESCRIBE,
#: and an error message.
TABLE, GRAPH, ERROR = b"S", b"G", b"E"
Reply = tuple[bytes, bytes]


@dataclass(frozen=True)
class Snapshot:
    """The store a worker queries: an on-disk store's folder, or an in-memory store's quads as N-Quads."""

    path: str | None = None
    nquads: bytes = b""


def open_snapshot(snapshot: Snapshot) -> tuple[Any, None]:
    """The worker's setup: its own copy of the store, and the handler answering queries over it."""
    if not log.isEnabledFor(logging.INFO):  # Oxigraph's own report of an abort is ours to word
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
    if snapshot.path is not None:
        store = ox.Store.read_only(snapshot.path)
    else:
        store = ox.Store()
        store.extend(ox.parse(snapshot.nquads, format=ox.RdfFormat.N_QUADS))  # Store.load renames blank nodes
    return functools.partial(answer, store), None


def evaluate(store: ox.Store, args: dict[str, Any]) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """``Store.query(**args)``, its failures as QueryError."""
    try:
        return store.query(**args)
    except SyntaxError as exc:
        raise QueryError(f"invalid query (Oxigraph): {exc}") from None
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None


def answer(store: ox.Store, args: dict[str, Any]) -> Reply:
    """(kind, payload) of one query: the serialized answer, or ERROR and the message."""
    try:
        found = evaluate(store, args)
        if isinstance(found, (ox.QueryBoolean, ox.QuerySolutions)):
            kind, payload = TABLE, found.serialize(format=ox.QueryResultsFormat.JSON)
        else:
            kind, payload = GRAPH, found.serialize(format=ox.RdfFormat.N_TRIPLES)
        assert payload is not None  # serialize without an output returns the bytes
        return kind, payload
    except MemoryError:
        raise
    except KGError as exc:
        return ERROR, str(exc).encode("utf-8")
    except (SyntaxError, ValueError, OSError) as exc:  # Oxigraph's words for a query it cannot evaluate
        return ERROR, f"query failed: {exc}".encode()
    except Exception as exc:  # a defect: an error reply, not a dead worker, and the traceback to the log
        log.exception("Oxigraph worker: internal error")
        return ERROR, f"query failed: {exc}".encode()
