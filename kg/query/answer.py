"""A question answered as ``kg query`` answers it, for scripts too: over a dataset, optionally with what the
ontology entails, and the answer rendered in a chosen format with the exit code a shell expects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.query import Result

from kg.engines.registry import backend_of
from kg.errors import QueryError
from kg.query.reasoning import add_inferences
from kg.query.results import GRAPH_FORMATS, format_graph, format_result
from kg.query.sparql import construct_graph, run_query


def answer(
    ds: Dataset,
    text: str,
    bindings: Mapping[str, URIRef | Literal | BNode] | None = None,
    *,
    reason: bool = False,
    allow_network: bool = False,
    memory_limit: int | None = None,
) -> Result:
    """The finished result of ``text`` over ``ds``; with ``reason``, over ``ds`` and what the ontology entails
    (OWL 2 RL, added in memory: a read-only store cannot take it)."""
    if reason:
        with_inferences(ds)
    return run_query(ds, text, bindings, memory_limit=memory_limit, allow_network=allow_network)


def with_inferences(ds: Dataset) -> Dataset:
    """``ds`` with what the ontology entails added in memory (a read-only store cannot take it)."""
    if backend_of(ds).read_only:
        raise QueryError("--reason adds the inferred graph in memory, and a store is read-only: leave out --store")
    return add_inferences(ds)


@dataclass(frozen=True)
class Rendered:
    """An answer as text, and the exit code it means (an ASK answered false is 1)."""

    text: str
    exit_code: int = 0


def render(result: Result, fmt: str | None = None, limit: int | None = 200) -> Rendered:
    """``result`` in ``fmt``: a table (at most ``limit`` rows), CSV, TSV, JSON, XML or Markdown for SELECT;
    Turtle, N-Triples or JSON-LD for CONSTRUCT and DESCRIBE; true or false for ASK."""
    if result.type == "ASK":
        return Rendered("true\n", 0) if result.askAnswer else Rendered("false\n", 1)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        graph_fmt = fmt or "turtle"
        if graph_fmt not in GRAPH_FORMATS:
            raise QueryError(
                f"--format {graph_fmt} is for SELECT; a CONSTRUCT/DESCRIBE result takes turtle, nt or jsonld"
            )
        return Rendered(format_graph(construct_graph(result), graph_fmt))
    table_fmt = fmt or "table"
    if table_fmt in GRAPH_FORMATS:
        raise QueryError(f"--format {table_fmt} is for CONSTRUCT/DESCRIBE; SELECT takes table, csv, tsv, json, xml, md")
    return Rendered(format_result(result, table_fmt, max_rows=limit if table_fmt == "table" else None))
