"""SPARQL Update on a copy of the dataset: the shipped graph itself is never written."""

from __future__ import annotations

from rdflib import Dataset
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from kg.errors import KGError, QueryError
from kg.limits import deadline
from kg.namespaces import PREFIXES
from kg.netguard import NetworkBlocked, no_network
from kg.query import _position, _translate_error, _walk, normalise


def run_update_on_copy(ds: Dataset, text: str, *, timeout: float | None = None) -> Dataset:
    """Apply SPARQL Update to a copy of ``ds`` and return the copy; ``ds`` itself never changes.

    LOAD (which fetches from the web) stays refused.
    """
    text = normalise(text)
    try:
        update = translateUpdate(parseUpdate(text), initNs=dict(PREFIXES))
    except Exception as exc:
        if hasattr(exc, "lineno"):
            raise QueryError(f"malformed update: {_position(exc)}syntax error") from None
        raise _translate_error(exc) from None
    if any(node.name == "Load" for node in _walk(update.algebra)):
        raise QueryError("LOAD is refused: updates never fetch data from the network")
    copy = Dataset(default_union=True)
    for prefix, ns in ds.namespaces():
        copy.bind(prefix, ns)
    for s, p, o, g in ds.quads((None, None, None, None)):
        copy.graph(getattr(g, "identifier", g)).add((s, p, o))
    try:
        with no_network("during an update"), deadline(timeout):
            copy.update(update)
    except NetworkBlocked as exc:
        raise QueryError(str(exc)) from None
    except KGError:
        raise
    except Exception as exc:
        raise QueryError(f"update failed: {exc}") from None
    return copy
