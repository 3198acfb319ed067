"""Name → node of a networkx graph from ``kg.graph.convert``: what the CLI takes (label, alias, CURIE, IRI), in Python.

``kg.dataset.resolve`` resolves names against a Dataset; a notebook holding only the networkx graph (or a
view of it) should not need the Dataset to say ``neighbourhood(g, "Haier")``. The graph carries each
node's label and, as the ``skos:altLabel`` and ``skos:hiddenLabel`` attributes (or, with
``literals="nodes"``, as linked value nodes), its aliases and the names it is searched by but never shown
as. Errors name the graph and the choices, never a command-line option.
"""

from __future__ import annotations

import difflib

import networkx as nx
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from kg.dataset.resolve import expand_name, resolve_entity
from kg.errors import ResolveError
from kg.vocab.namespaces import DATA_BASE

ALIAS = "skos:altLabel"
HIDDEN = "skos:hiddenLabel"
_SEP = " | "  # how kg.graph.convert joins several values of one attribute


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def names(graph: nx.MultiDiGraph, node: str, hidden: bool = True) -> list[str]:
    """Every name of a node: its label, then its aliases, then (unless ``hidden=False``, for lists a reader
    sees) its hidden labels, which SKOS keeps for search only."""
    data = graph.nodes[node]
    attributes = (ALIAS, HIDDEN) if hidden else (ALIAS,)
    predicates = {str(SKOS.altLabel), str(SKOS.hiddenLabel)} if hidden else {str(SKOS.altLabel)}
    found = [data.get("label", node)]
    for attribute in attributes:
        if data.get(attribute):
            found += data[attribute].split(_SEP)
    for _, value, edge in graph.out_edges(node, data=True):
        if edge.get("predicate") in predicates and graph.nodes[value].get("kind") == "literal":
            found.append(graph.nodes[value].get("label", ""))
    return list(dict.fromkeys(n for n in found if n))


def find_node(graph: nx.MultiDiGraph, name: URIRef | str, ds: Graph | None = None) -> str:
    """The node ``name`` means: a node id (IRI), a CURIE, ``<IRI>``, a label or alias (any case), or a local name.

    With ``ds`` the name is resolved against the Dataset first (as the CLI does), then looked up in ``graph``.
    Raises ResolveError when no node, or more than one, has that name.
    """
    text = str(name)
    if text in graph:
        return text
    if ds is not None:
        iri = str(resolve_entity(ds, text))
        if iri not in graph:
            raise ResolveError(f"{text!r} ({iri}) is not a node of this graph")
        return iri
    named = expand_name(text.strip())
    if named is not None and str(named) in graph:
        return str(named)
    wanted = _norm(text)
    matches = [n for n in graph if graph.nodes[n].get("kind") != "literal" and wanted in map(_norm, names(graph, n))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        choices = ", ".join(f"{graph.nodes[n].get('iri') or n} ({graph.nodes[n].get('label', n)})" for n in matches)
        raise ResolveError(f"{text!r} names several nodes of this graph: {choices}; pass one of their IRIs")
    local = DATA_BASE + text.strip()
    if local in graph:
        return local
    raise ResolveError(f"no node of this graph is named {text!r}{_suggestion(graph, text)}")


def _suggestion(graph: nx.MultiDiGraph, text: str) -> str:
    by_name = {_norm(n): n for node in graph for n in names(graph, node) if graph.nodes[node].get("kind") != "literal"}
    close = difflib.get_close_matches(_norm(text), list(by_name), n=3, cutoff=0.6)
    return ("; did you mean " + " or ".join(repr(by_name[c]) for c in close) + "?") if close else ""
