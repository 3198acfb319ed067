"""The machine-readable twin of a page: the description of one IRI, as Turtle, JSON-LD, N-Triples or RDF/XML.

The description is what a Linked Data client needs to use the IRI without the rest of the graph: every
triple with the IRI as subject or object, the full record or reified statement (with its quote and source)
of each link that proves or qualifies it, blank nodes closed over (a Concise Bounded Description, widened to
incoming links), and the preferred label of every other IRI it names.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from kg.engines.terms import to_ox, to_ox_iri, to_ox_resource
from kg.errors import KGError
from kg.publish.rdf import Quad, serialize
from kg.vocab.namespaces import PREFIXES

_OX_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML}


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
        for label in ds.objects(other, SKOS.prefLabel):
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
    """``graph`` written as the twin with that suffix (ttl, jsonld, nt, rdf), in a stable order. KGError when the
    format cannot hold it without change.

    JSON-LD goes through kg.publish.rdf.serialize: compacted with the project's context, as `kg export` writes
    it, and read back to prove nothing changed. Turtle, N-Triples and RDF/XML come from Oxigraph's writers,
    which keep every literal's lexical form and refuse what the format cannot hold; they are ten times faster
    than rdflib's, which matters at four twins per page and tens of thousands of pages."""
    if suffix == "jsonld":
        quads: list[Quad] = [(s, p, o, DATASET_DEFAULT_GRAPH_ID) for s, p, o in graph]
        return serialize(quads, "jsonld")
    try:
        triples = [ox.Triple(to_ox_resource(s), to_ox_iri(p), to_ox(o)) for s, p, o in graph]
        triples.sort(key=str)
        used = {str(t.predicate) for t in triples} | {str(term) for t in triples for term in (t.subject, t.object)}
        prefixes = {
            name: str(ns)
            for name, ns in PREFIXES.items()
            if suffix != "nt" and any(iri.startswith(f"<{ns}") for iri in used)
        }
        written = ox.serialize(triples, format=_OX_FORMATS[suffix], prefixes=prefixes)
    except (ValueError, TypeError) as exc:
        raise KGError(f"cannot write this description as {suffix}: {exc}") from None
    assert written is not None  # without an output, pyoxigraph returns the bytes
    return written.decode("utf-8")
