"""One colour per class, the same in every drawing: the HTML page, the static figures, notebooks, the workbench.

Colours were picked once for the ontology's families of classes, not handed out by frequency per view
(which made Enterprise red in one view and blue in the next). The chromatic colours are Paul Tol's
"muted" scheme plus Okabe and Ito's blue and orange, both designed to stay apart under the common
colour-vision deficiencies; figures and indicators, the many small records, are mid grey and articles
dark grey, so the named entities stand out. A class without a colour of its own takes its nearest
superclass's (rdfs:subClassOf in ontology.ttl, breadth first, then by CURIE, so always the same one);
a node with classes of several families takes the family listed first (the more specific: Platform
before Enterprise, so COSMOPlat is a platform). Each family is one legend entry, so no two entries of
a legend share a colour; the entry names the classes it stands for in that view.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDFS

from kg.dataset.paths import project_root
from kg.dataset.resolve import curie, expand_name
from kg.vocab.namespaces import QDO


@dataclass(frozen=True)
class Family:
    """Classes drawn in one colour: ``classes`` and all their subclasses."""

    name: str
    colour: str
    classes: tuple[URIRef, ...]


#: Most specific first: a node of several families is drawn in the first one's colour.
FAMILIES = (
    Family("Industrial internet platform", "#CC6677", (QDO.Platform,)),
    Family("Industrial cluster", "#44AA99", (QDO.Cluster,)),
    Family("Facility (factory, industrial park)", "#332288", (QDO.Facility,)),
    Family("Enterprise", "#0072B2", (QDO.Enterprise,)),
    Family("Other organisation", "#88CCEE", (QDO.Organization,)),
    Family("Person and post", "#AA4499", (QDO.Person, QDO.PostHolding)),
    Family("Place", "#DDCC77", (QDO.Place,)),
    Family("Industry", "#117733", (QDO.Industry,)),
    Family("Technology, recognition", "#999933", (QDO.Technology, QDO.Recognition)),
    Family("Plan, policy, initiative, fund", "#882255", (QDO.PolicyInstrument, QDO.Fund)),
    Family("Event", "#E69F00", (QDO.Event,)),
    Family("Figure, target, indicator", "#9A9A9A", (QDO.Figure, QDO.Indicator)),
    Family("Article", "#4D4D4D", (QDO.Article,)),
)
OTHER = Family("Other", "#DDDDDD", ())

#: Drawing conventions shared by the interactive and the static figures.
NODE_FONT_PX = 14
EDGE_FONT_PX = 12
EDGE_FONT_COLOUR = "#333333"
EDGE_COLOUR = "#8a8f96"
PATH_COLOUR = "#000000"
KIND_NAMES = {
    "entity": "entity",
    "record": "record (figure, target, post)",
    "article": "article",
    "literal": "value",
    "ontology": "ontology term",
    "statement": "statement (reification)",
    "resource": "resource without a class",
}


@cache
def _superclasses() -> dict[URIRef, tuple[URIRef, ...]]:
    """rdfs:subClassOf of the shipped ontology (read once): class → direct superclasses, sorted by CURIE.
    Read by Oxigraph's parser, which takes milliseconds where rdflib's takes most of a second."""
    sub_class_of = ox.NamedNode(str(RDFS.subClassOf))
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for triple in ox.parse(path=project_root() / "ontology.ttl", format=ox.RdfFormat.TURTLE):
        sub, sup = triple.subject, triple.object
        if triple.predicate == sub_class_of and isinstance(sub, ox.NamedNode) and isinstance(sup, ox.NamedNode):
            supers[URIRef(sub.value)].add(URIRef(sup.value))
    return {c: tuple(sorted(s, key=curie)) for c, s in supers.items()}


@cache
def family_of_class(cls: URIRef) -> int | None:
    """Index in ``FAMILIES`` of a class: its own family, else its nearest superclass's; None for no family."""
    own = {c: i for i, f in enumerate(FAMILIES) for c in f.classes}
    supers = _superclasses()
    seen, level = {cls}, [cls]
    while level:
        found = [own[c] for c in level if c in own]
        if found:
            return min(found)
        level = [s for c in level for s in supers.get(c, ()) if s not in seen]
        seen.update(level)
    return None


def family(data: dict) -> Family:
    """The family a node's classes (its ``class`` attribute, CURIEs) put it in."""
    found = [family_of_class(iri) for c in data.get("class", "").split() if (iri := expand_name(c)) is not None]
    indices = [i for i in found if i is not None]
    return FAMILIES[min(indices)] if indices else OTHER


def colour(data: dict) -> str:
    """The fill colour of a node."""
    return family(data).colour


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG relative luminance)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


@dataclass(frozen=True)
class LegendEntry:
    name: str
    colour: str
    classes: tuple[str, ...]  # the class labels this entry stands for in the view
    count: int


def legend(nodes: list[dict]) -> list[LegendEntry]:
    """One entry per family present (so one per colour), in ``FAMILIES`` order, "Other" last."""
    order = {f.name: i for i, f in enumerate((*FAMILIES, OTHER))}
    counts: dict[Family, int] = defaultdict(int)
    names: dict[Family, set[str]] = defaultdict(set)
    for data in nodes:
        fam = family(data)
        counts[fam] += 1
        names[fam].add(data.get("group") or data.get("kind") or "no class")
    return [
        LegendEntry(f.name, f.colour, tuple(sorted(names[f], key=str.casefold)), counts[f])
        for f in sorted(counts, key=lambda f: order[f.name])
    ]


def palette() -> dict[str, object]:
    """The palette as data, for other pages (the workbench): families with their colours and every ontology
    class's colour, keyed by CURIE."""
    classes = set(_superclasses()) | {c for f in FAMILIES for c in f.classes}
    by_class = {}
    for cls in sorted(classes, key=curie):
        index = family_of_class(cls)
        if index is not None:
            by_class[curie(cls)] = FAMILIES[index].colour
    return {
        "families": [{"name": f.name, "colour": f.colour, "classes": [curie(c) for c in f.classes]} for f in FAMILIES]
        + [{"name": OTHER.name, "colour": OTHER.colour, "classes": []}],
        "classes": by_class,
    }


def palette_json() -> str:
    """``palette()`` as JSON (ASCII only, so it can be served or inlined as is)."""
    return json.dumps(palette(), indent=1)
