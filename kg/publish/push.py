"""Push the graph into a SPARQL 1.1 Graph Store (Oxigraph, Jena Fuseki, GraphDB, Virtuoso), through
kg.engines.remote's deadline-bound client, in one of two ways that leave the same graphs behind:

- ``graphs``: the standard protocol, one PUT per named graph and one for the merge (a graph over CHUNK triples
  continues in POSTs, which add). Every Graph Store takes it, but at 1M triples that is 4,000 requests, each its
  own transaction on the server.
- ``dataset``: one N-Quads stream POSTed to the store URL itself, which Oxigraph loads with its bulk loader
  (``?no_transaction``), after a DELETE of each graph the stream will fill (so pushing again replaces, as PUT
  does). Each file is parsed and sent while the server loads the previous ones.

``auto`` (the default) takes ``dataset`` when the server says it is Oxigraph, else ``graphs``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from kg.dataset.load import expand_paths, load_dataset, read_into
from kg.dataset.paths import shipped_sources
from kg.engines.oxigraph import OxigraphBackend
from kg.engines.registry import backend_of
from kg.engines.remote import DATASET_TYPE, GRAPH_TYPE, Login, RemoteError, delete_each, probe, request
from kg.errors import InputError
from kg.vocab.formats import BY_SUFFIX

METHODS = ("auto", "graphs", "dataset")
DEFAULT = "default"  # where the merge goes unless --merge-graph names a graph
CHUNK = 100_000  # triples per request: Virtuoso 7.2 sometimes stalled on its own locks over one PUT of 1M triples


@dataclass(frozen=True)
class Pushed:
    """One request that wrote graphs: a graph's PUT, or the dataset stream that holds them all."""

    target: str  # a graph's IRI, "default" (the merge in the default graph), or "dataset"
    statements: int  # triples (a PUT), or quads (the stream: each triple once in its graph and once in the merge)
    status: int
    graphs: int  # named graphs written, the merge's own graph not counted


def push(
    url: str,
    data: Iterable[Path] = (),
    *,
    merge: str | None = DEFAULT,
    method: str = "auto",
    timeout: float = 300.0,
    login: Login | None = None,
) -> tuple[str, list[Pushed]]:
    """Write every named graph (ontology, entities, each article, curated, user files) to the Graph Store at
    ``url``, and the merge of all of them to the default graph (``merge="default"``), to the named graph
    ``merge`` (a server whose default graph cannot be written, like Virtuoso's), or nowhere (None).
    Returns the way taken and what was written.

    The merge is sent because a union default graph is a bag on some servers (Oxigraph 0.5, Virtuoso),
    repeating triples that several articles state; servers that merge properly (Fuseki's
    unionDefaultGraph, GraphDB) do not need it.
    """
    if method not in METHODS:
        raise InputError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    if merge not in (None, DEFAULT):
        _check_iri(merge, "--merge-graph")
    server = probe(_at(url, DEFAULT), login=login, timeout=timeout)  # also learns a login challenge
    way = method if method != "auto" else "dataset" if server.startswith("Oxigraph/") else "graphs"
    send = _push_dataset if way == "dataset" else _push_graphs
    return way, send(url, list(data), merge, timeout, login)


def _at(url: str, graph: str) -> str:
    """The Graph Store URL of one graph (indirect identification: ``?graph=IRI``, or ``?default``)."""
    return (
        url + ("&" if "?" in url else "?") + (DEFAULT if graph == DEFAULT else urllib.parse.urlencode({"graph": graph}))
    )


def _check_iri(name: str, what: str) -> None:
    try:
        ox.NamedNode(name)
    except ValueError as exc:
        raise InputError(f"{what}: {name!r} is not an IRI ({exc})") from None


def _push_graphs(url: str, data: list[Path], merge: str | None, timeout: float, login: Login | None) -> list[Pushed]:
    """One PUT per graph, the merge first: a server that cannot take it says so before the long upload."""
    backend = backend_of(load_dataset(data, engine="oxigraph"))
    assert isinstance(backend, OxigraphBackend)  # what engine="oxigraph" loads into
    store = backend.store
    names = []
    for graph in store.named_graphs():
        if not isinstance(graph, ox.NamedNode):
            raise InputError("a graph named by a blank node cannot be pushed: the Graph Store names graphs by IRI")
        names.append(graph.value)
    _check_merge_graph(merge, names)
    # kg's Oxigraph engine keeps the merge of all named graphs in the store's default graph.
    targets: list[tuple[str, ox.NamedNode | ox.DefaultGraph]] = [] if merge is None else [(merge, ox.DefaultGraph())]
    targets += [(name, ox.NamedNode(name)) for name in sorted(names)]
    done = []
    for index, (name, source) in enumerate(targets):
        first, *rest = _chunks(_dump(store, ox.RdfFormat.N_TRIPLES, source))
        headers = {"Content-Type": GRAPH_TYPE}
        try:
            status, _, _ = request(
                _at(url, name), method="PUT", body=first, headers=headers, timeout=timeout, login=login
            )
        except RemoteError as exc:
            if name != DEFAULT:
                raise
            hint = "a Graph Store whose default graph cannot be written (Virtuoso's) takes --merge-graph IRI"
            raise RemoteError(f"{exc} ({hint}, or --no-default-graph)") from None
        for more in rest:  # POST adds to what the PUT replaced
            request(_at(url, name), method="POST", body=more, headers=headers, timeout=timeout, login=login)
        triples = sum(chunk.count(b"\n") for chunk in (first, *rest))  # N-Triples: one statement per line
        done.append(Pushed(name, triples, status, int(merge is None or index > 0)))
    return done


def _chunks(body: bytes) -> list[bytes]:
    """A graph's N-Triples in requests of about CHUNK triples, each triple with a blank node in the first: a blank
    node's label names one node within one request only."""
    lines = body.splitlines(keepends=True)
    if len(lines) <= CHUNK:
        return [body]
    blank = [line for line in lines if b"_:" in line]  # a literal holding "_:" only moves its triple forward
    plain = [line for line in lines if b"_:" not in line]
    cut = max(CHUNK - len(blank), 0)
    rest = [b"".join(plain[i : i + CHUNK]) for i in range(cut, len(plain), CHUNK)]
    return [b"".join(blank + plain[:cut]), *rest]


def _push_dataset(url: str, data: list[Path], merge: str | None, timeout: float, login: Login | None) -> list[Pushed]:
    """DELETE each graph the stream fills, then POST the stream. The user's files and those whose format can name
    graphs (TriG, N-Quads, JSON-LD) are read first: a bad file stops the push before the server changes, and the
    graphs to delete are known. The shipped files are read while the server loads the previous ones."""
    shipped = [(s.path, s.graph) for s in shipped_sources()]
    extra = [(path, URIRef(path.resolve().as_uri())) for path in expand_paths(data)]  # as kg.dataset.load names them
    users = {path for path, _ in extra}
    early = {
        path: _nquads(path, graph, merge) for path, graph in shipped + extra if path in users or _names_graphs(path)
    }
    names = {str(graph) for path, graph in shipped if path not in early} | {g for _, gs in early.values() for g in gs}
    _check_merge_graph(merge, names)
    delete_each(
        [_at(url, name) for name in sorted(names) + ([] if merge is None else [merge])], timeout=timeout, login=login
    )

    sent = [0]

    def stream() -> Iterator[bytes]:
        for path, graph in shipped + extra:
            chunk = early[path][0] if path in early else _nquads(path, graph, merge)[0]
            sent[0] += chunk.count(b"\n")  # N-Quads: one statement per line
            yield chunk

    target = url + ("&" if "?" in url else "?") + "no_transaction"  # Oxigraph: its bulk loader
    headers = {"Content-Type": DATASET_TYPE}
    status, _, _ = request(target, method="POST", body=stream(), headers=headers, timeout=timeout, login=login)
    return [Pushed("dataset", sent[0], status, len(names))]


def _check_merge_graph(merge: str | None, names: Iterable[str]) -> None:
    if merge not in (None, DEFAULT) and merge in names:
        raise InputError(f"--merge-graph: {merge} is a graph of the data; name one of its own")


def _names_graphs(path: Path) -> bool:
    fmt = BY_SUFFIX.get(path.suffix.lower())
    return fmt is not None and fmt.quads


def _nquads(path: Path, graph: URIRef, merge: str | None) -> tuple[bytes, set[str]]:
    """One file as N-Quads, read exactly as kg reads it (kg.dataset.load), with its triples also in the merge
    target, and the names of the graphs it fills."""
    backend = OxigraphBackend.empty()
    read_into(backend, path, graph)
    store = backend.store
    if merge != DEFAULT:  # the engine's store keeps the merge in the default graph
        if merge is not None:
            target = ox.NamedNode(merge)
            default = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
            store.extend([ox.Quad(q.subject, q.predicate, q.object, target) for q in default])
        store.clear_graph(ox.DefaultGraph())
    names = set()
    for named in store.named_graphs():
        if not isinstance(named, ox.NamedNode):
            raise InputError(
                f"{path}: a graph named by a blank node cannot be pushed (the Graph Store names graphs by IRI)"
            )
        names.add(named.value)
    return _dump(store, ox.RdfFormat.N_QUADS), names - {merge or DEFAULT}


def _dump(store: ox.Store, fmt: ox.RdfFormat, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> bytes:
    body = store.dump(format=fmt, from_graph=graph)
    assert body is not None  # dump returns the bytes when given no output file
    return body


def describe_push(way: str, pushed: list[Pushed], merge: str | None) -> str:
    """One line per request and a total, for the user."""
    unit = "quads" if way == "dataset" else "triples"
    lines = [f"  {p.status}  {p.statements:>9} {unit}  {p.target}" for p in pushed]
    graphs = sum(p.graphs for p in pushed)
    merged = "" if merge is None else f" and their merge ({'the default graph' if merge == DEFAULT else merge})"
    if way == "dataset":
        return "\n".join(
            [*lines, f"pushed {graphs} graph(s){merged} in one N-Quads stream, {pushed[0].statements} quads"]
        )
    named = sum(p.statements for p in pushed if p.graphs)
    return "\n".join([*lines, f"pushed {graphs} graph(s){merged}, {named} triples in named graphs"])
