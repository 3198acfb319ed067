"""The project's IRIs, declared once: the ontology base and the data base, and what derives from them."""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, NamespaceManager

ONTOLOGY_BASE = "https://w3id.org/qingdao-kg/ontology"
DATA_BASE = "https://w3id.org/qingdao-kg/id/"

ONTOLOGY_IRI = URIRef(ONTOLOGY_BASE)
QDO = Namespace(ONTOLOGY_BASE + "#")
QD = Namespace(DATA_BASE)
ART = Namespace(DATA_BASE + "article/")

GRAPH = Namespace(DATA_BASE + "graph/")
ENTITIES_GRAPH = GRAPH.entities
CURATED_GRAPH = GRAPH.curated
INFERRED_GRAPH = GRAPH.inferred

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
SOSA = Namespace("http://www.w3.org/ns/sosa/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")

#: Prefixes predeclared in every query and used when printing IRIs.
PREFIXES: dict[str, Namespace] = {
    "qdo": QDO,
    "qd": QD,
    "art": ART,
    "qdg": GRAPH,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
    "prov": Namespace(str(PROV)),
    "org": ORG,
    "schema": SCHEMA,
    "sosa": SOSA,
    "foaf": FOAF,
    "vann": VANN,
}

#: Vocabularies whose terms the data may use without the ontology declaring them.
STANDARD_VOCABULARIES: tuple[str, ...] = (
    str(RDF),
    str(RDFS),
    str(OWL),
    str(XSD),
    str(SKOS),
    str(DCTERMS),
    str(PROV),
    str(ORG),
    str(SCHEMA),
    str(SOSA),
    str(FOAF),
    str(VANN),
)


def bind_prefixes(target: Graph | NamespaceManager) -> None:
    """Bind the project's prefixes on a Graph, Dataset or NamespaceManager (ours win over rdflib's defaults)."""
    for prefix, ns in PREFIXES.items():
        target.bind(prefix, ns, override=True, replace=True)


def article_iri(short_id: str) -> URIRef:
    """IRI of an article (and of its named graph) from its short id, e.g. ``a002``."""
    return ART[short_id]
