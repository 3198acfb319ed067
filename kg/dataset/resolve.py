"""Name → entity IRI: by IRI, CURIE, preferred label, alternative label or local name, case-insensitively."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import ResolveError
from kg.vocab.namespaces import DATA_BASE, PREFIXES
from kg.vocab.terms import LABEL_PROPERTIES, NAME_PROPERTIES

if TYPE_CHECKING:
    from kg.engines.remote import Endpoint


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def label_of(ds: Graph, node: URIRef) -> str:
    """The preferred label of a node (kg.vocab.terms.LABEL_PROPERTIES in order, else its CURIE)."""
    for prop in LABEL_PROPERTIES:
        for value in ds.objects(node, prop):
            return str(value)
    return curie(node)


def curie(node: Node) -> str:
    """Shortest prefixed name of an IRI using the project's prefixes, else the IRI in angle brackets (any other
    term, such as a blank node, is written as its text in angle brackets)."""
    text = str(node)
    best = None
    for prefix, ns in PREFIXES.items():
        if text.startswith(str(ns)) and (best is None or len(str(ns)) > len(str(PREFIXES[best]))):
            best = prefix
    if best is None:
        return f"<{text}>"
    return f"{best}:{text[len(str(PREFIXES[best])) :]}"


def expand_name(name: str) -> URIRef | None:
    """The IRI a name spells (<…>, http(s):/urn:, or a CURIE with a project prefix), else None."""
    if name.startswith("<") and name.endswith(">"):
        return URIRef(name[1:-1])
    if name.startswith(("http://", "https://", "urn:")):
        return URIRef(name)
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES:
        return URIRef(str(PREFIXES[prefix]) + local)
    return None


def candidates(ds: Graph, name: str) -> list[URIRef]:
    """Every entity the name could mean, best matches first (exact IRI, then labels, then local name)."""
    iri = expand_name(name.strip())
    if iri is not None and (iri, None, None) in ds:
        return [iri]
    wanted = _norm(name)
    by_label: list[URIRef] = []
    for prop in NAME_PROPERTIES:
        for s, _, o in ds.triples((None, prop, None)):
            if isinstance(s, URIRef) and _norm(str(o)) == wanted and s not in by_label:
                by_label.append(s)
    if by_label:
        return by_label
    if re.fullmatch(r"[A-Za-z0-9_.-]+", name.strip()):
        local = URIRef(DATA_BASE + name.strip())
        if (local, None, None) in ds:
            return [local]
    return []


def resolve_entity(ds: Graph, name: str) -> URIRef:
    """The single entity a name means; ResolveError if none or several (listing the choices)."""
    found = candidates(ds, name)
    if len(found) == 1:
        return found[0]
    if not found:
        hint = _suggest(ds, name)
        raise ResolveError(f"no entity is named {name!r}" + (f"; did you mean {hint}?" if hint else ""))
    choices = ", ".join(f"{curie(f)} ({label_of(ds, f)})" for f in found)
    raise ResolveError(f"{name!r} is ambiguous: {choices}; give the IRI or CURIE")


def _suggest(ds: Graph, name: str) -> str:
    import difflib

    labels = {
        str(o): s for prop in NAME_PROPERTIES for s, _, o in ds.triples((None, prop, None)) if isinstance(s, URIRef)
    }
    close = difflib.get_close_matches(name, list(labels), n=3, cutoff=0.6)
    lowered = {k.casefold(): k for k in labels}
    close += [lowered[k] for k in difflib.get_close_matches(name.casefold(), list(lowered), n=3, cutoff=0.6)]
    unique = list(dict.fromkeys(close))[:3]
    return " or ".join(repr(c) for c in unique)


def lookup_graph(endpoint: Endpoint, name: str) -> Graph:
    """The few triples ``kg.dataset.resolve`` needs to resolve ``name`` on a remote endpoint: labels equal to it
    (case-insensitively) and, if it is an IRI or CURIE, one triple about it. The same resolver then runs
    on this small graph, so names mean the same on every engine."""
    wanted = Literal(" ".join(name.split()).lower()).n3()
    labels = (
        "CONSTRUCT { ?s ?p ?l } WHERE { VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel rdfs:label } "
        "?s ?p ?l "
        f"FILTER(isIRI(?s) && LCASE(STR(?l)) = {wanted}) }}"
    )
    graph = Graph()
    found = endpoint.query(labels).graph
    assert found is not None  # a CONSTRUCT query's result is a graph
    graph += found
    iri = expand_name(name)
    if iri is not None:
        about = endpoint.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }} LIMIT 1").graph
        assert about is not None
        graph += about
    return graph
