"""The project's own data checks, beyond SHACL: evidence is verbatim, statements are backed,
terms are declared, references resolve, curated facts carry a rationale and stay separate.

Each check takes the loaded Dataset and yields Findings; `kg validate` prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF
from rdflib.term import IdentifiedNode, Node

from kg.dataset.paths import project_root
from kg.dataset.resolve import curie
from kg.quality.fidelity import FIDELITY_CHECKS
from kg.quality.findings import Finding, article_graphs, curie_or, normalise_space
from kg.vocab.namespaces import CURATED_GRAPH, DATA_BASE, ENTITIES_GRAPH, ONTOLOGY_IRI, QDO, STANDARD_VOCABULARIES
from kg.vocab.terms import DRAFT_MARKS, RECORD_CLASSES

DECLARATION_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)


def _is_record(g: Graph, node: Node) -> bool:
    return any((node, RDF.type, cls) in g for cls in RECORD_CLASSES)


def _reifications(g: Graph) -> dict[tuple[Node | None, Node | None, Node | None], list[Node]]:
    out: dict[tuple[Node | None, Node | None, Node | None], list[Node]] = {}
    for st in g.subjects(RDF.type, RDF.Statement):
        key = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        out.setdefault(key, []).append(st)
    return out


def _reification_nodes(g: Graph) -> set[Node]:
    return set(g.subjects(RDF.type, RDF.Statement))


def _needs_backing(g: Graph, s: Node, p: Node, o: Node, article: IdentifiedNode | None, statements: set[Node]) -> bool:
    """Whether a triple of an article or curated graph must be backed by a reification."""
    if s in statements or s == article or _is_record(g, s):
        return False
    return not (p == QDO.sets and _is_record(g, o))


def _article_texts(ds: Dataset, root: Path) -> tuple[dict[Node, str], list[Finding]]:
    texts: dict[Node, str] = {}
    problems: list[Finding] = []
    for g in article_graphs(ds):
        art = g.identifier
        source_file = g.value(art, QDO.sourceFile)
        if source_file is None:
            problems.append(
                Finding("evidence", curie(art), "article has no qdo:sourceFile, so evidence cannot be checked")
            )
        elif not (root / str(source_file)).is_file():
            problems.append(Finding("evidence", curie(art), f"source file {source_file} does not exist"))
        else:
            texts[art] = normalise_space((root / str(source_file)).read_text(encoding="utf-8"))
    return texts, problems


def check_evidence(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Every qdo:evidence is a verbatim substring (up to whitespace) of the article it cites.

    In an article graph the cited article is the graph itself; in the curated graph it is the
    record's dcterms:source.
    """
    texts, problems = _article_texts(ds, root)
    yield from problems
    for g in [*article_graphs(ds), ds.graph(CURATED_GRAPH)]:
        in_article = g.identifier in texts
        for node, quote in g.subject_objects(QDO.evidence):
            src = g.value(node, DCTERMS.source)
            cited = g.identifier if in_article else src
            if in_article and src is not None and src != g.identifier:
                yield Finding(
                    "evidence", curie(node), f"dcterms:source is {curie(src)} but it is in graph {curie(g.identifier)}"
                )
            if cited is None or cited not in texts:
                yield Finding("evidence", curie_or(node), "evidence cites no known article (dcterms:source)")
            elif normalise_space(str(quote)) not in texts[cited]:
                yield Finding("evidence", curie_or(node), f"quote not found verbatim in {curie(cited)}: {str(quote)!r}")
        if not in_article:
            for record in {s for cls in RECORD_CLASSES for s in g.subjects(RDF.type, cls)}:
                if g.value(record, QDO.rationale) is None:
                    yield Finding("backing", curie_or(record), "a curated record needs a qdo:rationale")


def check_backing(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Article statements are reified with evidence; curated ones with a rationale; and vice versa."""
    graphs: list[tuple[Graph, IdentifiedNode | None, URIRef]] = [
        (g, g.identifier, QDO.evidence) for g in article_graphs(ds)
    ]
    graphs.append((ds.graph(CURATED_GRAPH), None, QDO.rationale))
    for g, article, proof in graphs:
        name = curie(g.identifier)
        reified = _reifications(g)
        statements = _reification_nodes(g)
        for s, p, o in g:
            if _needs_backing(g, s, p, o, article, statements) and not reified.get((s, p, o)):
                yield Finding(
                    "backing",
                    name,
                    f"{curie_or(s)} {curie_or(p)} {curie_or(o)} has no rdf:Statement with {curie(proof)}",
                )
        for (rs, rp, ro), nodes in reified.items():
            if (rs, rp, ro) not in g:
                yield Finding("backing", name, f"reified {curie_or(rs)} {curie_or(rp)} {curie_or(ro)} is not asserted")
            for node in nodes:
                if g.value(node, proof) is None:
                    yield Finding("backing", curie_or(node), f"reification has no {curie(proof)}")


def _declared_terms(ds: Dataset) -> set[URIRef]:
    onto = ds.graph(ONTOLOGY_IRI)
    return {s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t) if isinstance(s, URIRef)}


def _is_standard(term: URIRef) -> bool:
    """A term of a known standard vocabulary; rdflib's closed namespaces also catch misspellings."""
    from rdflib.namespace import DCTERMS as DCT
    from rdflib.namespace import FOAF, ORG, OWL, PROV, RDFS, SDO, SKOS, SOSA, VANN, XSD

    for closed in (RDF, RDFS, OWL, XSD, SKOS, DCT, PROV, ORG, SOSA, FOAF, VANN, SDO):
        if str(term).startswith(str(closed)):
            return term in closed
    return any(str(term).startswith(ns) for ns in STANDARD_VOCABULARIES)


def check_vocabulary(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Every class and property the data uses is declared in the ontology or a standard vocabulary."""
    declared = _declared_terms(ds)
    seen: set[tuple[str, Node]] = set()
    for g in ds.graphs():
        if g.identifier == ONTOLOGY_IRI:
            continue
        for _s, p, o in g:
            used = [("property", p)] + ([("class", o)] if p == RDF.type else [])
            for kind, term in used:
                undeclared = isinstance(term, URIRef) and term not in declared and not _is_standard(term)
                if undeclared and (kind, term) not in seen:
                    seen.add((kind, term))
                    yield Finding(
                        "vocabulary", curie(g.identifier), f"{kind} {curie(term)} is not declared in the ontology"
                    )


def check_references(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Every project IRI used anywhere is defined: an entity, record, statement, article or ontology term."""
    defined = set(ds.graph(ENTITIES_GRAPH).subjects(RDF.type, None))
    for g in ds.graphs():
        if g.identifier != ENTITIES_GRAPH:
            defined.update(s for s in g.subjects(RDF.type, None))
    declared = _declared_terms(ds)
    ontology_ns = str(QDO)
    reported: set[URIRef] = set()
    for g in ds.graphs():
        for s, p, o in g:
            for term in (s, o) if p != RDF.type else (s,):
                if not isinstance(term, URIRef) or term in reported:
                    continue
                text = str(term)
                if text.startswith(DATA_BASE) and term not in defined and term != g.identifier:
                    reported.add(term)
                    yield Finding(
                        "references", curie(g.identifier), f"{curie(term)} is used but never defined (no rdf:type)"
                    )
                elif text.startswith(ontology_ns) and term not in declared:
                    reported.add(term)
                    yield Finding("references", curie(g.identifier), f"{curie(term)} is not declared in the ontology")


def check_entities_file(ds: Dataset, root: Path) -> Iterator[Finding]:
    """The entities graph holds only types, labels and descriptions: facts belong to a source graph."""
    from rdflib.namespace import SKOS

    allowed = {RDF.type, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, DCTERMS.description}
    for s, p, _o in ds.graph(ENTITIES_GRAPH):
        if p not in allowed:
            yield Finding("entities", curie_or(s), f"{curie(p)} is a fact; state it in an article or curated graph")


def check_curated_separate(ds: Dataset, root: Path) -> Iterator[Finding]:
    """A curated statement must not repeat what an article states (that would blur the provenance)."""
    curated = ds.graph(CURATED_GRAPH)
    statements = _reification_nodes(curated)
    for g in article_graphs(ds):
        for s, p, o in curated:
            if s not in statements and (s, p, o) in g and p != RDF.type:
                yield Finding(
                    "curated", curie_or(s), f"{curie(p)} {curie_or(o)} is already stated by {curie(g.identifier)}"
                )


def check_draft_marks(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Only a draft's own article graph (its text still in data/drafts/) carries draft marks and entity proposals:
    accepted data says what an article states, not which rule guessed it."""
    for g in ds.graphs():
        source = next((str(f) for f in g.objects(g.identifier, QDO.sourceFile)), "")
        if source.startswith("data/drafts/"):
            continue
        marked = {s for p in DRAFT_MARKS for s in g.subjects(p, None)} | set(g.subjects(RDF.type, QDO.EntityProposal))
        for node in sorted(marked, key=str):
            yield Finding(
                "drafts", curie_or(node), f"draft marks in {curie(g.identifier)}: review the draft (kg review)"
            )


CHECKS: dict[str, Callable[[Dataset, Path], Iterator[Finding]]] = {
    "evidence": check_evidence,
    "backing": check_backing,
    "vocabulary": check_vocabulary,
    "references": check_references,
    "entities": check_entities_file,
    "curated": check_curated_separate,
    "drafts": check_draft_marks,
}


def run_checks(ds: Dataset, root: Path | None = None) -> list[Finding]:
    """Run every project check (kg.quality.fidelity's too); an empty list means the data is clean."""

    root = root or project_root()
    return [f for check in [*CHECKS.values(), *FIDELITY_CHECKS.values()] for f in check(ds, root)]
