"""One SPARQL 1.1 Protocol query answered over a loaded Dataset: parse safely, pick the dataset the request
names, run, negotiate the format and serialize. Runs inside a worker process (see kg.serve.pool)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdflib import Dataset, URIRef
from rdflib.query import Result

from kg.dataset.resolve import resolve_entity
from kg.engines.backend import GraphSelection
from kg.engines.registry import backend_of
from kg.engines.safety import Prepared, is_update, prepare
from kg.errors import KGError, QueryError
from kg.graph.html import render_html
from kg.graph.views import query_graph
from kg.query.results import format_delimited, format_xml, rows
from kg.query.saved import lookup, saved_bindings
from kg.serve.negotiation import choose
from kg.vocab.namespaces import bind_prefixes

# Media type offered -> internal format; the first of each list is what "*/*" gets.
TABLE_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
TEXT_TYPES = ("text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples")
READ_ONLY = "SPARQL Update is refused: this endpoint is read-only"


@dataclass(frozen=True)
class Job:
    """A query request as the HTTP layer received it."""

    text: str
    accept: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    graph_view: bool = False  # answer with the workbench's HTML graph of the result instead
    saved: str = ""  # the saved question ``text`` is, when its parameters come as values
    parameters: tuple[tuple[str, str], ...] = ()  # (name, value as typed), bound by kg.query.saved
    path: str = ""  # a Linked Data path (/id/Haier, /id/Haier.ttl, /index.html): kg.serve.linked answers it


@dataclass(frozen=True)
class Answer:
    """What to send back: HTTP status, Content-Type and body."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> Answer:
    """A short plain-text error (never a stack trace)."""
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


def _selection(job: Job) -> GraphSelection | None:
    """The protocol's graph parameters, which override FROM / FROM NAMED and, like them, only select graphs already
    in the dataset (kg.engines.backend.GraphSelection)."""
    if job.default_graphs or job.named_graphs:
        return GraphSelection(tuple(map(URIRef, job.default_graphs)), tuple(map(URIRef, job.named_graphs)))
    return None


def _run(ds: Dataset, prepared: Prepared, job: Job) -> Result:
    """Run a checked query; the worker process enforces the limits."""
    return backend_of(ds).query(prepared, graphs=_selection(job))


def _json_table(ds: Dataset, prepared: Prepared, job: Job, media: str, max_rows: int) -> Answer:
    """A SELECT or ASK answer in the SPARQL JSON the engine writes, passed on as it is; the row cap is counted on it.

    Why the engine's writer: on Oxigraph, building rdflib terms and writing them again in Python took longer than
    the evaluation itself."""
    try:
        payload = backend_of(ds).query_json(prepared, graphs=_selection(job))
    except KGError as exc:
        return error(400, str(exc))
    if prepared.form == "SELECT":
        size = len(json.loads(payload)["results"]["bindings"])
        if size > max_rows:
            return error(400, f"result too large: {size} rows, the server's cap is {max_rows}; add a LIMIT")
    return Answer(200, media, payload)


def _content_type(media: str) -> str:
    return f"{media}; charset=utf-8" if media in TEXT_TYPES else media


def _ask_body(answer: bool, fmt: str) -> str:
    """ASK as CSV/TSV: a single ``_askResult`` column, as other stores write it (the W3C formats cover SELECT)."""
    value = "true" if answer else "false"
    return f"_askResult\r\n{value}\r\n" if fmt == "csv" else f"?_askResult\n{value}\n"


def _table_body(result: Result, fmt: str) -> str | bytes:
    """A SELECT or ASK answer as XML, CSV or TSV (JSON comes from the engine's writer: _json_table)."""
    if result.type == "ASK":
        if fmt in ("csv", "tsv"):
            return _ask_body(bool(result.askAnswer), fmt)
        serialized = result.serialize(format=fmt)
        assert serialized is not None  # serialize without a destination returns the bytes
        return serialized
    if fmt == "xml":
        return format_xml(result)
    return format_delimited(rows(result), "," if fmt == "csv" else "\t")


def _graph_page(ds: Dataset, prepared: Prepared, job: Job, max_rows: int) -> Answer:
    """The result drawn as the offline, escaped vis-network page `kg graph` writes."""
    try:
        result = _run(ds, prepared, job)
        graph = query_graph(ds, result)
    except KGError as exc:
        return error(400, str(exc))
    if graph.number_of_nodes() > max_rows:
        return error(400, f"graph too large: {graph.number_of_nodes()} nodes, the server's cap is {max_rows}")
    return Answer(200, "text/html; charset=utf-8", render_html(graph, "Query result").encode("utf-8"))


def _bindings(ds: Dataset, job: Job) -> dict:
    """A saved question's parameters bound as `kg query NAME --param` binds them (names resolved in ``ds``)."""
    if not job.saved:
        return {}
    return saved_bindings(lookup(job.saved), dict(job.parameters), lambda name: resolve_entity(ds, name))


def answer(ds: Dataset, job: Job, max_rows: int) -> Answer:
    """The full protocol answer for one query request."""
    try:
        bindings = _bindings(ds, job)
    except KGError as exc:
        return error(400, str(exc))
    try:
        prepared = prepare(job.text, bindings)
    except QueryError as exc:  # 403 only for real update text: an empty or comment-only query is a bad request
        return error(403, READ_ONLY) if is_update(job.text) else error(400, str(exc))
    form = prepared.form
    if job.graph_view:
        return _graph_page(ds, prepared, job, max_rows)
    types = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else TABLE_TYPES
    media = choose(job.accept, list(types))
    if media is None:
        return error(406, f"cannot send a {form} result as {job.accept}; acceptable: {', '.join(types)}")
    fmt = types[media]
    if fmt == "json" and form in ("SELECT", "ASK"):
        return _json_table(ds, prepared, job, media, max_rows)
    try:
        result = _run(ds, prepared, job)
    except KGError as exc:
        return error(400, str(exc))
    graph = None
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        graph = result.graph
        assert graph is not None  # rdflib's Result of a CONSTRUCT or DESCRIBE holds its graph
        size, unit = len(graph), "triples"
    else:
        size, unit = (len(result.bindings) if result.type == "SELECT" else 0), "rows"
    if size > max_rows:
        return error(400, f"result too large: {size} {unit}, the server's cap is {max_rows}; add a LIMIT")
    body: str | bytes
    if graph is not None:
        bind_prefixes(graph)
        body = graph.serialize(format=fmt)
    else:
        body = _table_body(result, fmt)
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    return Answer(200, _content_type(media), raw)
