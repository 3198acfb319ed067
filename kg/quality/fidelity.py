"""Checks that each fact claims no more support than it has: properties used within their declared domain
and range, figure records whose evidence covers every field they assert, every vague date dated by the
curators, numbers in canonical form, and no curated record passed off as an article's.

Why beyond SHACL: these rules compare a record's fields with its own quote and with the ontology's
declarations (subclasses included), which shapes cannot express without restating the ontology.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import IdentifiedNode, Node

from kg.quality.findings import Finding, article_graphs, curie_or, normalise_space
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, ONTOLOGY_IRI, QDO

#: Classes whose members are records of one sentence: their fields must be covered by their own evidence.
FIGURES = (QDO.Observation, QDO.DerivedObservation, QDO.Target)
#: Words that write each qualifier in the articles ("more than 80", "over 390 billion", "exceeding 100 billion").
QUALIFIER_WORDS: dict[Node, tuple[str, ...]] = {
    QDO.MoreThan: ("more than", "over", "exceeding", "exceeded", "above"),
    QDO.Nearly: ("nearly", "almost"),
    QDO.UpTo: ("up to",),
}
#: Units whose values are counts of things: integers, not decimals.
WHOLE_UNITS = (QDO.Count, QDO.Rank, QDO.Year)
#: Vague dates an article gives as text, and the curators' readings of each: a year or period for "last
#: year", a date for "So far" (as of the article's date), a day or a month for "at the end of November".
VAGUE = {QDO.periodText: (QDO.year, QDO.periodStart, QDO.asOf), QDO.dateText: (QDO.date, QDO.yearMonth)}


def _superclasses(onto: Graph) -> dict[URIRef, set[URIRef]]:
    """Each class with every class above it (itself included), from rdfs:subClassOf and owl:equivalentClass."""
    up: dict[URIRef, set[URIRef]] = {}
    for s, o in [*onto.subject_objects(RDFS.subClassOf), *onto.subject_objects(OWL.equivalentClass)]:
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            up.setdefault(s, set()).add(o)
    closed: dict[URIRef, set[URIRef]] = {}
    for cls in up:
        seen, todo = {cls}, [cls]
        while todo:
            for parent in up.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        closed[cls] = seen
    return closed


def _types(ds: Dataset, above: dict[URIRef, set[URIRef]]) -> dict[object, set[URIRef]]:
    """Every node's classes as any graph states them (units and qualifiers are the ontology's), closed upwards."""
    types: dict[object, set[URIRef]] = {}
    for s, o in ds.subject_objects(RDF.type):
        if isinstance(o, URIRef):
            types.setdefault(s, set()).update(above.get(o, {o}))
    return types


def _datatype_fits(value: Literal, rng: Node) -> bool:
    if rng in (RDFS.Literal, RDF.PlainLiteral):
        return True
    if rng == XSD.string:
        return value.language is None and value.datatype in (None, XSD.string)
    if rng == XSD.decimal:
        return value.datatype in (XSD.decimal, XSD.integer)
    return value.datatype == rng


def check_domains_and_ranges(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Every project property is used within its declared rdfs:domain and rdfs:range (subclasses count)."""
    onto = ds.graph(ONTOLOGY_IRI)
    above = _superclasses(onto)
    types = _types(ds, above)
    domains = {p: d for p, d in onto.subject_objects(RDFS.domain) if str(p).startswith(str(QDO))}
    ranges = {p: r for p, r in onto.subject_objects(RDFS.range) if str(p).startswith(str(QDO))}
    for g in [*article_graphs(ds), ds.graph(CURATED_GRAPH), ds.graph(ENTITIES_GRAPH)]:
        for s, p, o in g:
            if p in domains and domains[p] not in types.get(s, ()):
                yield Finding("domain", curie_or(s), f"{curie_or(p)} is for a {curie_or(domains[p])} ({g_name(g)})")
            rng = ranges.get(p)
            if rng is None:
                continue
            if isinstance(o, Literal):
                if not _datatype_fits(o, rng):
                    yield Finding("range", curie_or(s), f"{curie_or(p)} takes {curie_or(rng)}, got {o.n3()}")
            elif str(rng).startswith(str(XSD)) or rng in (RDFS.Literal, RDF.PlainLiteral):
                yield Finding("range", curie_or(s), f"{curie_or(p)} takes a literal, got {curie_or(o)}")
            elif rng not in types.get(o, ()):
                yield Finding("range", curie_or(s), f"{curie_or(p)} {curie_or(o)}: not a {curie_or(rng)}")


def g_name(g: Graph) -> str:
    return curie_or(g.identifier)


def _figures(g: Graph) -> Iterable[IdentifiedNode]:
    return sorted({s for cls in FIGURES for s in g.subjects(RDF.type, cls) if isinstance(s, IdentifiedNode)})


def _year_in(text: str, year: str) -> bool:
    return re.search(rf"(?<!\d){re.escape(year.lstrip('-'))}(?!\d)", text) is not None


def check_figures_covered(ds: Dataset, root: Path) -> Iterator[Finding]:
    """A figure record of an article claims nothing its quote does not say: its valueText is in the quote, a
    qualifier is written in its valueText, its year and deadline appear in the quote (else the curators date
    it, in their graph), and a timeframe is quoted as written."""
    for g in article_graphs(ds):
        for record in _figures(g):
            quote = normalise_space(str(g.value(record, QDO.evidence) or ""))
            written = g.value(record, QDO.valueText)
            if written is not None and normalise_space(str(written)) not in quote:
                yield Finding("coverage", curie_or(record), f"valueText {str(written)!r} is not in its evidence")
            qualifier = g.value(record, QDO.qualifier)
            if qualifier is not None and written is not None:
                words = QUALIFIER_WORDS.get(qualifier, ())
                if not any(w in str(written).lower() for w in words):
                    yield Finding(
                        "coverage", curie_or(record), f"qualifier {curie_or(qualifier)} but valueText {str(written)!r}"
                    )
            for prop in (QDO.year, QDO.deadline, QDO.periodStart, QDO.periodEnd, QDO.comparedWithYear):
                for year in g.objects(record, prop):
                    if not _year_in(quote, str(year)):
                        yield Finding(
                            "coverage",
                            curie_or(record),
                            f"{curie_or(prop)} {year} is not in its evidence (the curators date it, in curated.ttl)",
                        )
            for frame in g.objects(record, QDO.timeframe):
                if normalise_space(str(frame)) not in quote:
                    yield Finding("coverage", curie_or(record), f"timeframe {str(frame)!r} is not in its evidence")


def check_vague_dates(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Every date an article gives only as text ("at the end of September", "So far") is read by the curators:
    the year, date or month the article's own date implies, in curated.ttl with a rationale."""
    curated = ds.graph(CURATED_GRAPH)
    for g in article_graphs(ds):
        if (g.identifier, DCTERMS.date, None) not in g:
            continue  # an undated article: its "last year" or "for two consecutive years" cannot be read
        for prop, readings in VAGUE.items():
            for node in sorted({s for s in g.subjects(prop, None) if isinstance(s, IdentifiedNode)}):
                stated = any((node, r, None) in g for r in readings)
                dated = any((node, r, None) in curated for r in readings)
                if not (stated or dated):
                    text = g.value(node, prop)
                    yield Finding(
                        "dating",
                        curie_or(node),
                        f"{str(text)!r} ({g_name(g)}) has no curated {' or '.join(map(curie_or, readings))}",
                    )


def canonical_number(value: Literal) -> str | None:
    """The XSD canonical form of an integer or decimal (as Oxigraph prints it: 62.0 → "62"); None for others."""
    if value.ill_typed or value.datatype not in (XSD.integer, XSD.decimal):
        return None
    if value.datatype == XSD.integer:
        return str(int(str(value)))
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def check_numbers(ds: Dataset, root: Path) -> Iterator[Finding]:
    """Numbers in canonical form, so every engine prints the same text; counts, ranks and years as integers."""
    for g in [*article_graphs(ds), ds.graph(CURATED_GRAPH)]:
        for record, value in sorted(g.subject_objects(QDO.value)):
            if not isinstance(value, Literal):
                continue
            whole = g.value(record, QDO.unit) in WHOLE_UNITS
            if value.datatype != (XSD.integer if whole else XSD.decimal):
                kind = "a count, rank or number of years is an xsd:integer" if whole else "an amount is an xsd:decimal"
                yield Finding("numbers", curie_or(record), f"{kind}, got {value.n3()}")
            canonical = canonical_number(value)
            if canonical is not None and canonical != str(value):
                yield Finding("numbers", curie_or(record), f"{value.n3()} is not in canonical form ({canonical})")


#: Classes of concepts, whose altLabels are synonyms (SKOS), not names of one thing that must spell it.
CONCEPTS = (QDO.Industry, QDO.Technology, QDO.Recognition, QDO.Indicator)
#: Words too generic to show that two names spell the same thing.
_GENERIC = {"the", "of", "and", "for", "in", "a", "an", "platform", "province", "city", "committee", "industrial"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[0-9a-z]+", text.casefold()) if w not in _GENERIC}


def check_names(ds: Dataset, root: Path) -> Iterator[Finding]:
    """The entities file holds names, not readings: each skos:altLabel is a spelling an article uses (names no
    article uses go in skos:hiddenLabel), and a named thing's altLabel shares a word with its preferred
    label. An altLabel that identifies rather than spells ("Haier platform" for COSMOPlat) is an inference:
    it belongs in curated.ttl with a rationale."""
    texts = [normalise_space(path.read_text(encoding="utf-8")).casefold() for path in _article_files(ds, root)]
    entities = ds.graph(ENTITIES_GRAPH)
    for node, label in sorted(entities.subject_objects(SKOS.altLabel)):
        written = normalise_space(str(label)).casefold()
        if not any(written in text for text in texts):
            yield Finding(
                "names", curie_or(node), f"altLabel {str(label)!r} is in no article: make it a skos:hiddenLabel"
            )
            continue
        concept = any((node, RDF.type, cls) in entities for cls in CONCEPTS)
        preferred = entities.value(node, SKOS.prefLabel)
        if not concept and preferred is not None and not spells(str(label), str(preferred)):
            yield Finding(
                "names",
                curie_or(node),
                f"altLabel {str(label)!r} shares no word with {str(preferred)!r}: an identification, for curated.ttl",
            )


def spells(label: str, preferred: str) -> bool:
    """Whether ``label`` writes the preferred name another way: a word in common, or the same letters
    ("Zhaohaozhi", "Cosmo-Plat", "PRNewswire")."""
    squash = [re.sub(r"[^0-9a-z]", "", t.casefold()) for t in (label, preferred)]
    return bool(_words(label) & _words(preferred)) or squash[0] in squash[1] or squash[1] in squash[0]


def _article_files(ds: Dataset, root: Path) -> list[Path]:
    return [root / str(f) for g in article_graphs(ds) for f in g.objects(g.identifier, QDO.sourceFile)]


def check_curated_records(ds: Dataset, root: Path) -> Iterator[Finding]:
    """What curators derive cites the articles it comes from with prov:wasDerivedFrom, never dcterms:source or
    a quote: a query for "what a004 states" must not return it."""
    curated = ds.graph(CURATED_GRAPH)
    for record in _figures(curated):
        if (record, DCTERMS.source, None) in curated or (record, QDO.evidence, None) in curated:
            yield Finding(
                "curated",
                curie_or(record),
                "a derived record names its articles with prov:wasDerivedFrom, not dcterms:source or qdo:evidence",
            )
        if (record, PROV.wasDerivedFrom, None) not in curated:
            yield Finding("curated", curie_or(record), "a derived record says what it is derived from")


FIDELITY_CHECKS = {
    "domain-range": check_domains_and_ranges,
    "coverage": check_figures_covered,
    "dating": check_vague_dates,
    "numbers": check_numbers,
    "curated-records": check_curated_records,
    "names": check_names,
}
