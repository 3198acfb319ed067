"""The RDF formats kg reads and writes, each once: kg's name, what rdflib and pyoxigraph call it, its file
suffixes and media type, and whether it keeps named graphs. Every suffix table and format list derives from here,
so a format is never spelled ``json-ld`` in one place and ``jsonld`` in another."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class RdfFormat:
    name: str  # kg's name: --format, the API, file names
    rdflib: str  # rdflib's parser and serializer plugin name
    oxigraph: ox.RdfFormat
    suffixes: tuple[str, ...]  # the usual one first
    media_type: str
    quads: bool  # keeps named graphs (the others flatten the dataset to one graph)


RDF_FORMATS: dict[str, RdfFormat] = {
    f.name: f
    for f in (
        RdfFormat("turtle", "turtle", ox.RdfFormat.TURTLE, (".ttl", ".turtle"), "text/turtle", False),
        RdfFormat("trig", "trig", ox.RdfFormat.TRIG, (".trig",), "application/trig", True),
        RdfFormat("nquads", "nquads", ox.RdfFormat.N_QUADS, (".nq",), "application/n-quads", True),
        RdfFormat("nt", "nt", ox.RdfFormat.N_TRIPLES, (".nt",), "application/n-triples", False),
        RdfFormat("jsonld", "json-ld", ox.RdfFormat.JSON_LD, (".jsonld", ".json"), "application/ld+json", True),
        RdfFormat("xml", "xml", ox.RdfFormat.RDF_XML, (".rdf", ".xml", ".owl"), "application/rdf+xml", False),
        RdfFormat("n3", "n3", ox.RdfFormat.N3, (".n3",), "text/n3", False),
    )
}
#: What ``kg export`` writes, in the order the help lists them (N3 is read, never written).
EXPORT_FORMATS = ("turtle", "trig", "nquads", "nt", "jsonld", "xml")
#: File suffix → format.
BY_SUFFIX: dict[str, RdfFormat] = {suffix: f for f in RDF_FORMATS.values() for suffix in f.suffixes}
#: How ``kg query`` writes a SELECT or ASK answer, and a CONSTRUCT or DESCRIBE graph.
TABLE_FORMATS = ("table", "csv", "tsv", "json", "xml", "md")
GRAPH_RESULT_FORMATS = ("turtle", "nt", "jsonld")
#: What ``kg graph`` writes: an offline page, static figures (Graphviz), and files for other graph tools.
VIEW_FORMATS = ("html", "svg", "png", "pdf", "graphml", "gexf", "json")
FIGURES = ("svg", "png", "pdf")
