"""Hand-off to an existing SPARQL server: the remote backend, which queries any SPARQL 1.1 Protocol endpoint and
writes graphs through the Graph Store Protocol, and the HTTP client kg.publish.push writes graphs with
(Oxigraph, Jena Fuseki, GraphDB, Virtuoso, QLever).

Only the URLs the user names are contacted. The query is checked here first (kg.engines.safety), so syntax
errors name their position and SERVICE stays refused unless allowed, exactly as on the local engines; FROM
and FROM NAMED must name graphs the server holds. The
whole exchange — connecting, sending, headers and body — keeps one deadline, however slowly the
server sends; the answer is read up to a size cap (``MAX_ANSWER``) and no further; a body the
server cut short after sending 200 (Oxigraph does this when its own time limit strikes
mid-stream) is reported as such, never taken for a short answer.
"""

from __future__ import annotations

import functools
import http.client
import io
import ipaddress
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import URIRef, Variable
from rdflib.query import Result

from kg.engines.backend import ANY, Capabilities, GraphSelection, Quad, Triple
from kg.engines.limits import DEFAULT_TIMEOUT, budget
from kg.engines.oxigraph_worker import GRAPH, TABLE
from kg.engines.results import result_from_bytes
from kg.engines.safety import Prepared, prepare, term_text
from kg.engines.terms import to_ox, to_ox_iri, to_ox_resource
from kg.errors import KGError, QueryError
from kg.vocab.namespaces import PREFIXES

if TYPE_CHECKING:
    import ssl

    from _typeshed import WriteableBuffer

    # What _WithDeadline is mixed into, for the type checker; at run time the mixin derives from object alone.
    _Connection = http.client.HTTPConnection
else:
    _Connection = object

SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
MAX_ANSWER = 256 * 2**20  # bytes: the largest answer read into memory (Endpoint.max_bytes, kg query --max-bytes)


class RemoteError(KGError):
    """The endpoint could not be reached, refused the request, or sent a broken answer."""


class RemoteTimeout(RemoteError):
    """No complete answer within the client's time limit (told apart so callers can report a timeout)."""


def _prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def _check_url(url: str) -> str:
    """``url`` with any non-ASCII character in its path or query percent-encoded (as UTF-8), or a RemoteError
    in one line for anything urllib would refuse with a traceback: no http(s) scheme or host, a bad port, an
    unclosed IPv6 bracket, a host name IDNA cannot encode, spaces or control characters."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError unless the port is a number in 0..65535
        host = parts.hostname
    except ValueError as exc:
        raise RemoteError(f"--endpoint: not a usable URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise RemoteError(f"--endpoint needs an http(s) URL, got {url!r}")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise RemoteError(f"--endpoint: {url!r} contains spaces or control characters (percent-encode them)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_host = ""
        if not _HOST.fullmatch(ascii_host):
            raise RemoteError(f"--endpoint: {host!r} is not a host name or IP address") from None
    rest = urllib.parse.urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return f"{parts.scheme}://{parts.netloc}" + re.sub(r"[^\x00-\x7f]", lambda m: urllib.parse.quote(m[0]), rest)


def _incomplete(url: str, timeout: float) -> RemoteTimeout:
    return RemoteTimeout(f"{url}: no complete answer within {timeout:g} s (raise it with --timeout)")


class _Deadline:
    """One time limit for a whole exchange: connecting, sending, the headers and the body."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        """The seconds that remain; TimeoutError once there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {self.seconds:g} s")
        return left


class _DeadlineReader(io.RawIOBase):
    """The socket's reading side, each receive waiting at most what is left of the deadline.

    A socket timeout alone bounds each wait, not their sum: a server sending one byte of its
    headers every second held the client forever."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline
        self._raw = sock.makefile("rb", buffering=0)  # holds the socket open until this reader is closed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        self._sock.settimeout(self._deadline.left())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """A connected socket as http.client uses it (sendall, makefile, close), every wait bounded by the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.left())  # since Python 3.5 the limit of the whole sendall
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()


class _WithDeadline(_Connection):
    """Connects (and handshakes TLS) within what is left of the deadline, then bounds every later wait by it."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        self.timeout = self._deadline.left()
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _HTTPConnection(_WithDeadline, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_WithDeadline, http.client.HTTPSConnection):
    pass


class _DeadlineHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's HTTP and HTTPS handlers (proxies and redirects as usual) on connections that keep one deadline."""

    _context: ssl.SSLContext | None  # set by HTTPSHandler.__init__, which typeshed does not declare

    def __init__(self, deadline: _Deadline) -> None:
        urllib.request.HTTPSHandler.__init__(self)
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, deadline=self._deadline), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, deadline=self._deadline), req, context=self._context)


def _too_big(url: str, max_bytes: int) -> RemoteError:
    return RemoteError(f"{url}: the answer is larger than {max_bytes:,} bytes (raise the cap with --max-bytes)")


def _read(response: http.client.HTTPResponse, url: str, timeout: float, max_bytes: int) -> bytes:
    """The whole body, at most ``max_bytes`` (each wait bounded by the exchange's deadline); a body that ends
    early is an error, not an answer."""
    if response.length is not None and response.length > max_bytes:
        raise _too_big(url, max_bytes)
    body = bytearray()
    while True:
        try:
            chunk = response.read1(1 << 20)
        except http.client.IncompleteRead as exc:
            raise RemoteError(
                f"{url}: the server cut the result short after answering 200 OK (the stream ended "
                f"{len(exc.partial)} bytes into a chunk); it probably hit its own time limit"
            ) from None
        except TimeoutError:
            raise _incomplete(url, timeout) from None
        if not chunk:
            if response.length:  # Content-Length announced more than arrived
                raise RemoteError(
                    f"{url}: the server cut the result short after answering 200 OK "
                    f"({response.length} announced bytes never arrived)"
                )
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise _too_big(url, max_bytes)


def _first_line(exc: urllib.error.HTTPError) -> str:
    try:
        detail = exc.read(2000).decode("utf-8", "replace").strip().splitlines()
    except OSError:  # the error page itself timed out or broke off
        return ""
    return f": {detail[0][:300]}" if detail else ""


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_ANSWER,
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one HTTP exchange, all of it within ``timeout`` seconds and the body at
    most ``max_bytes``; connection problems become RemoteError."""
    url = _check_url(url)
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(_DeadlineHandler(deadline))
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), _read(response, url, timeout, max_bytes)
    except urllib.error.HTTPError as exc:
        raise RemoteError(f"{url}: the server answered {exc.code} {exc.reason}{_first_line(exc)}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise RemoteTimeout(f"{url}: no answer within {timeout:g} s (raise it with --timeout)") from None
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        raise RemoteError(f"cannot reach {url}: {reason}") from None
    except TimeoutError:
        raise RemoteTimeout(f"{url}: no answer within {timeout:g} s (raise it with --timeout)") from None
    except (OSError, http.client.HTTPException) as exc:
        raise RemoteError(f"{url}: the connection failed: {exc or type(exc).__name__}") from None


def _trailer(body: bytes) -> str:
    """The plain text a server appended after its partial result (Oxigraph writes why it stopped)."""
    found = re.search(r"([A-Za-z][^{}\[\]\"<>]*?)\s*$", body[-300:].decode("utf-8", "replace"))
    return f", ending with {found.group(1)!r}" if found and len(found.group(1)) > 8 else ""


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL 1.1 Protocol query endpoint (e.g. Oxigraph's http://host:7878/query)."""

    url: str
    timeout: float = DEFAULT_TIMEOUT
    default_graphs: tuple[str, ...] = ()
    max_bytes: int = MAX_ANSWER

    def query(self, text: str, bindings: Mapping[str, object] | None = None, *, allow_network: bool = False) -> Result:
        """Run a query remotely and return the finished result as rdflib's Result, like the local engines."""
        prepared = prepare(text, bindings, allow_network=allow_network)
        return RemoteBackend(self).query(prepared, allow_network=allow_network)


class RemoteBackend:
    """A dataset held by a SPARQL server: queried at ``endpoint``, written at the Graph Store ``store`` (if any).

    Like the local engines, the server's default graph is read as the merge of its named graphs (kg.publish.push
    writes it so), and ``add_graph`` adds to both.
    """

    title = "a SPARQL endpoint"
    capabilities = Capabilities(persistent=False, cached=False)

    def __init__(self, endpoint: Endpoint, store: str | None = None) -> None:
        self.endpoint, self.store = endpoint, store

    @property
    def read_only(self) -> bool:
        return self.store is None

    def query(
        self,
        prepared: Prepared,
        *,
        graphs: GraphSelection | None = None,
        timeout: float | None = None,
        memory_limit: int | None = None,
        allow_network: bool = False,
    ) -> Result:
        """The server's answer, within the endpoint's time limit (or ``timeout``, or what remains of the command's).
        Only the answer's size is capped here (``Endpoint.max_bytes``): ``memory_limit`` is the server's business.
        A parameter the query projects cannot be bound: the server would need substitutions."""
        if prepared.bindings:
            raise QueryError("a parameter the query also returns cannot be bound on a remote endpoint")
        seconds = min(t for t in (budget(timeout), self.endpoint.timeout) if t is not None)
        if graphs is None and self.endpoint.default_graphs:
            graphs = GraphSelection(tuple(URIRef(g) for g in self.endpoint.default_graphs))
        selection = GraphSelection.chosen(prepared, graphs)
        if selection is not None:
            selection.require(lambda iris: self._present(iris, seconds))
        params = [] if graphs is None else [("default-graph-uri", str(g)) for g in graphs.default]
        params += [] if graphs is None else [("named-graph-uri", str(g)) for g in graphs.named]
        return self._ask(prepared.text, prepared.form, params, seconds)

    def _present(self, iris: list[URIRef], seconds: float) -> set[URIRef]:
        values = " ".join(term_text(i) for i in iris)
        text = f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
        found = (row[Variable("g")] for row in self._ask(text, "SELECT", [], seconds).bindings)
        return {g for g in found if isinstance(g, URIRef)}

    def _ask(self, text: str, form: str, params: list[tuple[str, str]], seconds: float) -> Result:
        url = self.endpoint.url
        target = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params) if params else url
        accept = GRAPH_TYPE if form in ("CONSTRUCT", "DESCRIBE") else SELECT_TYPE
        _, ctype, body = request(
            target,
            method="POST",
            body=(_prologue() + text).encode("utf-8"),
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
            timeout=seconds,
            max_bytes=self.endpoint.max_bytes,
        )
        media = ctype.split(";")[0].strip().lower()
        if accept == SELECT_TYPE and media not in (SELECT_TYPE, "application/json"):
            raise RemoteError(f"{url}: expected SPARQL JSON results, got {media or 'no content type'}")
        try:
            return result_from_bytes(body, TABLE if accept == SELECT_TYPE else GRAPH)
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            kind = "JSON" if accept == SELECT_TYPE else "N-Triples"
            raise RemoteError(
                f"{url}: the server answered 200 OK but the result is cut short or broken: {len(body)} bytes "
                f"that are not complete {kind}{_trailer(body)} ({str(exc).splitlines()[0][:160]})"
            ) from None

    def quads(self, pattern: Quad = ANY) -> Iterator[Quad]:
        names = ("?s", "?p", "?o", "?g")
        written = [name if term is None else term_text(term) for name, term in zip(names, pattern, strict=True)]
        text = f"SELECT * WHERE {{ GRAPH {written[3]} {{ {written[0]} {written[1]} {written[2]} }} }}"
        for row in self._ask(text, "SELECT", [], self.endpoint.timeout).bindings:
            s, p, o, g = (
                term if term is not None else row[Variable(name[1:])] for name, term in zip(names, pattern, strict=True)
            )
            yield s, p, o, g

    def add_graph(self, name: URIRef, triples: Iterable[Triple]) -> None:
        """POST the triples to the graph and to the default graph (Graph Store Protocol: POST adds)."""
        if self.store is None:
            raise QueryError(f"{self.endpoint.url}: a query endpoint is read-only; name its Graph Store to write")
        body = ox.serialize(
            (ox.Triple(to_ox_resource(s), to_ox_iri(p), to_ox(o)) for s, p, o in triples), format=ox.RdfFormat.N_TRIPLES
        )
        for graph in (urllib.parse.urlencode({"graph": str(name)}), "default"):
            request(
                self.store + ("&" if "?" in self.store else "?") + graph,
                method="POST",
                body=body,
                headers={"Content-Type": GRAPH_TYPE},
                timeout=self.endpoint.timeout,
            )
