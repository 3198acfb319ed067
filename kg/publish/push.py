"""Push the graph into any SPARQL 1.1 Graph Store Protocol service (Oxigraph, Jena Fuseki, GraphDB, Virtuoso,
QLever): one PUT per named graph, through kg.engines.remote's deadline-bound client."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.dataset.load import load_dataset
from kg.engines.oxigraph import store_of
from kg.engines.remote import GRAPH_TYPE, request


@dataclass(frozen=True)
class Pushed:
    """One graph written to the server."""

    graph: str  # IRI, or "default" for the merge
    triples: int
    status: int


def push(url: str, data: Iterable[Path] = (), *, default_merge: bool = True, timeout: float = 300.0) -> list[Pushed]:
    """PUT every named graph (ontology, entities, each article, curated, user files) to the Graph Store at
    ``url``, and the merge of all of them as the default graph unless ``default_merge`` is off.

    PUT replaces a graph, so pushing again updates rather than duplicates. The merge is sent because a
    union default graph is a bag on some servers (Oxigraph 0.5, Virtuoso), repeating triples that
    several articles state; servers that merge properly (Fuseki's unionDefaultGraph, GraphDB) do not need it.
    """
    store = store_of(load_dataset(data, engine="oxigraph"))
    assert store is not None
    targets: list[tuple[str, ox.NamedNode | ox.BlankNode | ox.DefaultGraph]] = [
        (g.value, g) for g in sorted(store.named_graphs(), key=str)
    ]
    if default_merge:
        targets.append(("default", ox.DefaultGraph()))
    done = []
    for name, graph in targets:
        body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        assert body is not None  # given no output, pyoxigraph returns the bytes
        query = "default" if name == "default" else urllib.parse.urlencode({"graph": name})
        status, _, _ = request(
            url + ("&" if "?" in url else "?") + query,
            method="PUT",
            body=body,
            headers={"Content-Type": GRAPH_TYPE},
            timeout=timeout,
        )
        done.append(Pushed(name, body.count(b"\n"), status))
    return done


def describe_push(pushed: list[Pushed]) -> str:
    """One line per graph and a total, for the user."""
    lines = [f"  {p.status}  {p.triples:>9} triples  {p.graph}" for p in pushed]
    total = sum(p.triples for p in pushed if p.graph != "default")
    return "\n".join([*lines, f"pushed {len(pushed)} graph(s), {total} triples in named graphs"])
