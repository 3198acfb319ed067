"""`kg stats`: how big the graph is and where its facts come from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdflib import Dataset, URIRef
from rdflib.namespace import DCTERMS, RDF
from rdflib.term import IdentifiedNode

from kg.dataset.resolve import curie, label_of
from kg.report.terminal import one_line
from kg.vocab.namespaces import ENTITIES_GRAPH, QDO


@dataclass
class Stats:
    """Counts per graph, per entity class, per figure kind and per source article."""

    graphs: list[tuple[str, int]]
    classes: list[tuple[str, int]]
    figures: list[tuple[str, int, int, int]]  # source, observations, targets, backed statements
    articles: list[tuple[str, str, str]]  # short id, date, title
    total: int


def compute_stats(ds: Dataset) -> Stats:
    graphs = sorted(((curie(g.identifier), len(g)) for g in ds.graphs() if len(g)), key=lambda x: x[0])
    entities = ds.graph(ENTITIES_GRAPH)
    per_class: Counter[str] = Counter()
    for s in set(entities.subjects(RDF.type, None)):
        for t in entities.objects(s, RDF.type):
            per_class[label_of(ds, t) if isinstance(t, URIRef) else str(t)] += 1
    figures = []
    articles = []
    for art in sorted(a for a in ds.subjects(RDF.type, QDO.Article) if isinstance(a, IdentifiedNode)):
        sid = str(ds.value(art, QDO.shortId))
        g = ds.graph(art)
        figures.append(
            (
                sid,
                len(set(g.subjects(RDF.type, QDO.Observation))),
                len(set(g.subjects(RDF.type, QDO.Target))),
                len(set(g.subjects(RDF.type, RDF.Statement))),
            )
        )
        date = ds.value(art, DCTERMS.date)
        articles.append((sid, str(date) if date else "(not printed)", str(ds.value(art, DCTERMS.title))))
    return Stats(graphs, sorted(per_class.items(), key=lambda x: (-x[1], x[0])), figures, articles, len(ds))


def format_stats(st: Stats) -> str:
    """The report for the terminal; control characters in names and titles are shown as escapes."""
    out = [f"Triples: {st.total}", "", "Triples per graph:"]
    out += [f"  {one_line(name):<28} {n:>6}" for name, n in st.graphs]
    out += ["", "Entities per class (shared entities graph):"]
    out += [f"  {one_line(name):<28} {n:>6}" for name, n in st.classes]
    out += ["", "Per article:           observations  targets  backed statements"]
    out += [f"  {one_line(sid):<20} {o:>12} {t:>8} {s:>18}" for sid, o, t, s in st.figures]
    out += ["", "Sources:"]
    out += [f"  {one_line(sid)}  {one_line(date):<13}  {one_line(title)}" for sid, date, title in st.articles]
    return "\n".join(out)
