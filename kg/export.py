"""The graph in the formats other RDF tools read, byte-identical run after run so exports diff cleanly in git.

rdflib writes every format, but only its Turtle writer orders its output; the others follow the
hash order of Python sets (different in every process) and label blank nodes at random. So the
export first renames blank nodes canonically (``rdflib.compare``) and then makes each writer's
order stable — see ``serialize``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.serializers.trig import TrigSerializer

from kg.errors import KGError
from kg.loader import new_dataset
from kg.namespaces import ENTITIES_GRAPH, GRAPH, INFERRED_GRAPH, ONTOLOGY_IRI, PREFIXES, article_iri, bind_prefixes
from kg.project import ARTICLE_FILE, project_root
from kg.resolve import curie

#: Our format names → rdflib's serializer names.
FORMATS: dict[str, str] = {
    "turtle": "turtle",
    "trig": "trig",
    "nquads": "nquads",
    "nt": "nt",
    "jsonld": "json-ld",
    "xml": "xml",
}
#: Formats that keep named graphs; the others flatten to the union.
QUAD_FORMATS = frozenset({"trig", "nquads", "jsonld"})
#: File suffix → format, so ``-o graph.trig`` needs no ``--format``.
SUFFIXES: dict[str, str] = {
    ".ttl": "turtle",
    ".trig": "trig",
    ".nq": "nquads",
    ".nt": "nt",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}
INFERRED_MODES = ("none", "add", "only")

Quad = tuple[Any, Any, Any, URIRef]


@dataclass(frozen=True)
class Scope:
    """What to export. ``with_ontology=None`` means: with it for the whole graph, without it for one graph."""

    graph: str | None = None
    entities_only: bool = False
    with_ontology: bool | None = None
    inferred: str = "none"  # none | add (as its own graph qdg:inferred) | only


@dataclass(frozen=True)
class Export:
    """A finished export: the text, which graphs it holds and, for flattening formats, a note saying so."""

    text: str
    fmt: str
    graphs: tuple[URIRef, ...]
    quads: int  # statements, one per graph that holds them
    triples: int  # distinct triples: what a format without graphs writes
    note: str | None


def context() -> dict[str, Any]:
    """The JSON-LD ``@context`` (``data/context.jsonld``): project prefixes and short keys for every property."""
    return _context_document()["@context"]


@cache
def _context_document() -> dict[str, Any]:
    path = project_root() / "data" / "context.jsonld"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KGError(f"{path}: cannot read the JSON-LD context: {exc}") from None


def named_graphs(ds: Dataset) -> list[URIRef]:
    """The non-empty named graphs of ``ds`` (the default graph and ``qdg:inferred`` excluded), sorted."""
    return sorted(
        g.identifier
        for g in ds.graphs()
        if g.identifier not in (DATASET_DEFAULT_GRAPH_ID, INFERRED_GRAPH) and len(g) > 0
    )


def resolve_graph(ds: Dataset, name: str) -> URIRef:
    """A graph named by article short id (``a001``), ``entities``/``curated``/``ontology``, CURIE or IRI."""
    if ARTICLE_FILE.match(f"{name}.ttl"):
        iri = article_iri(name)
    elif name == "ontology":
        iri = ONTOLOGY_IRI
    elif name in ("entities", "curated"):
        iri = GRAPH[name]
    elif ":" in name and name.split(":", 1)[0] in PREFIXES:
        prefix, local = name.split(":", 1)
        iri = URIRef(str(PREFIXES[prefix]) + local)
    else:
        iri = URIRef(name.strip("<>"))
    known = named_graphs(ds)
    if iri not in known:
        raise KGError(f"no graph {name!r}; the graphs are: {', '.join(curie(g) for g in known)}")
    return iri


def _graph_quads(ds: Dataset, iri: URIRef) -> Iterator[Quad]:
    for s, p, o in ds.graph(iri):
        yield s, p, o, iri


def _default_quads(ds: Dataset) -> Iterator[Quad]:
    """Triples users' N-Quads/TriG files put in the default graph (never the union view)."""
    for s, p, o, g in ds.quads((None, None, None, DATASET_DEFAULT_GRAPH_ID)):
        yield s, p, o, getattr(g, "identifier", g)


def _reasoning_input(ds: Dataset, graphs: Iterable[URIRef]) -> Dataset:
    """The selected graphs plus the ontology: what the reasoner needs to entail anything about them."""
    sub = new_dataset()
    for iri in {*graphs, ONTOLOGY_IRI}:
        target = sub.graph(iri)
        for triple in ds.graph(iri):
            target.add(triple)
    return sub


def select(ds: Dataset, scope: Scope = Scope()) -> list[Quad]:
    """The quads ``scope`` asks for. Inferred triples only ever come as their own graph ``qdg:inferred``."""
    if scope.inferred not in INFERRED_MODES:
        raise KGError(f"unknown inferred mode {scope.inferred!r}; choose one of {', '.join(INFERRED_MODES)}")
    if scope.graph is not None and scope.entities_only:
        raise KGError("--graph and --entities-only each choose one graph; give at most one of them")
    whole = scope.graph is None and not scope.entities_only
    if whole:
        chosen = named_graphs(ds)
    elif scope.entities_only:
        if ENTITIES_GRAPH not in named_graphs(ds):
            raise KGError("the dataset has no entities graph (qdg:entities)")
        chosen = [ENTITIES_GRAPH]
    else:
        chosen = [resolve_graph(ds, scope.graph)]
    with_ontology = whole if scope.with_ontology is None else scope.with_ontology
    if with_ontology and ONTOLOGY_IRI not in chosen and ONTOLOGY_IRI in named_graphs(ds):
        chosen.append(ONTOLOGY_IRI)
    elif not with_ontology and whole and ONTOLOGY_IRI in chosen:
        chosen.remove(ONTOLOGY_IRI)
    quads: list[Quad] = []
    if scope.inferred != "only":
        for iri in sorted(chosen):
            quads.extend(_graph_quads(ds, iri))
        if whole:
            quads.extend(_default_quads(ds))
    if scope.inferred != "none":
        from kg.reasoning import inferred_graph

        entailed = inferred_graph(ds if whole else _reasoning_input(ds, chosen))
        quads.extend((s, p, o, INFERRED_GRAPH) for s, p, o in entailed)
    return quads


def canonical_quads(quads: list[Quad]) -> list[Quad]:
    """The same quads with blank nodes renamed canonically, so their labels do not change from run to run.

    rdflib's canonical labelling works on triples, so each quad is encoded as a triple whose predicate
    also names the graph; blank nodes shared between graphs stay shared.
    """
    if not any(isinstance(t, BNode) for q in quads for t in q[:3]):
        return quads
    if any(isinstance(q[3], BNode) for q in quads):
        raise KGError("graphs named by blank nodes cannot be exported reproducibly; name them with IRIs")
    graphs = sorted({q[3] for q in quads})
    predicates = sorted({q[1] for q in quads})
    graph_no = {g: i for i, g in enumerate(graphs)}
    predicate_no = {p: i for i, p in enumerate(predicates)}
    encoded = Graph()
    for s, p, o, g in quads:
        encoded.add((s, URIRef(f"urn:kg-export:{graph_no[g]}:{predicate_no[p]}"), o))
    out: list[Quad] = []
    for s, code, o in to_canonical_graph(encoded):
        g_index, p_index = str(code).rsplit(":", 2)[1:]
        out.append((s, predicates[int(p_index)], o, graphs[int(g_index)]))
    return out


def _dataset(quads: list[Quad]) -> Dataset:
    out = new_dataset()
    out.default_union = False
    for s, p, o, g in quads:
        out.graph(g).add((s, p, o))
    return out


class _SortedGraph(Graph):
    """A Graph that yields its triples in sorted order, so writers that walk it (RDF/XML) write in that order."""

    def triples(self, triple, *args, **kwargs):  # type: ignore[override]
        yield from sorted(super().triples(triple, *args, **kwargs), key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))


class _SortedTrigSerializer(TrigSerializer):
    """rdflib's TriG writer orders subjects within a graph but takes graphs in set order; sort them too."""

    def __init__(self, store: Dataset):
        super().__init__(store)
        self.contexts.sort(key=lambda g: (g.identifier != self.default_context, str(g.identifier)))


def _union(quads: list[Quad], cls: type[Graph] = Graph) -> Graph:
    union = cls(bind_namespaces="core")
    bind_prefixes(union)
    for s, p, o, _ in quads:
        union.add((s, p, o))
    return union


def _rdfxml(graph: Graph) -> str:
    """Flat RDF/XML (one rdf:Description per subject).

    Not rdflib's "pretty-xml": it drops blank nodes it cannot nest (its last loop writes the wrong node).
    Prefixes for namespaces the project does not name (ns1, ns2, ...) are handed out in sorted order
    first, as the writer would otherwise number them in set order.
    """
    nm = graph.namespace_manager
    try:
        for predicate in sorted(set(graph.predicates())):
            nm.compute_qname_strict(predicate)
        return graph.serialize(format="xml")
    except ValueError as exc:
        raise KGError(f"cannot write RDF/XML: {exc} (use another format)") from None


def _sorted_lines(text: str) -> str:
    """N-Triples/N-Quads lines are independent statements, so sorting them is the canonical form."""
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return "\n".join(lines) + "\n" if lines else ""


_KEY_RANK = {"@context": 0, "id": 1, "@id": 1, "type": 2, "@type": 2, "@graph": 4}


def _sorted_json(value: Any, key: str | None = None) -> Any:
    """JSON-LD in a stable order: keys sorted (id and type first), arrays sorted, except ``@list`` and ``@context``."""
    if isinstance(value, dict):
        if key == "@context":
            return value
        return {k: _sorted_json(value[k], k) for k in sorted(value, key=lambda k: (_KEY_RANK.get(k, 3), k))}
    if isinstance(value, list):
        items = [_sorted_json(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def serialize(quads: list[Quad], fmt: str) -> str:
    """Write ``quads`` in ``fmt`` in a stable order; triple formats write the union of the graphs."""
    if fmt not in FORMATS:
        raise KGError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    quads = canonical_quads(quads)
    if fmt == "turtle":  # rdflib's Turtle writer sorts subjects, predicates and objects itself
        return _union(quads).serialize(format="turtle")
    if fmt == "nt":
        return _sorted_lines(_union(quads).serialize(format="nt"))
    if fmt == "xml":
        return _rdfxml(_union(quads, _SortedGraph))
    ds = _dataset(quads)
    if fmt == "nquads":
        return _sorted_lines(ds.serialize(format="nquads"))
    if fmt == "trig":
        from io import BytesIO

        buffer = BytesIO()
        _SortedTrigSerializer(ds).serialize(buffer, encoding="utf-8")
        return buffer.getvalue().decode("utf-8")
    document = _sorted_json(json.loads(ds.serialize(format="json-ld", context=context(), auto_compact=True)))
    document["@context"] = context()  # as documented in data/context.jsonld, in its own order
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_FLAT_NAMES = {"turtle": "Turtle", "nt": "N-Triples", "xml": "RDF/XML"}


def _flatten_note(graphs: tuple[URIRef, ...], default: bool, fmt: str, triples: int) -> str:
    names = [*(curie(g) for g in graphs), *(["the default graph"] if default else [])]
    return (
        f"{_FLAT_NAMES[fmt]} holds no named graphs: these {triples} triples are the union of "
        f"{len(names)} graph(s) ({', '.join(names)}); "
        "export as trig, nquads or jsonld to keep which source states each triple."
    )


def export(ds: Dataset, fmt: str = "turtle", scope: Scope = Scope()) -> Export:
    """Export ``scope`` of ``ds`` as ``fmt``: deterministic text, the graphs it holds, a note when flattened."""
    if fmt not in FORMATS:
        raise KGError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    quads = select(ds, scope)
    graphs = tuple(sorted({q[3] for q in quads} - {DATASET_DEFAULT_GRAPH_ID}))
    triples = len({q[:3] for q in quads})
    text = serialize(quads, fmt)
    note = None
    if fmt not in QUAD_FORMATS:
        note = _flatten_note(graphs, any(q[3] == DATASET_DEFAULT_GRAPH_ID for q in quads), fmt, triples)
        if fmt == "turtle":
            header = "".join(f"# {line}\n" for line in _wrap(f"Qingdao industrial knowledge graph. {note}"))
            text = header + "\n" + text
    return Export(text=text, fmt=fmt, graphs=graphs, quads=len(quads), triples=triples, note=note)


def _wrap(text: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
