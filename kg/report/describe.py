"""`kg entity`: everything the graph says about one entity, grouped by source, with evidence."""

from __future__ import annotations

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from kg.dataset.resolve import curie, label_of, resolve_entity
from kg.report.terminal import one_line
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, ONTOLOGY_IRI, QDO


def _term(ds: Dataset, term: object) -> str:
    if isinstance(term, URIRef):
        return label_of(ds, term)
    if isinstance(term, Literal):
        return f'"{term}"'
    return str(term)


def _proof(g: Graph, s: Node, p: Node, o: Node) -> str:
    for st in g.subjects(RDF.subject, s):
        if (st, RDF.predicate, p) in g and (st, RDF.object, o) in g:
            ev = g.value(st, QDO.evidence) or g.value(st, QDO.rationale)
            return str(ev) if ev else ""
    return ""


def describe_entity(ds: Dataset, name: str) -> str:
    """A readable report on the entity ``name`` resolves to, one line per item, control characters escaped."""
    node = resolve_entity(ds, name)
    out = [f"{label_of(ds, node)}  <{node}>"]
    types = sorted(label_of(ds, t) for t in ds.objects(node, RDF.type) if isinstance(t, URIRef))
    out.append(f"  types: {', '.join(types)}")
    aliases = sorted(str(a) for a in ds.objects(node, SKOS.altLabel))
    if aliases:
        out.append(f"  also called: {', '.join(aliases)}")
    desc = ds.value(node, DCTERMS.description)
    if desc:
        out.append(f"  description (curators): {desc}")
    for g in sorted(ds.graphs(), key=lambda g: str(g.identifier)):
        if g.identifier in (ENTITIES_GRAPH, ONTOLOGY_IRI) or not len(g):
            continue
        lines = []
        for s, p, o in sorted(g.triples((node, None, None))):
            if p != RDF.type:
                lines.append((f"{_term(ds, p)} → {_term(ds, o)}", _proof(g, s, p, o)))
        for s, p, o in sorted(g.triples((None, None, node))):
            if p in (RDF.subject, RDF.object, DCTERMS.source):
                continue
            if (s, RDF.type, QDO.Observation) in g or (s, RDF.type, QDO.Target) in g:
                text = f"{_term(ds, g.value(s, QDO.indicator))}: {g.value(s, QDO.valueText)}"
                lines.append((text, str(g.value(s, QDO.evidence) or "")))
            elif (s, RDF.type, QDO.PostHolding) in g:
                lines.append((f"post: {g.value(s, QDO.postTitle)}", str(g.value(s, QDO.evidence) or "")))
            else:
                lines.append((f"{_term(ds, s)} {_term(ds, p)} → this", _proof(g, s, p, o)))
        if not lines:
            continue
        source = "curators (inferred)" if g.identifier == CURATED_GRAPH else curie(g.identifier)
        out += ["", f"  stated by {source}:"]
        for text, proof in lines:
            out.append(f"    - {text}")
            if proof:
                label = "why" if g.identifier == CURATED_GRAPH else "evidence"
                out.append(f"        {label}: {proof}")
    return "\n".join(one_line(line) for line in out)
