"""The machine-readable twin of a page: the description of one IRI, as Turtle, JSON-LD, N-Triples or RDF/XML.

The description is what a Linked Data client needs to use the IRI without the rest of the graph: every
triple with the IRI as subject or object, the full record or reified statement (with its quote and source)
of each link that proves or qualifies it, blank nodes closed over (a Concise Bounded Description, widened to
incoming links), and the preferred label of every other IRI it names. The text is written by
kg.publish.rdf.serialize, which reads it back and refuses to write anything it would change.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from kg.publish.rdf import Quad, serialize

#: Twin suffix -> kg.publish.rdf export format.
EXPORT_NAMES = {"ttl": "turtle", "jsonld": "jsonld", "nt": "nt", "rdf": "xml"}


def description(ds: Dataset, node: URIRef, proofs: set[Node] | None = None) -> Graph:
    """The triples describing ``node`` (see the module's docstring). ``proofs`` are the nodes whose own triples
    travel with a link to them (reified statements and records); by default every subject typed
    rdf:Statement or with a qdo:evidence."""
    out = Graph()
    pending: list[Node] = []

    def add_all(subject: Node) -> None:
        for s, p, o, _ in ds.quads((subject, None, None, None)):
            if (s, p, o) not in out:
                out.add((s, p, _plain(o)))
                if isinstance(o, BNode):
                    pending.append(o)

    add_all(node)
    for s, p, _, _ in ds.quads((None, None, node, None)):
        out.add((s, p, node))
        if isinstance(s, BNode) or _carries_proof(ds, s, proofs):
            add_all(s)
    while pending:
        add_all(pending.pop())
    named = {t for triple in out for t in triple if isinstance(t, URIRef)} - {node}
    for other in named:
        label = ds.value(other, SKOS.prefLabel)
        if label is not None:
            out.add((other, SKOS.prefLabel, _plain(label)))
    return out


def plain_graph(triples: Iterable[tuple[Node, Node, Node]]) -> Graph:
    """The triples as a Graph, string literals without their datatype (see ``_plain``)."""
    out = Graph()
    for s, p, o in triples:
        out.add((s, p, _plain(o)))
    return out


def _plain(term: Node) -> Node:
    """A string literal as rdflib reads it from Turtle (no datatype), however the engine holding the data spells
    it (Oxigraph gives xsd:string explicitly; RDF 1.1 says they are the same): twins do not depend on the engine."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _carries_proof(ds: Dataset, node: Node, proofs: set[Node] | None) -> bool:
    if proofs is not None:
        return node in proofs
    return (node, RDF.type, RDF.Statement) in ds


def twin_text(graph: Graph, suffix: str) -> str:
    """``graph`` written as the twin with that suffix (ttl, jsonld, nt, rdf). KGError when the format cannot
    hold it without change."""
    quads: list[Quad] = [(s, p, o, DATASET_DEFAULT_GRAPH_ID) for s, p, o in graph]
    return serialize(quads, EXPORT_NAMES[suffix])
