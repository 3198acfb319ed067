"""Where the project's files are: the ontology, shapes, data, articles and saved queries."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from kg.errors import InputError
from kg.vocab.namespaces import CURATED_GRAPH, ENTITIES_GRAPH, ONTOLOGY_IRI, article_iri

ARTICLE_FILE = re.compile(r"^(a\d{3,})\.ttl$")
#: A draft's parts in data/drafts/: the article graph, its new entities and aliases, the curators' readings.
DRAFT_FILE = re.compile(r"^(a\d{3,})(?:\.(entities|curated))?\.ttl$")


PACKAGE = Path(__file__).resolve().parents[1]
#: The copy of the project files a wheel carries (setup.py puts it there); a checkout has them around the package.
INSTALLED = PACKAGE / "_project"


def project_root() -> Path:
    """The folder holding ``ontology.ttl``: ``$KG_ROOT``; else the checkout this package is in (a source tree or
    an editable install), so that edits there count; else the copy installed with the package."""
    env = os.environ.get("KG_ROOT")
    candidates = [Path(env)] if env else []
    candidates += [PACKAGE.parent, INSTALLED]
    for c in candidates:
        if (c / "ontology.ttl").is_file() and (c / "data" / "triples").is_dir():
            return c
    raise InputError(
        "cannot find the project files (ontology.ttl, data/triples/); "
        "reinstall the package (pip install . or pip install -e . from a checkout) or set KG_ROOT to a checkout"
    )


@dataclass(frozen=True)
class Source:
    """One file of the shipped graph and the named graph it loads into."""

    path: Path
    graph: URIRef
    kind: str  # ontology | entities | article | curated | draft


def shipped_sources(root: Path | None = None) -> list[Source]:
    """Every file of the shipped graph, in load order; unknown files in data/triples are an error."""
    root = root or project_root()
    triples = root / "data" / "triples"
    sources = [Source(root / "ontology.ttl", ONTOLOGY_IRI, "ontology")]
    for path in sorted(triples.iterdir()):
        if path.suffix != ".ttl":
            continue
        if path.name == "entities.ttl":
            sources.append(Source(path, ENTITIES_GRAPH, "entities"))
        elif path.name == "curated.ttl":
            sources.append(Source(path, CURATED_GRAPH, "curated"))
        elif m := ARTICLE_FILE.match(path.name):
            sources.append(Source(path, article_iri(m.group(1)), "article"))
        else:
            raise InputError(
                f"{path}: unexpected file in data/triples (expected entities.ttl, curated.ttl or aNNN.ttl)"
            )
    return sources


def drafts_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "drafts"


def draft_sources(root: Path | None = None, only: str | None = None) -> list[Source]:
    """The files of every draft in data/drafts (or of draft ``only``), each into the graph it joins when accepted:
    ``aNNN.ttl`` its article graph, ``aNNN.entities.ttl`` the entities graph, ``aNNN.curated.ttl`` the curated
    graph. Drafts are never part of the shipped graph; ``--with-drafts`` and ``kg validate --drafts`` add them."""
    folder = drafts_dir(root)
    if not folder.is_dir():
        return []
    sources = []
    for path in sorted(folder.iterdir()):
        m = DRAFT_FILE.match(path.name)
        if m is None or (only is not None and m.group(1) != only):
            continue
        part = m.group(2)
        graph = {"entities": ENTITIES_GRAPH, "curated": CURATED_GRAPH}.get(part or "", article_iri(m.group(1)))
        sources.append(Source(path, graph, "draft"))
    return sources


def cache_dir() -> Path:
    """Where derived files are cached (inferred graphs, parsed graphs): ``$KG_CACHE_DIR`` or ``~/.cache/qingdao-kg``."""
    return Path(os.environ.get("KG_CACHE_DIR") or Path.home() / ".cache" / "qingdao-kg")


def shapes_path(root: Path | None = None) -> Path:
    return (root or project_root()) / "shapes.ttl"


def queries_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "queries"


def articles_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / "articles"
