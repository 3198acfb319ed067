"""Push the graph into any SPARQL 1.1 Graph Store Protocol service (Oxigraph, Jena Fuseki, GraphDB, Virtuoso,
QLever): one PUT per named graph, through kg.engines.remote's deadline-bound client."""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.dataset.load import load_dataset
from kg.engines.backend import Triple
from kg.engines.registry import backend_of
from kg.engines.remote import GRAPH_TYPE, request
from kg.engines.terms import to_ox, to_ox_iri, to_ox_resource


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
    graphs: dict[str, list[Triple]] = defaultdict(list)
    # Oxigraph's loader puts every statement in a named graph (a TriG file's default graph in the file's own).
    for s, p, o, g in backend_of(load_dataset(data, engine="oxigraph")).quads():
        graphs[str(g)].append((s, p, o))
    targets = [(name, graphs[name]) for name in sorted(graphs)]
    if default_merge:
        targets.append(("default", list(dict.fromkeys(t for _, triples in targets for t in triples))))
    done = []
    for name, triples in targets:
        body = ox.serialize(
            (ox.Triple(to_ox_resource(s), to_ox_iri(p), to_ox(o)) for s, p, o in triples), format=ox.RdfFormat.N_TRIPLES
        )
        query = "default" if name == "default" else urllib.parse.urlencode({"graph": name})
        status, _, _ = request(
            url + ("&" if "?" in url else "?") + query,
            method="PUT",
            body=body,
            headers={"Content-Type": GRAPH_TYPE},
            timeout=timeout,
        )
        done.append(Pushed(name, len(triples), status))
    return done


def describe_push(pushed: list[Pushed]) -> str:
    """One line per graph and a total, for the user."""
    lines = [f"  {p.status}  {p.triples:>9} triples  {p.graph}" for p in pushed]
    total = sum(p.triples for p in pushed if p.graph != "default")
    return "\n".join([*lines, f"pushed {len(pushed)} graph(s), {total} triples in named graphs"])
