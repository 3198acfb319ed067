"""The ontology's HTML reference is current, works offline and escapes its text; the ontology passes OWL tools."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import ROOT
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.publish.docs import DIAGRAM, PAGE, core_diagram, core_edges, render_docs, write_docs
from kg.vocab.namespaces import QDO

DOCS = ROOT / "docs" / "ontology"


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return render_docs()


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ROOT / "ontology.ttl", format="turtle")


@pytest.mark.slow  # pyLODE renders the whole ontology
def test_committed_docs_are_current(rendered: dict[str, str]) -> None:
    for name, text in rendered.items():
        committed = (DOCS / name).read_text(encoding="utf-8")
        assert committed == text, f"docs/ontology/{name} is stale: run  kg docs -o docs/ontology"


class _Fetches(HTMLParser):
    """Every URL the browser would load by itself (not links a reader clicks)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attr in ("src", "srcset", "data", "poster"):
            if values.get(attr):
                self.urls.append(values[attr])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        if tag == "a" and values.get("href", "").startswith("javascript:"):
            self.urls.append(values["href"])


def test_page_loads_nothing_from_the_network(rendered: dict[str, str]) -> None:
    page = rendered[PAGE]
    parser = _Fetches()
    parser.feed(page)
    assert parser.urls, "expected at least the inline icons"
    assert all(url.startswith("data:") for url in parser.urls), parser.urls
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.S))
    assert "@import" not in styles and not re.search(r"url\(\s*['\"]?https?:", styles)
    assert not re.search(r"<script(?![^>]*application/ld\+json)", page), "only JSON-LD metadata scripts allowed"


def test_page_documents_every_term_and_shows_the_diagram(rendered: dict[str, str], onto: Graph) -> None:
    page = rendered[PAGE]
    terms = {s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in onto.subjects(RDF.type, kind)}
    ours = sorted(str(t) for t in terms if str(t).startswith(str(QDO)))
    assert len(ours) > 90
    missing = [t for t in ours if f"<code>{t}</code>" not in page]
    assert not missing, missing
    assert '<div class="section" id="diagram">' in page and "<svg" in page
    assert 'href="#Enterprise"' in rendered[DIAGRAM]  # boxes link to their class's section


def test_diagram_draws_each_property_between_our_classes(onto: Graph) -> None:
    edges = core_edges(onto)
    labels = " ".join(label for _, _, label, _ in edges)
    for prop in ("builtBy", "partOf", "sets", "operatedBy", "holder", "postIn", "indicator", "location"):
        assert re.search(rf"\b{prop}\b", labels), prop
    for inverse in ("built", "hasMember", "setBy", "operates"):  # drawn once, from the declaring side
        assert not re.search(rf"\b{inverse}\b", labels), inverse
    assert (QDO.Enterprise, QDO.Organization, "", True) in edges


def test_diagram_escapes_names() -> None:
    g = Graph()
    a, b, p = URIRef(QDO + "A<b>"), URIRef(QDO + "B&c"), URIRef(QDO + "rel")
    g.add((p, RDF.type, OWL.ObjectProperty))
    g.add((p, URIRef("http://www.w3.org/2000/01/rdf-schema#domain"), a))
    g.add((p, URIRef("http://www.w3.org/2000/01/rdf-schema#range"), b))
    svg = core_diagram(g, {a: 'x"><script>'})
    assert "<script>" not in svg and "A&lt;b&gt;" in svg and "B&amp;c" in svg


@pytest.mark.slow  # pyLODE renders the whole ontology
def test_write_docs(tmp_path: Path) -> None:
    written = write_docs(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted([PAGE, DIAGRAM])


def test_owlready2_loads_the_ontology(onto: Graph, tmp_path: Path) -> None:
    owlready2 = pytest.importorskip("owlready2")  # in the test extra
    path = tmp_path / "ontology.nt"
    path.write_text(onto.serialize(format="nt"), encoding="utf-8")
    world = owlready2.World()
    loaded = world.get_ontology(path.as_uri()).load(format="ntriples")
    ours = lambda kind: {s for s in onto.subjects(RDF.type, kind) if str(s).startswith(str(QDO))}  # noqa: E731
    named = {str(c) for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}  # ours and standard ones
    assert {c.iri for c in loaded.classes()} == named > {str(c) for c in ours(OWL.Class)}
    assert {p.iri for p in loaded.object_properties()} >= {str(p) for p in ours(OWL.ObjectProperty)}
    assert {p.iri for p in loaded.data_properties()} >= {str(p) for p in ours(OWL.DatatypeProperty)}


def _owl_rl_errors(graph: Graph) -> list:
    import owlrl

    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return list(graph.objects(None, URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")))


@pytest.mark.slow
def test_owl_rl_closure_finds_no_inconsistency(ds, onto: Graph) -> None:
    closure = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        closure.add((s, p, o))
    errors = _owl_rl_errors(closure)
    assert not errors, errors[:5]
    broken = Graph()
    for triple in onto:
        broken.add(triple)
    broken.add((URIRef("urn:x"), RDF.type, OWL.Nothing))
    assert _owl_rl_errors(broken), "the check must be able to see an inconsistency"
