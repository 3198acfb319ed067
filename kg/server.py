"""The SPARQL 1.1 Protocol over HTTP (the standard library's ThreadingHTTPServer): read-only, CORS for reads,
request and result caps; the queries themselves run in a kg.workers.QueryPool."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.endpoint import GRAPH_TYPES, Answer, Job, error
from kg.negotiation import choose
from kg.workbench import ASSETS, GRAPH_POLICY, PAGE_POLICY, examples_json
from kg.workers import QueryPool

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
MAX_BODY = 1_000_000
_FORM = "application/x-www-form-urlencoded"
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV")
_GRAPH_FORMATS = ("Turtle", "N-Triples", "JSON-LD", "RDF_XML")


class SparqlServer(ThreadingHTTPServer):
    """Serves /sparql from a QueryPool; one thread per connection, so a slow query never blocks the listener."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], pool: QueryPool, max_body: int = MAX_BODY, log: bool = False) -> None:
        super().__init__(address, SparqlHandler)
        self.pool, self.max_body, self.log = pool, max_body, log

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/sparql"

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


class SparqlHandler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    timeout = 60  # seconds a client may take to send its request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _send(self, reply: Answer) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)

    def do_OPTIONS(self) -> None:
        """CORS preflight: reads (GET, POST of a query) from any origin."""
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Accept, Content-Type")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._safely(self._get)

    def do_POST(self) -> None:
        self._safely(self._post)

    def _safely(self, handle) -> None:
        try:
            reply = handle()
        except UnicodeDecodeError:
            reply = error(400, "the request is not valid UTF-8")
        except Exception as exc:  # a short message to the client, never a stack trace
            reply = error(500, f"internal error: {type(exc).__name__}")
        self._send(reply)

    def _get(self) -> Answer:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        if parts.path in ASSETS:
            kind, text = ASSETS[parts.path]
            return Answer(200, kind, text.encode("utf-8"), {"Content-Security-Policy": PAGE_POLICY})
        if parts.path == "/examples.json":
            return Answer(200, "application/json", examples_json().encode("utf-8"))
        if parts.path == "/graph":
            if len(params.get("query", ())) != 1:
                return error(400, "exactly one 'query' parameter, please")
            reply = self.server.pool.run(Job(params["query"][0], graph_view=True))
            return Answer(reply.status, reply.content_type, reply.body, {"Content-Security-Policy": GRAPH_POLICY})
        if parts.path != "/sparql":
            return error(404, f"not found: {parts.path}; the endpoint is /sparql")
        if "update" in params:
            return error(403, "SPARQL Update is refused: this endpoint is read-only")
        if "query" not in params:
            return self._describe()
        return self._query(params)

    def _post(self) -> Answer:
        parts = urlsplit(self.path)
        if parts.path != "/sparql":
            return error(404, f"not found: {parts.path}; the endpoint is /sparql")
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind == "application/sparql-update":
            return error(403, "SPARQL Update is refused: this endpoint is read-only")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return error(411, "a POST needs a Content-Length")
        if int(length) > self.server.max_body:
            return error(413, f"request body too large: {length} bytes, the cap is {self.server.max_body}")
        body = self.rfile.read(int(length)).decode("utf-8")
        params = parse_qs(parts.query, keep_blank_values=True, errors="strict")
        if kind == _FORM:
            params.update(parse_qs(body, keep_blank_values=True, errors="strict"))
            if "update" in params:
                return error(403, "SPARQL Update is refused: this endpoint is read-only")
        elif kind == "application/sparql-query":
            if "query" in params:
                return error(400, "send the query either in the body or as ?query=, not both")
            params["query"] = [body]
        else:
            return error(415, f"unsupported Content-Type {kind or '(none)'}; use {_FORM} or application/sparql-query")
        if "query" not in params:
            return error(400, "no query: send it as the 'query' form field")
        return self._query(params)

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
