"""Query results in the formats researchers use: terminal table, CSV, TSV, SPARQL JSON/XML, Markdown,
RDF for CONSTRUCT results, plain rows and pandas DataFrames for notebooks."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.query import Result, ResultRow

from kg.dataset.resolve import curie, label_of
from kg.errors import QueryError
from kg.report.terminal import one_line
from kg.vocab.formats import GRAPH_RESULT_FORMATS, RDF_FORMATS, TABLE_FORMATS
from kg.vocab.namespaces import bind_prefixes

if TYPE_CHECKING:
    import pandas

GRAPH_FORMATS = {name: RDF_FORMATS[name].rdflib for name in GRAPH_RESULT_FORMATS}

Term = URIRef | Literal | BNode | None


@dataclass
class Rows:
    """A SELECT result: variable names and rows of rdflib terms (None where unbound)."""

    variables: list[str]
    rows: list[tuple[Term, ...]]


def rows(result: Result) -> Rows:
    """A SELECT result as plain rows."""
    if result.type != "SELECT":
        raise QueryError(f"expected a SELECT query, got {result.type}")
    names = [str(v) for v in result.vars or []]
    # a SELECT's cells are IRIs, literals, blank nodes or None (unbound); rdflib types them all Identifier
    return Rows(names, [cast("tuple[Term, ...]", tuple(r)) for r in result if isinstance(r, ResultRow)])


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
    """A fixed-width text table for the terminal; cells longer than ``max_width`` are cut with '…', cut rows are
    counted, and control characters are shown as escapes (see kg.report.terminal)."""
    body = data.rows if max_rows is None else data.rows[:max_rows]
    cells = [[one_line(cell_text(t)) for t in r] for r in body]
    cut = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    names = [one_line(v) for v in data.variables]
    widths = [len(v) for v in names]
    for r in cut:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    line = "-+-".join("-" * w for w in widths)  # the "+" under each " | "
    out = [" | ".join(v.ljust(w) for v, w in zip(names, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cut]
    total = len(data.rows)
    tail = f"({total} row{'s' if total != 1 else ''}"
    tail += f"; showing the first {len(body)} — raise --limit or use --format csv)" if len(body) < total else ")"
    out.append(tail)
    return "\n".join(s.rstrip() for s in out)


def format_markdown(data: Rows) -> str:
    """A GitHub-flavoured Markdown table (pipes and newlines in cells escaped, control characters shown as
    escapes: it is read on the terminal as often as it is pasted)."""

    def esc(text: str) -> str:
        return one_line(text.replace("\\", "\\\\").replace("|", "\\|"))

    out = [
        "| " + " | ".join(esc(v) for v in data.variables) + " |",
        "|" + "|".join("---" for _ in data.variables) + "|",
    ]
    out += ["| " + " | ".join(esc(cell_text(t)) for t in r) + " |" for r in data.rows]
    return "\n".join(out) + "\n"


def format_delimited(data: Rows, delimiter: str) -> str:
    """CSV per SPARQL 1.1 CSV (full IRIs, lexical forms) or TSV (terms in N-Triples syntax)."""
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


def format_xml(result: Result) -> str:
    """W3C SPARQL Query Results XML, written by rdflib's serializer."""
    data = result.serialize(format="xml")
    assert data is not None  # given no destination, rdflib returns the bytes
    return data.decode("utf-8")


def format_result(result: Result, fmt: str, max_rows: int | None = None) -> str:
    """Render a SELECT result in one of TABLE_FORMATS."""
    if fmt == "xml":
        return format_xml(result)
    data = rows(result)
    if fmt == "table":
        return format_table(data, max_rows=max_rows) + "\n"
    if fmt == "md":
        return format_markdown(data)
    if fmt == "csv":
        return format_delimited(data, ",")
    if fmt == "tsv":
        return format_delimited(data, "\t")
    if fmt == "json":
        return format_json(data)
    raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(TABLE_FORMATS)}")


def format_graph(graph: Graph, fmt: str) -> str:
    """A CONSTRUCT/DESCRIBE result as Turtle, N-Triples or JSON-LD, with the project's prefixes."""
    if fmt not in GRAPH_FORMATS:
        raise QueryError(f"unknown format {fmt!r} for a graph result; choose one of {', '.join(GRAPH_FORMATS)}")
    bind_prefixes(graph)
    return graph.serialize(format=GRAPH_FORMATS[fmt])


def python_value(term: Term, ds: Dataset | None = None, labels: bool = True) -> Any:
    """A readable Python value: label (or CURIE) for IRIs, int/float/Decimal/date for typed literals."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return label_of(ds, term) if (labels and ds is not None) else curie(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    value = term.toPython()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(term) else float(value)
    if isinstance(value, (int, float, date, datetime, bool)):
        return value
    return str(term)


def query_rows(result: Result, ds: Dataset | None = None, labels: bool = True) -> list[dict[str, Any]]:
    """A SELECT result as a list of dicts with readable values (see ``python_value``)."""
    data = rows(result)
    return [{v: python_value(t, ds, labels) for v, t in zip(data.variables, r, strict=True)} for r in data.rows]


def to_dataframe(result: Result, ds: Dataset | None = None, labels: bool = True) -> pandas.DataFrame:
    """A SELECT result as a pandas DataFrame with readable cells (needs the 'notebooks' extra)."""
    try:
        import pandas as pd
    except ImportError:
        raise QueryError("pandas is not installed: pip install -e '.[notebooks]'") from None
    data = rows(result)
    return pd.DataFrame(query_rows(result, ds, labels), columns=data.variables)
