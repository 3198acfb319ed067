"""The gazetteer ingestion reads with: every entity's names, the indicators figures measure, the units and
qualifiers, and the class each kind of head noun names — all taken from the graph and the ontology, so that no
rule names an article's own strings.

``Vocabulary.from_dataset(ds, exclude=...)`` leaves one article out, as the evaluation does: an entity is
known only if another article's graph uses it, and only by the names another article's text writes (plus its
preferred label and search-only names), so a held-out article's own spellings are not given away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.dataset.paths import articles_dir
from kg.quality.fidelity import QUALIFIER_WORDS
from kg.quality.findings import article_graphs, normalise_space
from kg.vocab.namespaces import CURATED_GRAPH, DATA_BASE, ENTITIES_GRAPH, ONTOLOGY_IRI, QDO

#: Words that end the names of organisations, by the class they suggest; class labels from the ontology add
#: theirs ("Forum", "Factory", "Industrial park" …). Generic English, never a name from the data.
ORGANISATION_SUFFIXES: dict[str, URIRef] = {
    "group": QDO.Enterprise,
    "co": QDO.Enterprise,
    "corporation": QDO.Enterprise,
    "corp": QDO.Enterprise,
    "ltd": QDO.Enterprise,
    "inc": QDO.Enterprise,
    "commission": QDO.GovernmentBody,
    "bureau": QDO.GovernmentBody,
    "ministry": QDO.GovernmentBody,
    "government": QDO.GovernmentBody,
    "administration": QDO.GovernmentBody,
    "department": QDO.GovernmentBody,
    "committee": QDO.PartyCommittee,
    "center": QDO.InnovationCentre,
    "university": QDO.Organization,
    "institute": QDO.Organization,
    "academy": QDO.Organization,
    "association": QDO.Organization,
    "zone": QDO.IndustrialPark,
    "area": QDO.District,
    "project": QDO.Initiative,
    "action": QDO.Initiative,
    "policies": QDO.Policy,
    "measure": QDO.Policy,
    "opinion": QDO.Policy,
    "regulation": QDO.Policy,
    "guideline": QDO.Policy,
    "programme": QDO.Initiative,
    "program": QDO.Initiative,
    "exhibition": QDO.Event,
    "expo": QDO.Event,
    "summit": QDO.Conference,
    "community": QDO.Alliance,
    "infrastructure": QDO.Technology,
    "network": QDO.Technology,
    "consortium": QDO.Alliance,
}
#: Classes a proposal may take: what a name can be (records, units and articles are not named in text).
NAMEABLE = (
    QDO.Organization,
    QDO.Person,
    QDO.Place,
    QDO.Industry,
    QDO.Technology,
    QDO.Platform,
    QDO.Facility,
    QDO.Fund,
    QDO.Event,
    QDO.PolicyInstrument,
)


@dataclass(frozen=True)
class Name:
    """One way to write an entity: the text, which SKOS property gives it, and whether it is an identification
    the curators made (a name that does not spell the entity)."""

    text: str
    kind: URIRef
    identification: bool = False


@dataclass
class Entity:
    iri: URIRef
    classes: set[URIRef] = field(default_factory=set)
    names: list[Name] = field(default_factory=list)

    @property
    def label(self) -> str:
        preferred = [n.text for n in self.names if n.kind == SKOS.prefLabel]
        return preferred[0] if preferred else str(self.iri).rsplit("/", 1)[-1]


@dataclass
class Vocabulary:
    """What ingestion knows: entities (indicators among them), units, qualifiers and head nouns."""

    entities: dict[URIRef, Entity]
    units: dict[str, URIRef]
    qualifiers: dict[str, URIRef]
    heads: dict[str, URIRef]
    subclasses: dict[URIRef, set[URIRef]]

    def is_a(self, iri: URIRef, cls: URIRef) -> bool:
        entity = self.entities.get(iri)
        return entity is not None and any(cls in self.subclasses.get(c, {c}) for c in entity.classes)

    def of_class(self, cls: URIRef) -> list[Entity]:
        return [e for e in self.entities.values() if self.is_a(e.iri, cls)]

    @classmethod
    def from_dataset(cls, ds: Dataset, exclude: URIRef | None = None) -> Vocabulary:
        """The vocabulary of ``ds``; with ``exclude``, as if that article graph and its text were not there."""
        onto = ds.graph(ONTOLOGY_IRI)
        subclasses = _superclasses(onto)
        others = [g for g in article_graphs(ds) if g.identifier != exclude]
        allowed = _used_entities(others) if exclude is not None else None
        texts = _texts(others) if exclude is not None else None
        entities: dict[URIRef, Entity] = {}
        graphs = [ds.graph(ENTITIES_GRAPH), ds.graph(CURATED_GRAPH)]
        for g in graphs:
            for s, cls_ in g.subject_objects(RDF.type):
                if (
                    isinstance(s, URIRef)
                    and _is_entity(s)
                    and (allowed is None or s in allowed)
                    and isinstance(cls_, URIRef)
                ):
                    entities.setdefault(s, Entity(s)).classes.add(cls_)
        for g in graphs:
            curated = g.identifier == CURATED_GRAPH
            for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                for s, label in g.subject_objects(prop):
                    entity = entities.get(s)  # type: ignore[call-overload]
                    if entity is None:
                        continue
                    text = normalise_space(str(label))
                    written = texts is None or any(text.casefold() in t for t in texts)
                    if prop == SKOS.prefLabel or (prop == SKOS.hiddenLabel and not curated) or written:
                        entity.names.append(Name(text, prop, identification=curated))
        return cls(entities, *_controlled(onto), _heads(onto, subclasses), subclasses)


def _is_entity(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(DATA_BASE) and "/article/" not in str(node)


def _used_entities(graphs: Iterable[Graph]) -> set[Node]:
    """Entities an article graph names: in a statement or a record field (records and statements are not)."""
    used: set[Node] = set()
    for g in graphs:
        local = set(g.subjects(RDF.type, None))
        for s, p, o in g:
            if p == RDF.type:
                continue
            used.update(t for t in (s, o) if _is_entity(t) and t not in local)
    return used


def _texts(graphs: Iterable[Graph]) -> list[str]:
    root = articles_dir().parent.parent
    out = []
    for g in graphs:
        for f in g.objects(g.identifier, QDO.sourceFile):
            path = root / str(f)
            if path.is_file():
                out.append(normalise_space(path.read_text(encoding="utf-8")).casefold())
    return out


def _controlled(onto: Graph) -> tuple[dict[str, URIRef], dict[str, URIRef]]:
    """Unit and qualifier words from the ontology's labels (and the qualifier words the checks accept)."""
    units: dict[str, URIRef] = {}
    for unit in onto.subjects(RDF.type, QDO.Unit):
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in onto.objects(unit, prop):
                units[str(label).casefold()] = unit  # type: ignore[assignment]
    qualifiers: dict[str, URIRef] = {}
    for q in onto.subjects(RDF.type, QDO.Qualifier):
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in onto.objects(q, prop):
                qualifiers[str(label).casefold()] = q  # type: ignore[assignment]
    for q, words in QUALIFIER_WORDS.items():
        for word in words:
            qualifiers.setdefault(word, q)  # type: ignore[arg-type]
    return units, qualifiers


def _heads(onto: Graph, up: dict[URIRef, set[URIRef]]) -> dict[str, URIRef]:
    """Head noun (singular, lower case) → the class it suggests: the last word of each label of a class of named
    things, and whole two-word labels ("press conference"), over the generic organisation suffixes."""
    heads = dict(ORGANISATION_SUFFIXES)
    for cls in onto.subjects(RDF.type, OWL.Class):
        nameable = isinstance(cls, URIRef) and str(cls).startswith(str(QDO)) and up.get(cls, set()) & set(NAMEABLE)
        if not nameable:
            continue
        for label in onto.objects(cls, RDFS.label):
            words = re.findall(r"[a-z]+", str(label).casefold())
            if words and isinstance(cls, URIRef):
                heads.setdefault(" ".join(words[-2:]), cls)
                heads.setdefault(words[-1], cls)
    heads["centre"] = heads.get("centre", QDO.InnovationCentre)
    return heads


def _superclasses(onto: Graph) -> dict[URIRef, set[URIRef]]:
    up: dict[URIRef, set[URIRef]] = {}
    for cls in set(onto.subjects(RDF.type, OWL.Class)):
        if not isinstance(cls, URIRef):
            continue
        seen, todo = {cls}, [cls]
        while todo:
            for parent in onto.objects(todo.pop(), RDFS.subClassOf):
                if isinstance(parent, URIRef) and parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        up[cls] = seen
    return up
