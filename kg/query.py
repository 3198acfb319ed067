"""SPARQL over the Dataset: parse with the project's prefixes, refuse unsafe features, run, format.

Safety by default: SERVICE, FROM / FROM NAMED (which rdflib would dereference over the network)
and SPARQL Update are refused before anything runs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Dataset, Literal, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from kg.errors import QueryError
from kg.namespaces import PREFIXES
from kg.resolve import curie

TABLE_FORMATS = ("table", "csv", "tsv", "json")


@dataclass
class Rows:
    """A SELECT result: variable names and rows of rdflib terms (None where unbound)."""

    variables: list[str]
    rows: list[tuple[URIRef | Literal | BNode | None, ...]]


def _position(exc: Exception) -> str:
    line, col = getattr(exc, "lineno", None), getattr(exc, "column", None)
    return f"line {line}, column {col}: " if line is not None else ""


def _walk(node: object) -> Iterable[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)


def parse_query(text: str) -> Query:
    """Parse and translate a query with the project's prefixes predeclared; refuse unsafe features."""
    try:
        tree = parseQuery(text)
    except Exception as exc:  # pyparsing ParseException and friends
        if _is_update(text):
            raise QueryError("SPARQL Update is refused: the graph is read-only") from None
        found = getattr(exc, "found", None)
        token = f" near {found}" if found else ""
        raise QueryError(f"malformed query: {_position(exc)}syntax error{token}") from None
    try:
        query = translateQuery(tree, initNs=dict(PREFIXES))
    except Exception as exc:
        msg = str(exc)
        if msg.startswith("Unknown namespace prefix"):
            prefix = msg.split(":", 1)[1].strip()
            known = ", ".join(f"{p}:" for p in PREFIXES)
            raise QueryError(f"unknown prefix '{prefix}:'; predeclared prefixes are {known}") from None
        raise QueryError(f"invalid query: {msg}") from None
    if query.algebra.get("datasetClause"):
        raise QueryError("FROM / FROM NAMED are refused: they would load data from outside the graph")
    if any(node.name == "ServiceGraphPattern" for node in _walk(query.algebra)):
        raise QueryError("SERVICE is refused: queries never reach the network")
    return query


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except Exception:
        return False
    return True


def run_query(ds: Dataset, text: str, bindings: Mapping[str, URIRef | Literal] | None = None) -> Result:
    """Run a query over ``ds`` (default graph = union of all sources) with optional initial bindings."""
    query = parse_query(text)
    init = {Variable(k): v for k, v in (bindings or {}).items()}
    try:
        return ds.query(query, initBindings=init)
    except QueryError:
        raise
    except Exception as exc:  # evaluation errors from rdflib (type errors, bad functions)
        raise QueryError(f"query failed: {exc}") from None


def rows(result: Result) -> Rows:
    """A SELECT result as plain rows."""
    if result.type != "SELECT":
        raise QueryError(f"expected a SELECT query, got {result.type}")
    names = [str(v) for v in result.vars or []]
    return Rows(names, [tuple(r) for r in result])


def cell_text(term: object, full_iris: bool = False) -> str:
    """How a term reads in a table: CURIE (or full IRI), literal's lexical form, '' for unbound."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return str(term) if full_iris else curie(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def format_table(data: Rows, max_width: int = 60, max_rows: int | None = None) -> str:
    """A fixed-width text table; cells longer than ``max_width`` are cut with '…'."""
    body = data.rows if max_rows is None else data.rows[:max_rows]
    cells = [[cell_text(t) for t in r] for r in body]
    cut = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    widths = [len(v) for v in data.variables]
    for r in cut:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(v.ljust(w) for v, w in zip(data.variables, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cut]
    shown = len(body)
    total = len(data.rows)
    tail = f"({total} row{'s' if total != 1 else ''}"
    tail += f"; showing the first {shown} — use --format csv or --limit to see all)" if shown < total else ")"
    out.append(tail)
    return "\n".join(s.rstrip() for s in out)


def format_delimited(data: Rows, delimiter: str) -> str:
    """CSV (full IRIs, lexical forms) or TSV (SPARQL 1.1 TSV: terms in N-Triples syntax)."""
    buf = io.StringIO()
    if delimiter == "\t":
        buf.write("\t".join(f"?{v}" for v in data.variables) + "\n")
        for r in data.rows:
            buf.write("\t".join("" if t is None else t.n3() for t in r) + "\n")
        return buf.getvalue()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(data.variables)
    for r in data.rows:
        writer.writerow([cell_text(t, full_iris=True) for t in r])
    return buf.getvalue()


def _json_term(term: URIRef | Literal | BNode) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def format_json(data: Rows) -> str:
    """W3C SPARQL 1.1 Query Results JSON."""
    bindings = [{v: _json_term(t) for v, t in zip(data.variables, r, strict=True) if t is not None} for r in data.rows]
    return json.dumps({"head": {"vars": data.variables}, "results": {"bindings": bindings}}, indent=2) + "\n"


def format_rows(data: Rows, fmt: str, max_rows: int | None = None) -> str:
    """Render rows in one of TABLE_FORMATS."""
    if fmt == "table":
        return format_table(data, max_rows=max_rows) + "\n"
    if fmt == "csv":
        return format_delimited(data, ",")
    if fmt == "tsv":
        return format_delimited(data, "\t")
    if fmt == "json":
        return format_json(data)
    raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(TABLE_FORMATS)}")
