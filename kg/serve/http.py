"""The SPARQL 1.1 Protocol over HTTP (the standard library's ThreadingHTTPServer): read-only, CORS for reads,
request and result caps; the queries themselves run in a kg.serve.pool.QueryPool.

Any page a user visits can send requests to a local server, so the server faces hostile browsers:

- DNS rebinding: a request is answered only when its Host names this server (the bound address or a
  loopback name, any name the operator allowed with ``allowed_hosts``); else 421, or 400 when malformed.
- Framing: one Content-Length of ASCII digits, no Transfer-Encoding (411), else 400, so that no two
  parsers read different requests out of one connection.
- Slow or idle clients: a request must arrive within ``request_deadline`` seconds of its first byte and
  a connection may wait ``idle_timeout`` seconds for its next request; at most ``max_connections`` are
  open at once (503 beyond), and the listen backlog absorbs bursts of connections without resets.
- Errors: clients get one line of text; unexpected errors are logged with their traceback ("kg.serve"),
  and the access log escapes whatever a client wrote.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import io
import ipaddress
import json
import logging
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.errors import QueryError
from kg.query.saved import find_saved, require_known_parameters
from kg.serve.negotiation import choose
from kg.serve.pool import PoolFailed, QueryPool
from kg.serve.protocol import GRAPH_TYPES, READ_ONLY, Answer, Job, error
from kg.serve.workbench import (
    ASSETS,
    GRAPH_POLICY,
    MAX_LABELS,
    PAGE_POLICY,
    examples_json,
    labels_json,
    labels_query,
    writable,
)
from kg.site.paths import is_site_path

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger("kg.serve")

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
MAX_BODY = 1_000_000
REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last (line, headers and body)
IDLE_TIMEOUT = 5.0  # seconds a connection may wait for its next request (or go silent within one)
WRITE_TIMEOUT = 30.0  # seconds a client may take to read an answer
MAX_CONNECTIONS = 256
LINGER = 0.5  # seconds a turned-away connection stays open for its request to arrive (and be discarded)
MAX_LINGERING = 1024
BACKLOG = 1024  # connections the kernel queues before the listener accepts them (Linux caps it at somaxconn)
LOOPBACK = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("", "0.0.0.0", "::")
_FORM = "application/x-www-form-urlencoded"
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV")
_GRAPH_FORMATS = ("Turtle", "N-Triples", "JSON-LD", "RDF_XML")
#: Answers that name the server's files (the health report): no CORS header, so other sites' pages cannot read them.
_PRIVATE_PATHS = frozenset({"/health"})
_HOST = re.compile(r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))(?::(?P<port>[0-9]{1,5}))?")
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit, which also takes "²" and other Unicode digits
_BUSY_BODY = b"server busy: too many open connections; try again shortly\n"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


def escape(text: str) -> str:
    """``text`` as printable ASCII for a log line: control characters, non-ASCII and quotes escaped
    (``\\x1b``, ``\\u2028``, ``\\"``), so that a client cannot forge log lines or drive the terminal."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def parse_host(value: str) -> tuple[str, int | None]:
    """A Host header (or an allowed host) as (host, port or None), comparable as written by anyone: names
    lower-case without a final dot, IPv6 addresses in brackets and compressed. ValueError when malformed."""
    match = _HOST.fullmatch(value)
    if match is None:
        raise ValueError(f"not a host name or address: {value!r}")
    port = int(match["port"]) if match["port"] else None
    if port is not None and port > 65535:
        raise ValueError(f"not a port: {port}")
    if match["ip6"]:
        return f"[{ipaddress.IPv6Address(match['ip6']).compressed}]", port
    name = match["name"].lower()
    name = name[:-1] if name.endswith(".") else name
    if not name or name.endswith("."):
        raise ValueError(f"not a host name: {value!r}")
    return name, port


def _host_names(addresses: Iterable[str]) -> set[str]:
    """The bound addresses as a Host header names them; a wildcard (0.0.0.0) names nothing, and a name no Host
    header could spell (the resolver takes more than HTTP does) is left out."""
    names = set()
    for address in addresses:
        if address not in _WILDCARDS:
            with contextlib.suppress(ValueError):
                names.add(parse_host(f"[{address}]" if ":" in address else address)[0])
    return names


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


class HostPolicy:
    """Which Host headers name this server: DNS-rebinding protection.

    A page of evil.example whose name the attacker re-points at 127.0.0.1 reaches the server as the same
    origin, but its requests still say ``Host: evil.example``. So only loopback names and the bound
    address (with this server's port or none) pass, plus the names the operator allows: ``NAME`` (any
    port, as behind a reverse proxy) or ``NAME:PORT``.
    """

    def __init__(self, bound: Iterable[str], port: int, allowed: Iterable[tuple[str, int | None]] = ()) -> None:
        self._pinned = {(name, port) for name in _host_names((*LOOPBACK, *bound))}
        self._pinned |= {(name, p) for name, p in allowed if p is not None}
        self._any_port = {name for name, p in allowed if p is None}
        self._names = {name for name, _ in self._pinned} | self._any_port

    def refusal(self, values: list[str], version: str) -> tuple[int, str] | None:
        """Why a request with these Host headers is refused (status, message), or None when it is ours."""
        if not values:
            return (400, "a Host header is required") if version >= "HTTP/1.1" else None
        if len(values) > 1:
            return 400, "more than one Host header"
        try:
            name, port = parse_host(values[0].strip(" \t"))
        except ValueError:
            return 400, "malformed Host header"
        if name in self._any_port or (name, port) in self._pinned or (port is None and name in self._names):
            return None
        return 421, "this server does not answer for that Host (DNS rebinding protection; see kg serve --allow-host)"


class _DeadlineReader(io.RawIOBase):
    """A connection's input with an overall deadline per request: its first byte must come within ``idle``
    seconds, the rest within ``total`` seconds of it (and no gap may exceed ``idle``).

    Why not a socket timeout alone: it bounds each read, so a client sending a byte a second
    (slowloris) would hold its thread forever.
    """

    def __init__(self, sock: socket.socket, idle: float, total: float, write_timeout: float) -> None:
        self.sock, self.idle, self.total, self.write_timeout = sock, idle, total, write_timeout
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def next_request(self) -> None:
        self.deadline = None

    def readinto(self, buffer: WriteableBuffer) -> int:
        wait = self.idle if self.deadline is None else min(self.idle, self.deadline - time.monotonic())
        if wait <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.sock.settimeout(wait)
        try:
            count = self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(self.write_timeout)  # answers have their own, longer limit
        if self.deadline is None:
            self.deadline = time.monotonic() + self.total
        return count


class SparqlServer(ThreadingHTTPServer):
    """Serves /sparql from a QueryPool; one thread per connection, so a slow query never blocks the listener."""

    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        pool: QueryPool,
        max_body: int = MAX_BODY,
        log: bool = False,
        *,
        allowed_hosts: Iterable[str] = (),
        request_deadline: float = REQUEST_DEADLINE,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        allowed = [parse_host(h) for h in allowed_hosts]  # before binding: a bad name must not leak a socket
        self._open = 0
        self._open_lock = threading.Lock()
        self._lingering: deque[tuple[float, socket.socket]] = deque()
        super().__init__(address, SparqlHandler)
        self.pool, self.max_body, self.log = pool, max_body, log
        bound_host, bound_port = self._bound()
        self.hosts = HostPolicy((address[0], bound_host), bound_port, allowed)
        self.request_deadline, self.idle_timeout, self.max_connections = request_deadline, idle_timeout, max_connections

    def _bound(self) -> tuple[str, int]:
        """The host and port the socket is bound to (an IP socket's host is a str; typeshed allows bytes too)."""
        host, port = self.server_address[:2]
        assert isinstance(host, str)
        return host, port

    @property
    def url(self) -> str:
        host, port = self._bound()
        return f"http://{_url_host(host)}:{port}/sparql"

    @property
    def workbench_url(self) -> str:
        """The page a person opens: on a wildcard bind, at loopback (the Host check refuses 0.0.0.0 and ::)."""
        host, port = self._bound()
        loopback = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"http://{_url_host(loopback)}:{port}/"

    def service_actions(self) -> None:
        """Between requests (serve_forever's loop): close the turned-away connections whose time is up, and once
        the pool has given up, stop, so that the process exits and its supervisor restarts it."""
        super().service_actions()
        self._close_lingering()
        if self.pool.failure is not None:
            raise PoolFailed(self.pool.failure)

    # A TCP server's request is its socket; typeshed's type also allows a datagram server's (data, socket).
    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        with self._open_lock:
            admitted = self._open < self.max_connections
            self._open += admitted
        if not admitted:
            self._turn_away(request, client_address)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._closed_one()
            raise

    # A TCP server's request is its socket (see process_request).
    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._closed_one()

    def _closed_one(self) -> None:
        with self._open_lock:
            self._open -= 1

    def _turn_away(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """503 from the listening thread, without a thread of its own (those are what the cap bounds). The
        socket is closed a moment later (``_close_lingering``), once the request has arrived and been read:
        closing it with the request unread would reset the connection before the client read the answer."""
        request.setblocking(False)
        with contextlib.suppress(OSError):
            request.sendall(_BUSY)
            request.shutdown(socket.SHUT_WR)
        self._lingering.append((time.monotonic() + LINGER, request))
        if self.log:
            sys.stderr.write(f"{client_address[0]} - refused: {self.max_connections} connections open - 503\n")

    def _close_lingering(self, everything: bool = False) -> None:
        now = time.monotonic()
        while self._lingering and (everything or self._lingering[0][0] <= now or len(self._lingering) > MAX_LINGERING):
            _, sock = self._lingering.popleft()
            with contextlib.suppress(OSError):
                sock.recv(65536)
            sock.close()

    def server_close(self) -> None:
        super().server_close()
        self._close_lingering(everything=True)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """An error outside a request's answer, e.g. a client gone mid-reply: logged, never printed raw."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.info("connection from %s ended: %s", client_address[0], exc)
        else:
            log.exception("error on the connection from %s", client_address[0])

    def service_description(self) -> Graph:
        """What the endpoint offers, in the W3C SPARQL Service Description vocabulary."""
        g = Graph()
        g.bind("sd", SD)
        g.bind("formats", FORMATS)
        service, dataset, default = BNode(), BNode(), BNode()
        g.add((service, RDF.type, SD.Service))
        g.add((service, SD.endpoint, URIRef(self.url)))
        g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
        for name in _RESULT_FORMATS + _GRAPH_FORMATS:
            g.add((service, SD.resultFormat, FORMATS[name]))
        g.add((service, SD.defaultDataset, dataset))
        g.add((dataset, RDF.type, SD.Dataset))
        g.add((dataset, SD.defaultGraph, default))
        g.add((default, RDF.type, SD.Graph))
        for iri in self.pool.graphs:
            named = BNode()
            g.add((dataset, SD.namedGraph, named))
            g.add((named, RDF.type, SD.NamedGraph))
            g.add((named, SD.name, URIRef(iri)))
        return g


@functools.lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


class SparqlHandler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    timeout = WRITE_TIMEOUT
    # An answer leaves in two writes (head, body): with Nagle's algorithm the body waits for the client's delayed
    # ACK of the head, about 40 ms on Linux, which capped a keep-alive client at ~25 answers a second.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header, formatted once a second rather than for every answer (the standard library's
        formatting was a tenth of the server's own time per request under load)."""
        return _http_date(int(time.time() if timestamp is None else timestamp))

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log:
            safe = tuple(escape(a) if isinstance(a, str) else a for a in args)
            sys.stderr.write(f"{self.address_string()} - {format % safe}\n")

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self._input = _DeadlineReader(
            self.connection, self.server.idle_timeout, self.server.request_deadline, self.timeout
        )
        self.rfile = io.BufferedReader(self._input)

    def handle_one_request(self) -> None:
        self._input.next_request()
        self._expects_continue = False
        self.body_length: int | None = None
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        """Defer "100 Continue" until the request is checked: a refused request gets its final answer at once."""
        self._expects_continue = True
        return True

    def parse_request(self) -> bool:
        """The standard parse, then the checks every request must pass before it is dispatched."""
        if not super().parse_request():
            return False
        refusal = self._refusal()
        if refusal is None:
            return True
        self._send(error(*refusal))
        return False

    def _refusal(self) -> tuple[int, str] | None:
        host = self.server.hosts.refusal(self.headers.get_all("Host") or [], self.request_version)
        if host is not None:
            self.log_message("Host %s refused", "; ".join(self.headers.get_all("Host") or ["(none)"]))
            return host
        if not self.path.startswith("/") and not (self.command == "OPTIONS" and self.path == "*"):
            return 400, "the request target must be a path such as /sparql"
        return self._framing()

    def _framing(self) -> tuple[int, str] | None:
        """One unambiguous body length, or a refusal (HTTP request smuggling needs two parsers to disagree)."""
        chunked = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if chunked and lengths:
            return 400, "both Transfer-Encoding and Content-Length: the body's length is ambiguous"
        if chunked:
            return 411, "chunked request bodies are not accepted: send a Content-Length"
        if len(lengths) > 1:
            return 400, "more than one Content-Length header"
        if lengths:
            value = lengths[0].strip(" \t")  # optional whitespace around a field value is part of HTTP's syntax
            if not _DIGITS.fullmatch(value):
                return 400, "Content-Length must be a number of bytes (ASCII digits)"
            self.body_length = int(value) if len(value) <= 15 else sys.maxsize
            if self.body_length and self.command != "POST":
                self.close_connection = True  # the body is never read: it must not be taken for the next request
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (malformed request line, headers too long, unknown method), as
        one line of text like every other answer."""
        self._send(error(code, message or HTTPStatus(code).phrase))

    def _send(self, reply: Answer) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if urlsplit(getattr(self, "path", "")).path not in _PRIVATE_PATHS:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status >= 400 or self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def do_OPTIONS(self) -> None:
        """CORS preflight: reads (GET, POST of a query) from any origin."""
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Accept, Content-Type")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._safely(self._get)

    def do_POST(self) -> None:
        self._safely(self._post)

    def do_HEAD(self) -> None:
        """As GET, without the body (_send leaves it out): Linked Data clients and link checkers ask this way."""
        self._safely(self._get)

    def _safely(self, handle: Callable[[], Answer]) -> None:
        try:
            reply = handle()
        except TimeoutError:
            reply = error(408, "request timeout: the request body did not arrive in time")
        except UnicodeDecodeError:
            reply = error(400, "the request is not valid UTF-8")
        except Exception:  # a short message to the client; the traceback goes to the server's log
            log.exception("internal error answering %s", escape(self.requestline))
            reply = error(500, "internal error: the server could not answer this request (see its log)")
        self._send(reply)

    def _get(self) -> Answer:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        if parts.path in ASSETS:
            kind, text = ASSETS[parts.path]
            return Answer(200, kind, text.encode("utf-8"), {"Content-Security-Policy": PAGE_POLICY})
        if parts.path == "/examples.json":
            return Answer(200, "application/json", examples_json().encode("utf-8"))
        if parts.path == "/health":
            return self._health()
        if parts.path == "/graph":
            if len(params.get("query", ())) != 1:
                return error(400, "exactly one 'query' parameter, please")
            reply = self.server.pool.run(Job(params["query"][0], graph_view=True))
            return Answer(reply.status, reply.content_type, reply.body, {"Content-Security-Policy": GRAPH_POLICY})
        if parts.path.startswith("/saved/"):
            return self._saved(parts.path.removeprefix("/saved/"), params)
        if is_site_path(parts.path):
            return self.server.pool.run(Job("", self.headers.get("Accept"), path=parts.path))
        if parts.path != "/sparql":
            return error(404, f"not found: {parts.path}; the endpoint is /sparql, the graph's pages are at /index.html")
        if "update" in params:
            return error(403, READ_ONLY)
        if "query" not in params:
            return self._describe()
        return self._query(params)

    def _health(self) -> Answer:
        """200 while at least one query worker is ready, else 503 and why (for supervisors and load balancers)."""
        ready, report = self.server.pool.health()
        body = (json.dumps(report) + "\n").encode("utf-8")
        return Answer(200 if ready else 503, "application/json", body, {"Cache-Control": "no-store"})

    def _saved(self, rest: str, params: dict[str, list[str]]) -> Answer:
        """GET /saved/NAME?PARAM=VALUE…: a saved question with its parameters bound by kg (never spliced as text
        by the page), answered like /sparql (format by Accept); /saved/NAME/graph draws the answer."""
        name, _, view = rest.partition("/")
        saved = find_saved(name) if not name.endswith(".rq") else None
        if saved is None or view not in ("", "graph"):
            return error(404, "no such saved question; /examples.json lists them")
        if any(len(values) != 1 for values in params.values()):
            return error(400, "one value per parameter, please")
        try:
            require_known_parameters(saved, list(params))
        except QueryError as exc:
            return error(400, str(exc))
        values = tuple((k, v[0]) for k, v in sorted(params.items()) if v[0] != "")  # empty: the default
        job = Job(saved.text, self.headers.get("Accept"), saved=saved.name, parameters=values)
        if view == "graph":
            reply = self.server.pool.run(replace(job, graph_view=True))
            return Answer(reply.status, reply.content_type, reply.body, {"Content-Security-Policy": GRAPH_POLICY})
        return self.server.pool.run(job)

    def _checked_body(self) -> str | Answer:
        """A POST's body as text, or the refusal when its length is missing, over the cap or not all sent."""
        if self.body_length is None:
            return error(411, "a POST needs a Content-Length")
        if self.body_length > self.server.max_body:
            return error(413, f"request body too large: {self.body_length} bytes, the cap is {self.server.max_body}")
        raw = self._body()
        if raw is None:
            return error(400, "the request body ended before its Content-Length")
        return raw.decode("utf-8")

    def _labels(self) -> Answer:
        """POST /labels with form fields iri=…: a JSON object IRI -> display name, for the workbench's table.
        Read-only like every query here; the IRIs are written into the query as checked terms."""
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind != _FORM:
            return error(415, f"send the IRIs as {_FORM} fields named 'iri'")
        body = self._checked_body()
        if isinstance(body, Answer):
            return body
        fields = parse_qs(body, keep_blank_values=True, errors="strict")
        if set(fields) - {"iri"}:
            return error(400, "only 'iri' fields, please")
        iris = list(dict.fromkeys(fields.get("iri", [])))
        if len(iris) > MAX_LABELS:
            return error(400, f"at most {MAX_LABELS} IRIs per request, got {len(iris)}")
        named = writable(iris)
        if not named:
            return Answer(200, "application/json", b"{}")
        reply = self.server.pool.run(Job(labels_query(named), "application/sparql-results+json"))
        if reply.status != 200:
            return reply
        return Answer(200, "application/json", labels_json(named, reply.body))

    def _post(self) -> Answer:
        parts = urlsplit(self.path)
        if parts.path == "/labels":
            return self._labels()
        if parts.path != "/sparql":
            return error(404, f"not found: {parts.path}; the endpoint is /sparql")
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind == "application/sparql-update":
            return error(403, READ_ONLY)
        body = self._checked_body()
        if isinstance(body, Answer):
            return body
        params = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        if kind == _FORM:
            params.update(parse_qs(body, keep_blank_values=True, errors="strict"))
            if "update" in params:
                return error(403, READ_ONLY)
        elif kind == "application/sparql-query":
            if "query" in params:
                return error(400, "send the query either in the body or as ?query=, not both")
            params["query"] = [body]
        else:
            return error(415, f"unsupported Content-Type {kind or '(none)'}; use {_FORM} or application/sparql-query")
        if "query" not in params:
            return error(400, "no query: send it as the 'query' form field")
        return self._query(params)

    def _body(self) -> bytes | None:
        """The request body (None if the client stopped sending early); "100 Continue" first if it waits for it."""
        if self._expects_continue:
            self.send_response_only(HTTPStatus.CONTINUE)
            self.end_headers()
        length = self.body_length or 0
        data = self.rfile.read(length)
        return data if len(data) == length else None

    def _query(self, params: dict[str, list[str]]) -> Answer:
        if len(params["query"]) != 1:
            return error(400, "exactly one 'query' parameter, please")
        job = Job(
            params["query"][0],
            self.headers.get("Accept"),
            tuple(params.get("default-graph-uri", ())),
            tuple(params.get("named-graph-uri", ())),
        )
        return self.server.pool.run(job)

    def _describe(self) -> Answer:
        media = choose(self.headers.get("Accept"), list(GRAPH_TYPES))
        if media is None:
            return error(406, f"the service description is available as {', '.join(GRAPH_TYPES)}")
        body = self.server.service_description().serialize(format=GRAPH_TYPES[media])
        return Answer(200, f"{media}; charset=utf-8" if media.startswith("text/") else media, body.encode("utf-8"))
