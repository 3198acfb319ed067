"""Hand-off to an existing SPARQL server: the remote backend, which queries any SPARQL 1.1 Protocol endpoint and
writes graphs through the Graph Store Protocol, and the HTTP client kg.publish.push writes graphs with
(Oxigraph, Jena Fuseki, GraphDB, Virtuoso, QLever), logging in where a Graph Store asks (``Login``).

Only the URLs the user names are contacted. The query is checked here first (kg.engines.safety), so syntax
errors name their position and SERVICE stays refused unless allowed, exactly as on the local engines; FROM
and FROM NAMED must name graphs the server holds. The
whole exchange — connecting, sending, headers and body — keeps one deadline, however slowly the
server sends; the answer is read up to a size cap (``MAX_ANSWER``) and no further; a body the
server cut short after sending 200 (Oxigraph does this when its own time limit strikes
mid-stream) is reported as such, never taken for a short answer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import io
import ipaddress
import netrc
import os
import re
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    from email.message import Message

    from _typeshed import WriteableBuffer

    # What _WithDeadline is mixed into, for the type checker; at run time the mixin derives from object alone.
    _Connection = http.client.HTTPConnection
else:
    _Connection = object

SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
DATASET_TYPE = "application/n-quads"
PASSWORD_VARIABLE = "KG_ENDPOINT_PASSWORD"  # where `kg push --user` takes the password from, before ~/.netrc
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
    unclosed IPv6 bracket, a host name IDNA cannot encode, spaces or control characters. A user name or password
    in the URL is refused before anything else, so that no message repeats it."""
    authority = re.split(r"[/?#]", url.partition(":")[2].lstrip("/\\"), maxsplit=1)[0]
    if "@" in authority:
        raise RemoteError(
            "--endpoint: put no user name or password in the URL (it would show in the process list and the "
            f"shell's history); kg push takes --user NAME, with the password in {PASSWORD_VARIABLE} or ~/.netrc"
        )
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

    def restart(self) -> None:
        """The whole limit again, for the next exchange on a kept-alive connection."""
        self._end = time.monotonic() + self.seconds

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
    """The start of the server's explanation; an HTML error page (Virtuoso's) read as its text."""
    try:
        detail = exc.read(4000).decode("utf-8", "replace").strip()
    except OSError:  # the error page itself timed out or broke off
        return ""
    if detail.startswith("<"):
        detail = " ".join(re.sub(r"<!DOCTYPE[^>]*>|<[^>]*>", " ", detail).split())
    lines = detail.splitlines()
    return f": {lines[0][:300]}" if lines else ""


def _refuse_partial(response: http.client.HTTPResponse, url: str) -> None:
    """Virtuoso answers 200 with whatever it found when its own time limit strikes (an "anytime query"), saying so
    only in a header: such an answer is an error, never taken for the whole one."""
    state = response.headers.get("X-SQL-State")
    if state:
        why = " ".join(str(response.headers.get("X-SQL-Message", "")).split())[:200]
        raise RemoteError(
            f"{url}: the server answered 200 OK but marked the result incomplete ({state}: {why}); it probably "
            "hit its own time limit (Virtuoso's MaxQueryExecutionTime)"
        )


# --- logging in: HTTP Digest (Virtuoso's Graph Store), or Basic where the password cannot be overheard ----------

_CHALLENGE_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')
_DIGESTS = {"MD5": "md5", "SHA-256": "sha256"}


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    """The scheme (lower case) and parameters of one WWW-Authenticate challenge."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for match in _CHALLENGE_PARAM.finditer(rest):
        value = match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[match.group(1).lower()] = value
    return scheme.lower(), params


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_user(user: str) -> None:
    """A name that goes into a header as it is: quotes, backslashes and control characters would change it (and a
    colon would split a Basic login)."""
    if not user or any(c in '"\\:' or not c.isprintable() for c in user):
        raise RemoteError(f"--user: {user!r} is not a user name (no quotes, backslashes, colons or control characters)")


class Login:
    """A user name and password for a server that asks for them (Virtuoso's /sparql-graph-crud-auth asks with HTTP
    Digest). The password is held here only: never in a URL, a message, a log line or this object's repr.

    Once a challenge is known every request carries its answer, so a large body is sent once: a server that
    is asked without one refuses it midway (Virtuoso closes the connection). Basic sends the password itself,
    so it is answered only over HTTPS or to this machine."""

    def __init__(self, user: str, password: str) -> None:
        _check_user(user)
        self.user = user
        self._password = password
        self._scheme = ""
        self._params: dict[str, str] = {}
        self._count = 0

    def __repr__(self) -> str:
        return f"Login(user={self.user!r})"

    def learn(self, headers: Message, url: str) -> None:
        """Take the server's challenge from a 401's WWW-Authenticate headers; RemoteError if none can be answered."""
        offered = dict(_challenge(h) for h in headers.get_all("WWW-Authenticate") or [])
        if "digest" in offered:
            params = offered["digest"]
            qops = {q.strip() for q in params.get("qop", "auth").split(",")}
            algorithm = params.get("algorithm", "MD5").upper()
            if "auth" not in qops or algorithm not in _DIGESTS or "nonce" not in params or "realm" not in params:
                raise RemoteError(f"{url}: the server asks for a Digest login kg cannot answer ({algorithm}, {qops})")
            if any(not v.isprintable() for v in params.values()):
                raise RemoteError(f"{url}: the server's login challenge holds control characters")
            self._scheme, self._params, self._count = "digest", params, 0
        elif "basic" in offered:
            if urllib.parse.urlsplit(url).scheme != "https" and not _loopback(url):
                raise RemoteError(
                    f"{url}: the server asks for a Basic login, which would send the password readable "
                    "over plain HTTP; use its https:// URL"
                )
            self._scheme = "basic"
        else:
            raise RemoteError(
                f"{url}: the server asks for a login kg cannot give ({', '.join(offered) or 'no scheme'})"
            )

    def authorization(self, method: str, url: str) -> str | None:
        """The Authorization header for one request, once a challenge is known."""
        if self._scheme == "basic":
            return "Basic " + base64.b64encode(f"{self.user}:{self._password}".encode()).decode("ascii")
        if self._scheme != "digest":
            return None
        parts = urllib.parse.urlsplit(url)
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        params, algorithm = self._params, self._params.get("algorithm", "MD5").upper()

        def digest(text: str) -> str:
            return hashlib.new(_DIGESTS[algorithm], text.encode("utf-8"), usedforsecurity=False).hexdigest()

        self._count += 1
        count, cnonce = f"{self._count:08x}", secrets.token_hex(8)
        secret = digest(f"{self.user}:{params['realm']}:{self._password}")
        answer = digest(f"{secret}:{params['nonce']}:{count}:{cnonce}:auth:{digest(f'{method}:{uri}')}")
        fields = [
            f"{k}={_quoted(v)}"
            for k, v in (
                ("username", self.user),
                ("realm", params["realm"]),
                ("nonce", params["nonce"]),
                ("uri", uri),
                ("response", answer),
            )
        ]
        fields += [f"algorithm={algorithm}", "qop=auth", f"nc={count}", f"cnonce={_quoted(cnonce)}"]
        fields += [f"opaque={_quoted(params['opaque'])}"] if "opaque" in params else []
        return "Digest " + ", ".join(fields)


def find_login(url: str, user: str) -> Login:
    """``user``'s login at ``url``: the password from $KG_ENDPOINT_PASSWORD, else from ~/.netrc's entry for the host
    with that login. Never from the command line, where every user of the machine could read it."""
    host = urllib.parse.urlsplit(_check_url(url)).hostname or ""
    _check_user(user)
    password = os.environ.get(PASSWORD_VARIABLE) or _netrc_password(host, user)
    if not password:
        raise RemoteError(
            f"no password for {user!r} at {host}: set {PASSWORD_VARIABLE}, or add "
            f"'machine {host} login {user} password …' to ~/.netrc (readable by you only)"
        )
    return Login(user, password)


def _netrc_password(host: str, user: str) -> str | None:
    try:
        entry = netrc.netrc().authenticators(host)
    except FileNotFoundError:
        return None
    except netrc.NetrcParseError as exc:  # its message may quote a token of the file, which may be a password
        why = exc.msg if exc.msg.startswith("~/.netrc") else f"line {exc.lineno} is not netrc syntax"
        raise RemoteError(f"~/.netrc cannot be used: {why}") from None
    except OSError as exc:
        raise RemoteError(f"~/.netrc cannot be read: {exc.strerror or exc}") from None
    return entry[2] if entry and entry[0] == user else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """With a login, a redirect is an error: urllib would carry the Authorization header to the new address."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        return None


def _open(
    url: str,
    method: str,
    body: bytes | Iterable[bytes] | None,
    headers: Mapping[str, str],
    login: Login | None,
    deadline: _Deadline,
) -> http.client.HTTPResponse:
    """urllib's answer to one request on a deadline-bound connection, with the login's answer to the last
    challenge; redirects are refused when there is a login (urllib would carry it to the new address)."""
    handlers: list[urllib.request.BaseHandler] = [_DeadlineHandler(deadline)]
    sent = dict(headers)
    if login is not None:
        handlers.append(_NoRedirect())
        answer = login.authorization(method, url)
        sent |= {"Authorization": answer} if answer else {}
    req = urllib.request.Request(url, data=body, method=method, headers=sent)
    return urllib.request.build_opener(*handlers).open(req, timeout=deadline.seconds)


def _failed(exc: OSError | http.client.HTTPException, url: str, timeout: float, sending: bool) -> RemoteError:
    """A connection problem as one line."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return RemoteTimeout(f"{url}: no answer within {timeout:g} s (raise it with --timeout)")
    if sending and isinstance(reason, (BrokenPipeError, ConnectionResetError)):
        return RemoteError(f"{url}: the server closed the connection before taking the whole request")
    if isinstance(exc, urllib.error.URLError):
        return RemoteError(f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}")
    return RemoteError(f"{url}: the connection failed: {exc or type(exc).__name__}")


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_ANSWER,
    login: Login | None = None,
    missing_ok: bool = False,
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one HTTP exchange, all of it within ``timeout`` seconds and the body at
    most ``max_bytes``; connection problems become RemoteError, and so does an error status (a 404 is returned
    when ``missing_ok``). A body that is not bytes is sent chunked as it is produced. With a ``login``, a 401
    whose fresh challenge can be answered is tried once more (bytes bodies: an iterator is spent)."""
    url = _check_url(url)
    deadline = _Deadline(timeout)
    for attempt in (1, 2):
        try:
            with _open(url, method, body, headers or {}, login, deadline) as response:
                _refuse_partial(response, url)
                return (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    _read(response, url, timeout, max_bytes),
                )
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return 404, "", b""
            if exc.code == 401 and login is not None and attempt == 1 and isinstance(body, (bytes, type(None))):
                login.learn(exc.headers, url)
                continue
            refused = f" (the login of {login.user!r} was refused)" if exc.code == 401 and login else ""
            raise RemoteError(
                f"{url}: the server answered {exc.code} {exc.reason}{refused}{_first_line(exc)}"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _failed(exc, url, timeout, body is not None) from None
    raise AssertionError("unreachable: the second attempt returns or raises")


def probe(url: str, *, login: Login | None = None, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The server's Server header ('' if none) from a HEAD of ``url``, whatever its status. A login challenge in the
    answer is learnt by ``login`` and the login tried on a second HEAD, so that a refused login is told before any
    body is sent (a server refusing one midway just closes the connection); without a login it is an error."""
    url = _check_url(url)
    for attempt in (1, 2):
        try:
            with _open(url, "HEAD", None, {}, login, _Deadline(timeout)) as response:
                return str(response.headers.get("Server", ""))
        except urllib.error.HTTPError as exc:
            if exc.code != 401:
                return str(exc.headers.get("Server", ""))
            if login is None:
                raise RemoteError(
                    f"{url}: the server asks for a login: give --user NAME, with the password in "
                    f"{PASSWORD_VARIABLE} or ~/.netrc"
                ) from None
            if attempt == 2:
                raise RemoteError(f"{url}: the server refused the login of {login.user!r} (401 Unauthorized)") from None
            login.learn(exc.headers, url)
        except (OSError, http.client.HTTPException) as exc:
            raise _failed(exc, url, timeout, False) from None
    raise AssertionError("unreachable: the second attempt returns or raises")


def delete_each(urls: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, login: Login | None = None) -> None:
    """DELETE every URL (all on one server; a 404 is no error), each within ``timeout``, over one kept-alive
    connection: 4,000 graphs then take under a second instead of several with a connection each. Where a proxy
    applies, one request each through urllib, as everywhere else."""
    checked = [_check_url(url) for url in urls]
    if not checked:
        return
    parts = urllib.parse.urlsplit(checked[0])
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(parts.hostname or ""):
        for url in checked:
            request(url, method="DELETE", timeout=timeout, login=login, missing_ok=True)
        return
    deadline = _Deadline(timeout)
    kind = _HTTPSConnection if parts.scheme == "https" else _HTTPConnection
    connection = kind(parts.hostname or "", parts.port, deadline=deadline)
    try:
        for url in checked:
            _delete(connection, url, deadline, login)
    finally:
        connection.close()


def _delete(connection: http.client.HTTPConnection, url: str, deadline: _Deadline, login: Login | None) -> None:
    """One DELETE on a kept-alive connection, tried again once if the server had closed it or asks for a login."""
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):
        deadline.restart()
        answer = None if login is None else login.authorization("DELETE", url)
        try:
            connection.request("DELETE", target, headers={"Authorization": answer} if answer else {})
            with connection.getresponse() as response:
                detail = _read(response, url, deadline.seconds, 1 << 20)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            connection.close()  # the next request opens a fresh connection
            if attempt == 1:
                continue
            raise _failed(exc, url, deadline.seconds, False) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _failed(exc, url, deadline.seconds, False) from None
        if response.status == 401 and login is not None and attempt == 1:
            login.learn(response.headers, url)
            continue
        if response.status < 300 or response.status == 404:
            return
        why = detail.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RemoteError(
            f"{url}: the server answered {response.status} {response.reason}{': ' if why else ''}"
            f"{why[0][:300] if why else ''}"
        )


def _trailer(body: bytes) -> str:
    """The plain text a server appended after its partial result (Oxigraph writes why it stopped)."""
    found = re.search(r"([A-Za-z][^{}\[\]\"<>]*?)\s*$", body[-300:].decode("utf-8", "replace"))
    return f", ending with {found.group(1)!r}" if found and len(found.group(1)) > 8 else ""


def _as_boolean(result: Result) -> Result:
    """An ASK answer as a boolean. Virtuoso 7.2 sends a table instead: one row holding 1 for true, none for false."""
    retval = Variable("__ASK_RETVAL")
    if result.type != "SELECT" or result.vars != [retval]:
        return result
    answer = Result("ASK")
    answer.askAnswer = any(str(row.get(retval, "0")) != "0" for row in result.bindings)
    return answer


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
        accept = GRAPH_TYPE if form in ("CONSTRUCT", "DESCRIBE") else SELECT_TYPE
        # A form, not an application/sparql-query body: both are SPARQL 1.1 Protocol, but Virtuoso 7.2 waits
        # for more of the latter until the client gives up.
        _, ctype, body = request(
            url,
            method="POST",
            body=urllib.parse.urlencode([("query", _prologue() + text), *params]).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            timeout=seconds,
            max_bytes=self.endpoint.max_bytes,
        )
        media = ctype.split(";")[0].strip().lower()
        if accept == SELECT_TYPE and media not in (SELECT_TYPE, "application/json"):
            raise RemoteError(f"{url}: expected SPARQL JSON results, got {media or 'no content type'}")
        try:
            result = result_from_bytes(body, TABLE if accept == SELECT_TYPE else GRAPH)
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            kind = "JSON" if accept == SELECT_TYPE else "N-Triples"
            raise RemoteError(
                f"{url}: the server answered 200 OK but the result is cut short or broken: {len(body)} bytes "
                f"that are not complete {kind}{_trailer(body)} ({str(exc).splitlines()[0][:160]})"
            ) from None
        return _as_boolean(result) if form == "ASK" else result

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
