"""What the ontology entails: an OWL 2 RL closure (owlrl) of the whole graph, kept apart from the data.

The inferred triples form their own graph (``qdg:inferred``); they are never written into the
data files. Computing them takes about two seconds, so the result is cached on disk, keyed by a
hash of every asserted triple: a second query over the same data does not pay again.
"""

from __future__ import annotations

import hashlib
import re

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import OWL, RDF, RDFS

from kg.dataset.cache import read_entry, write_entry
from kg.engines.registry import backend_of
from kg.vocab.namespaces import INFERRED_GRAPH

PROFILES = ("owlrl", "rdfs")
#: Entailments that say nothing a researcher asks about (x sameAs x, x a owl:Thing, ...).
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource}
_REFLEXIVE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}


def _asserted(ds: Dataset) -> Graph:
    union = Graph()
    for s, p, o, g in ds.quads((None, None, None, None)):
        if g is None or getattr(g, "identifier", g) != INFERRED_GRAPH:
            union.add((s, p, o))
    return union


def _key(union: Graph, profile: str) -> str:
    import owlrl

    digest = hashlib.sha256(f"{profile}|owlrl {owlrl.__version__}\n".encode())
    for line in sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in union):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def _keep(triple: tuple) -> bool:
    s, p, o = triple
    if isinstance(s, Literal) or isinstance(p, (Literal, BNode)):
        return False  # generalised RDF the rules produce internally
    if p in _REFLEXIVE and s == o:
        return False
    return not (p == RDF.type and o in _TRIVIAL_OBJECTS)


def compute_inferences(union: Graph, profile: str = "owlrl") -> Graph:
    """The triples ``profile`` entails from ``union`` that it does not already assert."""
    import owlrl

    if profile not in PROFILES:
        raise ValueError(f"unknown reasoning profile {profile!r}; choose one of {', '.join(PROFILES)}")
    semantics = owlrl.OWLRL_Semantics if profile == "owlrl" else owlrl.RDFS_Semantics
    closure = Graph()
    for triple in union:
        closure.add(triple)
    owlrl.DeductiveClosure(semantics, rdfs_closure=False, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    inferred = Graph(identifier=INFERRED_GRAPH)
    for triple in closure:
        if triple not in union and _keep(triple):
            inferred.add(triple)
    return inferred


def inferred_graph(ds: Dataset, profile: str = "owlrl", use_cache: bool = True) -> Graph:
    """What the ontology entails from everything in ``ds``, minus what ``ds`` already asserts (cached in the
    parse cache's folder, under its rules: this user's own files only, bounded, damaged entries recomputed)."""
    union = _asserted(ds)
    name = f"inferred-{_key(union, profile)}.nt"
    cached = _read_inferred(name) if use_cache else None
    if cached is not None:
        return cached
    graph = compute_inferences(union, profile)
    if use_cache:
        write_entry(name, graph.serialize(format="nt", encoding="utf-8") + f"# {len(graph)} triples\n".encode())
    return graph


def _read_inferred(name: str) -> Graph | None:
    """The cached inferred graph, or None if it is missing or damaged: unparsable, or cut short at a line end
    (the closing comment counts the triples, which N-Triples alone could not tell)."""
    data = read_entry(name)
    found = re.search(rb"# (\d+) triples\n\Z", data or b"")
    if data is None or found is None:
        return None
    graph = Graph(identifier=INFERRED_GRAPH)
    try:
        graph.parse(data=data.decode("utf-8"), format="nt")
    except (ValueError, SyntaxError, ParserError):
        return None
    return graph if len(graph) == int(found[1]) else None


def add_inferences(ds: Dataset, profile: str = "owlrl") -> Dataset:
    """Add the inferred graph to ``ds`` (in memory only) as the named graph ``qdg:inferred``, and so to the union."""
    backend_of(ds).add_graph(URIRef(INFERRED_GRAPH), inferred_graph(ds, profile))
    return ds
