"""Oxigraph's answers as finished rdflib Results: straight from the evaluator, or read back from the SPARQL JSON
and N-Triples that a query worker or a remote endpoint sends.

Why rdflib's Result: every engine hands its callers the same finished object (rows bound, graph built), so
formatting, drawing and comparing answers never asks which engine gave them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, Variable
from rdflib.query import Result

from kg.engines.oxigraph_worker import TABLE
from kg.engines.terms import to_rdflib
from kg.vocab.namespaces import bind_prefixes


def to_result(answer: ox.QueryBoolean | ox.QuerySolutions | Iterable[ox.Triple]) -> Result:
    """One of pyoxigraph's answers as a finished rdflib Result."""
    if isinstance(answer, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(answer)
        return out
    if isinstance(answer, ox.QuerySolutions):
        out = Result("SELECT")
        out.vars = [Variable(v.value) for v in answer.variables]
        out.bindings = [
            {var: to_rdflib(value) for var, value in zip(out.vars, solution, strict=True) if value is not None}
            for solution in answer
        ]
        return out
    out = Result("CONSTRUCT")
    graph = Graph()
    for triple in answer:
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    bind_prefixes(graph)
    out.graph = graph
    return out


def result_from_bytes(payload: bytes, kind: bytes) -> Result:
    """A serialized answer of ``kind`` (kg.engines.oxigraph_worker's TABLE or GRAPH) as a finished rdflib Result.

    Raises SyntaxError or ValueError when the payload is not complete.
    """
    if kind == TABLE:
        return to_result(ox.parse_query_results(payload, format=ox.QueryResultsFormat.JSON))
    return to_result(q.triple for q in ox.parse(payload, format=ox.RdfFormat.N_TRIPLES))
