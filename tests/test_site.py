"""`kg site`: a page for every IRI, with the article's own words as evidence, conflicts side by side, twins that
other RDF parsers read as the same description, relative links that all resolve, and every text escaped.

Pages are rendered straight from kg.site.render.Site (fast); the whole site is written once per module by
`kg site` itself for the link check and the CLI tests (slow).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest
from helpers import ROOT, SITE_INJECTED, hostile_dataset
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from kg.site.annotate import annotate
from kg.site.model import SiteData
from kg.site.paths import link, page_of
from kg.site.render import POLICY, Site
from kg.site.twins import description
from kg.vocab.namespaces import ART, CURATED_GRAPH, QD, QDO


@pytest.fixture(scope="module")
def site(ds: Dataset) -> Site:
    return Site(ds)


def _page(site: Site, path: str) -> str:
    file = site.render(path)
    assert file is not None, path
    return file.body.decode("utf-8")


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


class _Links(HTMLParser):
    """Every href and src of a page (``fetched``: what a browser loads by itself, not a link a reader follows), the
    ids it defines, and its JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.fetched: list[str] = []
        self.ids: set[str] = set()
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.links += [v for k, v in attrs if k in ("href", "src") and v is not None]
        if tag != "a":
            self.fetched += [v for k, v in attrs if k in ("href", "src", "srcset", "data", "poster") and v is not None]
        if values.get("id"):
            self.ids.add(values["id"])
        self._in_jsonld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)
            self._in_jsonld = False


def _parsed(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


# --- paths ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iri", "page"),
    [
        ("https://w3id.org/qingdao-kg/id/Haier", "id/Haier"),
        ("https://w3id.org/qingdao-kg/id/article/a001", "id/article/a001"),
        ("https://w3id.org/qingdao-kg/id/graph/curated", "id/graph/curated"),
        ("https://w3id.org/qingdao-kg/ontology", "ontology/index"),
        ("https://w3id.org/qingdao-kg/ontology#Enterprise", "ontology/index"),
        ("https://example.org/Haier", None),
        ("https://w3id.org/qingdao-kg/id/", None),
    ],
)
def test_each_iri_has_one_page_at_its_own_path(iri: str, page: str | None) -> None:
    assert page_of(URIRef(iri)) == page


@pytest.mark.parametrize(
    "local", ["../../etc/passwd", "a/../../b", "..", ".hidden", "x y", "<script>", "Ä", "a" * 300, "article/../x", "a."]
)
def test_a_hostile_local_name_gets_a_hashed_file_name_inside_the_site(local: str) -> None:
    page = page_of(URIRef("https://w3id.org/qingdao-kg/id/" + local))
    assert page is not None
    folder, _, name = page.rpartition("/")
    assert folder in ("id", "id/article", "id/graph")
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name) and ".." not in name and not name.startswith(".")


def test_links_are_relative() -> None:
    assert link("id/Haier", "id/Chery") == "Chery.html"
    assert link("id/Haier", "id/article/a001") == "article/a001.html"
    assert link("id/article/a001", "id/Haier", ".ttl") == "../Haier.ttl"
    assert link("index", "class/Enterprise") == "class/Enterprise.html"
    assert link("id/Haier", "ontology/index", anchor="Enterprise") == "../ontology/index.html#Enterprise"


# --- entity pages ------------------------------------------------------------------------------------------------


def test_every_quote_about_haier_is_on_its_page_verbatim(site: Site, ds: Dataset) -> None:
    page = _page(site, "id/Haier.html")
    quotes = set()
    for st in set(ds.subjects(RDF.subject, QD.Haier)) | set(ds.subjects(RDF.object, QD.Haier)):
        quotes |= {str(q) for q in ds.objects(st, QDO.evidence)}
    assert len(quotes) >= 4
    for quote in quotes:
        assert _html_text(quote) in page, quote
    assert "500 billion Yuan" in _section(page, "figures")


def test_curated_statements_are_marked_with_their_rationale(site: Site, ds: Dataset) -> None:
    page = _page(site, "id/COSMOPlat.html")
    curated = page[page.index('class="source curated"') :]
    curated = curated[: curated.index("</section>")]
    rationale = ds.graph(CURATED_GRAPH).value(URIRef(QD["cur-s01"]), QDO.rationale)
    assert rationale is not None and (QD["cur-s01"], RDF.subject, QD.COSMOPlat) in ds.graph(CURATED_GRAPH)
    assert "Inferred by the curators" in curated and _html_text(str(rationale)) in curated


def test_conflicting_figures_are_shown_side_by_side(site: Site) -> None:
    conflicts = _section(_page(site, "id/Qingdao.html"), "conflicts")
    assert conflicts.count('class="side"') == 2
    assert "3.1%" in conflicts and "3.1 percentage points" in conflicts
    assert "article/a001.html" in conflicts and "article/a004.html" in conflicts


def test_aliases_name_the_articles_that_use_them(site: Site) -> None:
    aliases = _page(site, "id/iFlytek.html")
    item = aliases[aliases.index("<q>Iflytek Co</q>") :]
    assert "article/a001.html" in item[: item.index("</li>")]


def test_figures_keep_unit_qualifier_and_period_as_written(site: Site) -> None:
    table = _section(_page(site, "id/Qingdao.html"), "figures")
    row = next(r for r in table.split("<tr>") if "31.8 %" in r)
    assert "percent" in row and "year: 2019" in row and "article/a001.html" in row


def test_schema_org_description_is_embedded_and_escaped(site: Site) -> None:
    blocks = _parsed(_page(site, "id/Haier.html")).jsonld
    doc = json.loads(blocks[0])
    assert doc["@id"] == str(QD.Haier) and doc["@type"] == ["Corporation"] and doc["name"] == "Haier"
    assert {s["@id"] for s in doc["subjectOf"]} >= {str(ART.a000), str(ART.a001)}


def test_a_page_links_its_twins_and_the_neighbourhood(site: Site) -> None:
    page = _page(site, "id/COSMOPlat.html")
    links = _parsed(page).links
    for suffix in ("ttl", "jsonld", "nt", "rdf"):
        assert f"COSMOPlat.{suffix}" in links
    drawing = _section(page, "neighbours")
    assert 'href="Haier.html"' in drawing and 'fill="#CC6677"' in drawing  # the platform's colour in kg graph


def test_every_page_carries_the_content_security_policy(site: Site) -> None:
    for path in ("index.html", "id/Haier.html", "id/article/a001.html", "search.html", "queries.html", "404.html"):
        assert f'content="{POLICY}"' in _page(site, path).replace("&#39;", "'"), path


# --- articles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("short", ["a000", "a001", "a002", "a003", "a004"])
def test_every_fact_of_an_article_is_highlighted_in_its_text(ds: Dataset, short: str) -> None:
    data = SiteData(ds)
    meta = data.articles[ART[short]]
    text = data.article_text(meta)
    assert text is not None
    annotated = annotate(data, ART[short], text)
    assert len(annotated.facts) > 20
    assert annotated.found == set(range(1, len(annotated.facts) + 1))  # every quote found in the text
    marked = {n for paragraph in annotated.paragraphs for run in paragraph for n in run.facts}
    ends = {n for paragraph in annotated.paragraphs for run in paragraph for n in run.ends}
    assert marked == ends == annotated.found


def test_article_page_links_highlights_to_facts_and_names_to_entities(site: Site) -> None:
    page = _page(site, "id/article/a000.html")
    parsed = _parsed(page)
    text = _section(page, "text")
    assert "<mark" in text and 'href="../Haier.html"' in text
    numbers = re.findall(r'href="#fact-(\d+)"', text)
    assert numbers and all(f"fact-{n}" in parsed.ids for n in numbers)
    assert all(f"in-text-{n}" in parsed.ids for n in numbers)


def test_an_article_text_outside_data_articles_is_not_read(tmp_path: Path, ds: Dataset) -> None:
    data = SiteData(ds)
    meta = data.articles[ART.a001]
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    for name in ("../../../../../../../../" + str(secret), "data/articles/../../ontology.ttl", str(secret)):
        assert data.article_text(type(meta)(meta.iri, "a001", "", "", (), name)) is None


# --- twins -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "nt", "rdf"])
def test_twins_read_back_as_the_description_in_rdflib_and_oxigraph(site: Site, ds: Dataset, suffix: str) -> None:
    text = _page(site, f"id/Haier.{suffix}")
    rdflib_format = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}[suffix]
    expected = description(ds, QD.Haier, site.data.statements | site.data.record_nodes)
    assert isomorphic(Graph().parse(data=text, format=rdflib_format), expected)
    ox_format = {
        "ttl": ox.RdfFormat.TURTLE,
        "jsonld": ox.RdfFormat.JSON_LD,
        "nt": ox.RdfFormat.N_TRIPLES,
        "rdf": ox.RdfFormat.RDF_XML,
    }[suffix]
    assert len(list(ox.parse(text.encode("utf-8"), format=ox_format))) == len(expected)


def test_a_twin_carries_the_proof_of_each_link(site: Site) -> None:
    g = Graph().parse(data=_page(site, "id/Haier.ttl"), format="turtle")
    proofs = list(g.subjects(RDF.subject, QD.Haier)) + list(g.subjects(RDF.object, QD.Haier))
    assert proofs and all(g.value(p, DCTERMS.source) or g.value(p, QDO.rationale) for p in proofs)
    assert all(g.value(p, QDO.evidence) for p in proofs if g.value(p, DCTERMS.source))


# --- questions, search, indexes ----------------------------------------------------------------------------------


def test_the_questions_page_answers_every_saved_question(site: Site) -> None:
    page = _page(site, "queries.html")
    for path in sorted((ROOT / "queries").glob("*.rq")):
        assert f'id="q-{path.stem}"' in page
    assert "Not answered" not in page
    assert "500 billion" in _section_of(page, "q-plan-targets") or "2026" in _section_of(page, "q-plan-targets")


def _section_of(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}"')
    return page[start : page.index("</section>", start)]


def test_search_index_lists_every_entity_with_its_aliases(site: Site, ds: Dataset) -> None:
    script = _page(site, "search-index.js")
    entries = json.loads(script.removeprefix("window.KG_SEARCH = ").rstrip().removesuffix(";"))
    by_path = {e[3]: e for e in entries}
    assert "Haier Kaos" in by_path["id/COSMOPlat.html"][1] or "Haier Kaos" in str(entries)
    assert by_path["id/Haier.html"][0] == "Haier" and "Enterprise" in by_path["id/Haier.html"][2]
    entities = {n for n in site.data.subjects if site.data.is_entity(n)}
    assert len(entries) == len(entities) + len(site.data.articles)


def test_class_pages_list_their_members(site: Site) -> None:
    page = _page(site, "class/Enterprise.html")
    for name in ("Haier.html", "Hisense.html", "Chery.html"):
        assert f'href="../id/{name}"' in page


def test_unknown_paths_have_no_file(site: Site) -> None:
    for path in (
        "id/Nope.html",
        "id/Haier.exe",
        "../ontology.ttl",
        "/etc/passwd",
        "id/Haier",
        "class/Nope.html",
        "id/.html",
        "ontology/../shapes.ttl",
    ):
        assert site.render(path) is None, path


# --- hostile data -------------------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere() -> None:
    ds = hostile_dataset()
    for local in ("../../../escaped", "/etc/passwd", "article/../../x", "a\nb"):
        ds.graph(ART.a001).add((URIRef(str(QD) + local), QDO.locatedIn, QD.Qingdao))
    site = Site(ds, answers=False)
    paths = list(site.paths())
    assert all(not p.startswith("/") and ".." not in p.split("/") and "\n" not in p for p in paths)
    assert len(paths) == len(set(paths))
    for path in ("id/evil.html", "id/Qingdao.html", "class/Enterprise.html", "id/article/a001.html"):
        page = _page(site, path)
        assert "<img src=x" not in page and "<script>window" not in page, path
    assert "&lt;img src=x onerror" in _page(site, "id/evil.html")
    schema = _parsed(_page(site, "id/evil.html")).jsonld[0]
    assert "</script" not in schema and json.loads(schema)["name"] == SITE_INJECTED
    index = _page(site, "search-index.js")
    assert "<" not in index and "\\u003c" in index


# --- the whole site, as `kg site` writes it --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = subprocess.run([sys.executable, "-m", "kg.cli", "site", "-o", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "pages" in result.stderr
    return out


@pytest.mark.slow
def test_every_link_of_the_site_resolves(built: Path) -> None:
    pages = sorted(built.rglob("*.html"))
    assert len(pages) > 500
    broken = []
    for page in pages:
        parsed = _parsed(page.read_text(encoding="utf-8"))
        for url in parsed.fetched:
            assert not urlsplit(url).netloc and urlsplit(url).scheme in ("", "data"), f"{page}: loads {url}"
        for href in parsed.links:
            parts = urlsplit(href)
            if parts.scheme == "data" or (page.parent.name == "ontology" and parts.scheme in ("http", "https")):
                continue  # pyLODE's reference links to the standards it cites (a reader follows them, or not)
            assert not parts.scheme and not parts.netloc, f"{page}: {href} leaves the site"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or not target.is_relative_to(built.resolve()):
                broken.append(f"{page.relative_to(built)} → {href}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed.ids if target == page else _parsed(target.read_text(encoding="utf-8")).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(built)} → {href} (no such anchor)")
    assert not broken, broken[:20]


@pytest.mark.slow
def test_every_iri_of_the_data_namespace_has_a_page_and_twins(built: Path, ds: Dataset) -> None:
    iris = {t for q in ds.quads((None, None, None, None)) for t in q if isinstance(t, URIRef)}
    ours = [i for i in iris if str(i).startswith(str(QD)) and str(i) != str(QD)]
    for iri in ours:
        page = page_of(iri)
        assert page is not None and (built / f"{page}.html").is_file(), iri
        assert (built / f"{page}.ttl").is_file() and (built / f"{page}.jsonld").is_file(), iri


@pytest.mark.slow
def test_the_site_is_the_same_each_time_and_on_either_engine(built: Path, tmp_path: Path) -> None:
    """Byte for byte (the questions page aside, written here without answers), though Oxigraph returns terms in
    another order and spells string literals with their datatype."""
    again = tmp_path / "again"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "site", "-o", str(again), "--no-answers", "--engine", "oxigraph"],
        check=True,
        capture_output=True,
    )
    differ = [
        p.relative_to(built)
        for p in built.rglob("*")
        if p.is_file() and p.name != "queries.html" and (again / p.relative_to(built)).read_bytes() != p.read_bytes()
    ]
    assert not differ, differ[:10]


@pytest.mark.slow
def test_kg_site_replaces_its_own_site_and_refuses_other_folders(built: Path, tmp_path: Path) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kg.cli", "site", "-o", str(mine)], capture_output=True, text=True)
    assert result.returncode == 2 and "not a site kg wrote" in result.stderr and "Traceback" not in result.stderr
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "mine"
    for target in (ROOT / "data", ROOT / "queries" / "x"):
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", "site", "-o", str(target)], capture_output=True, text=True
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    for bad in ("javascript:alert(1)", "https://example.org/a b", "https://example.org/\nRewriteRule"):
        fresh = tmp_path / "fresh"
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", "site", "-o", str(fresh), "--published-at", bad],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2 and "--published-at" in result.stderr and not fresh.exists()
    file = tmp_path / "file.txt"
    file.write_text("x", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kg.cli", "site", "-o", str(file)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def _html_text(text: str) -> str:
    """``text`` as Jinja's autoescape writes it."""
    from markupsafe import escape

    return str(escape(text))
