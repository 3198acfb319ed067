"""A fresh process reads the parsed graph back instead of parsing the Turtle again, and never serves a stale one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.compare import to_isomorphic

from kg.dataset.load import load_dataset
from kg.dataset.paths import shipped_sources


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _quads(ds) -> set:
    return {(s, p, o, g) for s, p, o, g in ds.quads((None, None, None, None))}


def test_second_load_comes_from_the_cache_and_is_the_same_graph(cache: Path) -> None:
    first = load_dataset()
    entries = list(cache.glob("parsed-*.json"))
    assert len(entries) == 1
    second = load_dataset()
    assert second is not first and _quads(second) == _quads(first)
    assert dict(second.namespaces())["qdo"] == dict(first.namespaces())["qdo"]


def test_an_edited_source_is_parsed_again(cache: Path, project_copy: Path) -> None:
    sources = shipped_sources(project_copy)
    before = load_dataset(sources=sources)
    article = project_copy / "data" / "triples" / "a004.ttl"
    article.write_text(article.read_text() + '\nart:a004 dcterms:description "edited" .\n')
    after = load_dataset(sources=sources)
    assert len(after) == len(before) + 1
    assert len(list(cache.glob("parsed-*.json"))) == 2


def test_a_damaged_cache_entry_is_ignored(cache: Path) -> None:
    expected = load_dataset()
    for entry in cache.glob("parsed-*.json"):
        entry.write_bytes(b"not JSON")
    again = load_dataset()
    assert to_isomorphic(again.default_graph) == to_isomorphic(expected.default_graph)
    assert _quads(again) == _quads(expected)
