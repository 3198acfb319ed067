"""The graph in the formats other RDF tools read, byte-identical run after run so exports diff cleanly in git.

rdflib writes Turtle, TriG, JSON-LD and RDF/XML, Oxigraph N-Triples and N-Quads. Only rdflib's Turtle
writer orders its output; the others follow the hash order of Python sets (different in every process)
and label blank nodes at random. So the export first renames blank nodes canonically (``rdflib.compare``)
and then makes each writer's order stable — see ``serialize``.

Lossless or refused: rdflib's writers changed what they wrote (numbers rewritten from their value,
``Infinity`` in JSON, datatypes dropped, undeclared prefixes, blank nodes left out), so the writers here
keep every lexical form as it is, and every export is read back by Oxigraph and compared with what was
to be written; what a format cannot carry is refused, naming the statement and a format that keeps it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from io import BytesIO
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD
from rdflib.plugins.serializers.jsonld import Converter
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.plugins.shared.jsonld.context import Context
from rdflib.term import IdentifiedNode, Identifier, Node

from kg.dataset.paths import ARTICLE_FILE, project_root
from kg.dataset.resolve import curie
from kg.engines.rdflib import new_dataset
from kg.engines.terms import LANG_STRING_TYPES, check_quads, graph_from_ox, show_term, term_from_ox
from kg.errors import KGError
from kg.query.reasoning import inferred_graph
from kg.vocab.formats import BY_SUFFIX, EXPORT_FORMATS, RDF_FORMATS
from kg.vocab.namespaces import (
    ENTITIES_GRAPH,
    GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    article_iri,
    bind_prefixes,
)

if TYPE_CHECKING:
    from rdflib.graph import _TripleOrTriplePathType, _TripleSelectorType

#: Our format names → rdflib's serializer names.
FORMATS: dict[str, str] = {name: RDF_FORMATS[name].rdflib for name in EXPORT_FORMATS}
#: Formats that keep named graphs; the others flatten to the union.
QUAD_FORMATS = frozenset(name for name in EXPORT_FORMATS if RDF_FORMATS[name].quads)
#: File suffix → format, so ``-o graph.trig`` needs no ``--format``.
SUFFIXES: dict[str, str] = {suffix: f.name for suffix, f in BY_SUFFIX.items() if f.name in EXPORT_FORMATS}
INFERRED_MODES = ("none", "add", "only")

Quad = tuple[Node, Node, Node, IdentifiedNode]


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
    graphs: tuple[IdentifiedNode, ...]
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


def named_graphs(ds: Dataset) -> list[IdentifiedNode]:
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


def _graph_quads(ds: Dataset, iri: IdentifiedNode) -> Iterator[Quad]:
    for s, p, o in ds.graph(iri):
        yield s, p, o, iri


def _default_quads(ds: Dataset) -> Iterator[Quad]:
    """Triples users' N-Quads/TriG files put in the default graph (never the union view)."""
    # rdflib takes a graph's name here (ConjunctiveGraph._graph resolves it), though its stub asks for a Graph
    for s, p, o, g in ds.quads((None, None, None, DATASET_DEFAULT_GRAPH_ID)):  # type: ignore[arg-type]
        name = getattr(g, "identifier", g)
        yield s, p, o, name if name is not None else DATASET_DEFAULT_GRAPH_ID


def _reasoning_input(ds: Dataset, graphs: Iterable[IdentifiedNode]) -> Dataset:
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
    chosen: list[IdentifiedNode]
    if whole:
        chosen = named_graphs(ds)
    elif scope.entities_only:
        if ENTITIES_GRAPH not in named_graphs(ds):
            raise KGError("the dataset has no entities graph (qdg:entities)")
        chosen = [ENTITIES_GRAPH]
    else:
        assert scope.graph is not None  # not the whole dataset nor the entities: a graph was named
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
    predicates = sorted({q[1] for q in quads if isinstance(q[1], Identifier)})  # every term is an Identifier
    graph_no = {g: i for i, g in enumerate(graphs)}
    predicate_no: dict[Node, int] = {p: i for i, p in enumerate(predicates)}
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

    def triples(  # type: ignore[override]
        self, triple: _TripleSelectorType, *args: Any, **kwargs: Any
    ) -> Generator[_TripleOrTriplePathType, None, None]:
        yield from sorted(super().triples(triple, *args, **kwargs), key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))


# --- literals as written ---------------------------------------------------------------------------------------

#: The Turtle tokens a number or boolean may be written as bare, and which rdflib's reader also keeps as written
#: (it reads integers through int() and decimals through Decimal(), so "01" and "0.0000001" would change).
_BARE = {
    XSD.integer: re.compile(r"0|-?[1-9][0-9]*"),
    XSD.decimal: re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+"),
    XSD.double: re.compile(r"[+-]?([0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+)"),
    XSD.boolean: re.compile(r"true|false"),
}


def _bare_keeps(literal: Literal) -> bool:
    pattern = _BARE.get(literal.datatype) if literal.datatype is not None else None
    lexical = str(literal)
    if pattern is None or not pattern.fullmatch(lexical):
        return False
    if literal.datatype == XSD.decimal:
        try:
            return str(Decimal(lexical)) == lexical
        except InvalidOperation:
            return False
    return True


class LexicalTurtle(TurtleSerializer):
    """rdflib's Turtle writer, but every literal written as its very lexical form.

    rdflib writes numbers and booleans bare from their *value* ("1.0E0"^^xsd:double as 1e+00, "01"^^xsd:integer
    as 1, "1"^^xsd:boolean as 1, an integer) and rewrites "inf"/"nan" in a quoted one; here a literal is
    written bare only when that token is its lexical form, else quoted with its datatype. rdflib's long-string
    quoting breaks on a string ending in a backslash and a quote; such a string is written in N-Triples form.
    """

    _declared: set[str] | None = None  # the prefixes written at the top, once they are

    def reset(self) -> None:
        super().reset()
        self._declared = None

    def startDocument(self) -> None:
        super().startDocument()
        self._declared = set(self.namespaces)

    def get_pname(self, uri: Any, gen_prefix: bool = True) -> str | None:
        """A prefixed name only when it reads back as ``uri``; else None, and the IRI is written in full.

        rdflib may split an IRI inside a percent-escape (http://example.org/%41 as ``%`` and ``41``), declaring
        a prefix that is no IRI; and its TriG writer names a graph with a prefix another graph's predicate
        made up after the prefixes were written, so never declared.
        """
        pname = super().get_pname(uri, gen_prefix)
        if pname is None:
            return None
        prefix = pname.split(":", 1)[0]
        if self._declared is not None:
            return pname if prefix in self._declared else None
        if not _is_iri(self.namespaces[prefix]):
            del self.namespaces[prefix]  # not to be declared: no IRI can use it
            return None
        return pname

    def isValidList(self, l_: Any) -> bool:
        """A list written as ``( … )`` only when none of its nodes is written already.

        rdflib takes subjects in order of their reference counts, so the tail of a list hanging off a blank node
        that only refers to itself comes before the list; rdflib then writes that tail a second time inside
        ``( … )``, and the Turtle reads back with one blank node more. Such a list is written node by node.
        """
        if not super().isValidList(l_):
            return False
        node = l_
        while node is not None and node != RDF.nil:
            if self.isDone(node):
                return False
            node = self.store.value(node, RDF.rest)
        return True

    def label(self, node: Any, position: int) -> str:
        if not isinstance(node, Literal):
            return super().label(node, position)
        if node.datatype in _BARE and _bare_keeps(node):
            return str(node)
        quoted = node._quote_encode()
        if quoted.startswith('"""') and not _reads_back(quoted, str(node)):
            quoted = str(ox.Literal(str(node)))
        if node.language:
            return f"{quoted}@{node.language}"
        if node.datatype:
            return f"{quoted}^^{self.get_pname(node.datatype, False) or f'<{node.datatype}>'}"
        return quoted


@lru_cache(maxsize=4096)  # a graph has few namespaces, each asked about once per term
def _is_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _reads_back(quoted: str, lexical: str) -> bool:
    try:
        [quad] = ox.parse(f"<x:s> <x:p> {quoted} .".encode(), format=ox.RdfFormat.TURTLE)
    except (SyntaxError, ValueError):
        return False
    return quad.object.value == lexical


class _SortedTrigSerializer(TrigSerializer, LexicalTurtle):
    """rdflib's TriG writer orders subjects within a graph but takes graphs in set order; sort them too."""

    def __init__(self, store: Dataset):
        super().__init__(store)
        self.contexts.sort(key=lambda g: (g.identifier != self.default_context, str(g.identifier)))


def lexical_turtle(graph: Graph) -> str:
    """Turtle of ``graph`` with every literal in its own lexical form (see LexicalTurtle)."""
    buffer = BytesIO()
    LexicalTurtle(graph).serialize(buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


#: XSD types rdflib writes as JSON numbers and booleans, and when that keeps the lexical form: JSON-LD reads a
#: JSON number back in canonical form, "1.0E0"-style for doubles (which only readers agree on when the form
#: was canonical to start with), and integers beyond 2^53 not at all exactly in JavaScript.
_JSON_NATIVE = {
    XSD.integer: re.compile(r"0|-?[1-9][0-9]{0,14}"),
    XSD.boolean: re.compile(r"true|false"),
    XSD.double: re.compile(r"(?!)"),  # matches nothing: a double is never a JSON number
}


class _LexicalConverter(Converter):
    """rdflib's JSON-LD converter, with what it loses written faithfully.

    rdflib turns on native types whenever a context is active: "abc"^^xsd:integer became "abc" (its datatype
    lost), "INF"^^xsd:double the invalid JSON ``Infinity``, "01"^^xsd:integer ``1``. Here a literal becomes a
    JSON number or boolean only when that reads back as the same lexical form; otherwise it is written
    ``{"@value": "…", "@type": "…"}``. An rdf:type whose object is not an IRI, which rdflib put under ``@type``
    (only IRIs can be there), is written as the property it is.
    """

    def to_raw_value(self, graph: Graph, s: Any, o: Any, nodemap: dict[str, Any]) -> Any:
        pattern = _JSON_NATIVE.get(o.datatype) if isinstance(o, Literal) and o.datatype is not None else None
        if pattern is not None and not pattern.fullmatch(str(o)):
            return {self.context.type_key: self.context.to_symbol(o.datatype), self.context.value_key: str(o)}
        return super().to_raw_value(graph, s, o, nodemap)

    def add_to_node(self, graph: Graph, s: Any, p: Any, o: Any, s_node: dict[str, Any], nodemap: Any) -> None:
        for key, value in s_node.items():  # rdflib replaces a falsy value ("", 0, false) by the next one, not adds
            if not value and not isinstance(value, (list, dict)):
                s_node[key] = [value]
        self.use_rdf_type = p == RDF.type and not isinstance(o, URIRef)
        try:
            super().add_to_node(graph, s, p, o, s_node, nodemap)
        finally:
            self.use_rdf_type = False

    def from_graph(self, graph: Graph) -> list[Any]:
        """rdflib starts from IRIs and unreferenced blank nodes and reaches the others through the values that name
        them, so it left out blank nodes that only refer to each other (a cycle), and a list whose head a context
        term typed ``@id`` names (``"builtBy": "_:b0"``, not ``@list``). Every blank node not written inside an
        ``@list`` gets its node."""
        self._listed: set[BNode] = set()
        nodemap = {node[self.context.id_key]: node for node in super().from_graph(graph)}
        blanks = sorted({s for s in graph.subjects() if isinstance(s, BNode)})
        firsts = (  # nodes that may refer to lists before list nodes, list heads before their tails
            lambda s: Converter.to_collection(self, graph, s) is None,
            lambda s: (None, RDF.rest, s) not in graph,
            lambda s: True,
        )
        for first in firsts:
            for s in blanks:  # one at a time: a node written may write others, or lists
                if s.n3() not in nodemap and s not in self._listed and first(s):
                    self.process_subject(graph, s, nodemap)
        return list(nodemap.values())

    def to_collection(self, graph: Graph, l_: Any) -> list[Any] | None:
        """The items of the list at ``l_`` (None: not a well-formed list), its nodes noted as written."""
        items = super().to_collection(graph, l_)
        node = l_
        while items is not None and isinstance(node, BNode):
            self._listed.add(node)
            node = graph.value(node, RDF.rest)
        return items

    def convert(self, graph: Graph) -> Any:
        """rdflib writes the default graph, when it has more than one node, as an item ``{"@graph": […]}`` beside
        the named graphs: a graph named by a blank node, to any JSON-LD reader. Its nodes go to the top."""
        document = super().convert(graph)
        if not isinstance(document, list):
            return document
        items: list[Any] = []
        for item in document:
            unnamed = self.context.id_key not in item and self.context.graph_key in item
            items.extend(item[self.context.graph_key] if unnamed and len(item) == 1 else [item])
        return {self.context.graph_key: items}


@cache
def _parsed_context() -> Context:
    """The context as rdflib's JSON-LD writer reads it: parsed once (its 60-odd terms cost a millisecond each
    time), which matters when a site writes a JSON-LD twin for every page. Converting only reads it."""
    return Context(context())


def _jsonld(ds: Dataset) -> str:
    """JSON-LD with the project's context, compacted as rdflib's serializer does (``from_rdf``)."""
    ctx = context()
    document = _LexicalConverter(_parsed_context(), use_native_types=True, use_rdf_type=False).convert(ds)
    document["@context"] = ctx  # first, and as documented in data/context.jsonld, in its own order
    document = _sorted_json(document)
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _union(quads: list[Quad], cls: type[Graph] = Graph) -> Graph:
    union = cls(bind_namespaces="core")
    bind_prefixes(union)
    for s, p, o, _ in quads:
        union.add((s, p, o))
    return union


#: Characters XML 1.0 cannot hold, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _rdfxml(graph: Graph) -> str:
    """Flat RDF/XML (one rdf:Description per subject).

    Not rdflib's "pretty-xml": it drops blank nodes it cannot nest (its last loop writes the wrong node).
    Prefixes for namespaces the project does not name (ns1, ns2, ...) are handed out in sorted order
    first, as the writer would otherwise number them in set order.
    """
    nm = graph.namespace_manager
    for predicate in sorted({p for p in graph.predicates() if isinstance(p, Identifier)}):  # all are Identifiers
        try:
            prefix, _, local = nm.compute_qname_strict(predicate)
        except ValueError:
            prefix = local = ""
        if not _is_xml_name(prefix, local):  # rdflib also splits http://example.org/%e2%82%ac into ns1:e2%82%ac
            triples = graph.triples((None, predicate, None))
            lost = _ox_statements([(s, p, o, DATASET_DEFAULT_GRAPH_ID) for s, p, o in triples], False)
            raise _Lost(lost, [], "has a predicate RDF/XML cannot write as an XML name")
    return graph.serialize(format="xml")


def _is_xml_name(prefix: str, local: str) -> bool:
    """Whether ``prefix:local`` is an XML element name, as expat (a strict XML parser) reads one."""
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(f'<{prefix}:{local} xmlns:{prefix}="urn:x"/>', True)
    except expat.ExpatError:
        return False
    return True


def _sorted_lines(text: str) -> str:
    """N-Triples/N-Quads lines are independent statements, so sorting them is the canonical form.

    Split at line feeds only: str.splitlines() also splits at U+2028, U+0085 and others a literal may hold.
    """
    lines = sorted({line for line in text.split("\n") if line.strip()})
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


# --- writing, and proving nothing was lost ---------------------------------------------------------------------

#: Our format names → pyoxigraph's, for writing the line formats and reading every export back.
OXIGRAPH_FORMATS = {name: RDF_FORMATS[name].oxigraph for name in EXPORT_FORMATS}
#: Where to point a user whose data a format cannot carry, most faithful first.
_FALLBACKS = ("nquads", "trig", "nt", "turtle", "jsonld", "xml")


class _Lost(KGError):
    """The written text reads back as other data than was written: the statements it changed, and why if known."""

    def __init__(self, lost: list[ox.Quad], gained: list[ox.Quad], why: str | None = None):
        super().__init__("lost")
        self.lost, self.gained, self.why = lost, gained, why


def _write(quads: list[Quad], statements: list[ox.Quad], fmt: str) -> str:
    """``quads`` (blank nodes already labelled canonically; ``statements`` as Oxigraph holds them) in ``fmt``,
    in a stable order."""
    if fmt == "turtle":  # rdflib's Turtle writer sorts subjects, predicates and objects itself
        return lexical_turtle(_union(quads))
    if fmt in ("nt", "nquads"):  # Oxigraph's writer: rdflib's leaves control characters raw, which its reader refuses
        written = ox.serialize(statements, format=OXIGRAPH_FORMATS[fmt])
        assert written is not None  # given no output, pyoxigraph returns the bytes
        return _sorted_lines(written.decode("utf-8"))
    if fmt == "xml":
        return _rdfxml(_union(quads, _SortedGraph))
    ds = _dataset(quads)
    if fmt == "trig":
        buffer = BytesIO()
        _SortedTrigSerializer(ds).serialize(buffer, encoding="utf-8")
        return buffer.getvalue().decode("utf-8")
    return _jsonld(ds)


def _ox_term(term: Any) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if term.language:
        return ox.Literal(term, language=term.language)
    if term.datatype in LANG_STRING_TYPES:
        raise ValueError("a language string without a language")
    return ox.Literal(term, datatype=ox.NamedNode(term.datatype) if term.datatype else None)


def _ox_statements(quads: list[Quad], keep_graphs: bool) -> list[ox.Quad]:
    """``quads`` as Oxigraph quads (the union of their triples unless ``keep_graphs``), each statement once.

    Oxigraph checks every term as it takes it; on a term it refuses, KGError says which and why.
    """
    out: dict[ox.Quad, None] = {}
    try:
        for s, p, o, g in quads:
            graph = _ox_term(g) if keep_graphs and g != DATASET_DEFAULT_GRAPH_ID else ox.DefaultGraph()
            out[ox.Quad(_ox_term(s), _ox_term(p), _ox_term(o), graph)] = None
    except (ValueError, TypeError, AttributeError, UnicodeEncodeError) as exc:
        check_quads(quads, "cannot export", KGError)  # names the term and the reason
        raise KGError(f"cannot export: Oxigraph refuses a term ({exc})") from None
    return list(out)


def _canonical(statements: Iterable[ox.Quad]) -> set[ox.Quad]:
    dataset = ox.Dataset(statements)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def _verify(statements: list[ox.Quad], fmt: str, text: str, blank_nodes: bool) -> None:
    """Read ``text`` back with Oxigraph, an independent and strict parser, and raise _Lost unless it gives
    exactly ``statements`` (blank nodes up to renaming: both sides are labelled canonically if there are any)."""
    written = _canonical(statements) if blank_nodes else set(statements)
    if fmt == "xml":
        _verify_xml(written, text)
    try:
        parsed = ox.parse(text.encode("utf-8"), format=OXIGRAPH_FORMATS[fmt])
        back = _canonical(parsed) if blank_nodes else set(parsed)
    except SyntaxError as exc:
        raise _Lost([], [], f"would not parse ({exc.msg})") from None
    if back != written:
        raise _Lost(sorted(written - back, key=str), sorted(back - written, key=str))


def _verify_xml(written: set[ox.Quad], text: str) -> None:
    """RDF/XML must also be well-formed XML, which Oxigraph's lenient reader does not check (expat does)."""
    if bad := _NOT_XML.search(text):
        terms = [(q, [t for t in (q.subject, q.object) if not isinstance(t, ox.Triple)]) for q in written]
        lost = sorted((q for q, ts in terms if any(bad[0] in t.value for t in ts)), key=str)
        raise _Lost(lost, [], f"holds U+{ord(bad[0]):04X}, a character XML 1.0 cannot carry")
    try:
        expat.ParserCreate().Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise _Lost([], [], f"would not be well-formed XML ({exc})") from None


def _written(quads: list[Quad], fmt: str) -> str:
    statements = _ox_statements(quads, fmt in QUAD_FORMATS)
    text = _write(quads, statements, fmt)
    _verify(statements, fmt, text, any(isinstance(t, BNode) for q in quads for t in q))
    return text


def _loss_message(fmt: str, lost: _Lost, keeps: str | None) -> str:
    advice = f"export as {keeps}, which keeps it" if keeps else "no export format keeps it"
    if not lost.lost:
        if lost.gained:
            return f"cannot export as {fmt}: it would read back with {show_term(lost.gained[0], 160)}; {advice}"
        return f"cannot export as {fmt}: the text {lost.why}; {advice}"
    first = lost.lost[0]
    twin = next((q for q in lost.gained if (q.subject, q.predicate) == (first.subject, first.predicate)), None)
    if twin is not None and twin.object != first.object:
        what = f"the object {show_term(first.object)} of {show_term(first.subject)}"
        change = f"would read back as {show_term(twin.object)}"
    else:
        what = f"the statement {show_term(first, 160)}"
        change = lost.why or ("would be lost" if not lost.gained else "would not read back as written")
    return f"cannot export as {fmt}: {what} {change}; {advice}"


def _format_that_keeps(lost: list[ox.Quad], fmt: str) -> str | None:
    """The first format that writes the statements ``fmt`` lost faithfully (one with graphs, if ``fmt`` has them)."""
    blanks: dict[str, BNode] = {}
    probe: list[Quad] = []
    for q in lost[:20]:
        s, p, o = (term_from_ox(t, blanks) for t in (q.subject, q.predicate, q.object))
        probe.append((s, p, o, graph_from_ox(q.graph_name, blanks)))
    for other in _FALLBACKS:
        if other == fmt or (fmt in QUAD_FORMATS and other not in QUAD_FORMATS):
            continue
        try:
            _written(probe, other)
        except KGError:
            continue
        return other
    return None


def serialize(quads: list[Quad], fmt: str) -> str:
    """Write ``quads`` in ``fmt`` in a stable order; triple formats write the union of the graphs.

    Lossless or refused: a term that is not RDF as Oxigraph reads it is refused, and the text is read back
    (``_verify``) — if it does not give the same statements, KGError names the first that would change and
    a format that keeps it.
    """
    if fmt not in FORMATS:
        raise KGError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    quads = canonical_quads(quads)
    try:
        return _written(quads, fmt)
    except _Lost as lost:
        raise KGError(_loss_message(fmt, lost, _format_that_keeps(lost.lost, fmt))) from None


_FLAT_NAMES = {"turtle": "Turtle", "nt": "N-Triples", "xml": "RDF/XML"}


def _flatten_note(graphs: tuple[IdentifiedNode, ...], default: bool, fmt: str, triples: int) -> str:
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
