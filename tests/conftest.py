"""Shared fixtures: the shipped graph loaded once, and a disposable copy of the project for mutation tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Dataset

from kg.loader import load_dataset
from kg.project import project_root

ROOT = project_root()


@pytest.fixture(scope="session")
def ds() -> Dataset:
    return load_dataset()


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the files validation reads, safe to break."""
    dest = tmp_path / "project"
    dest.mkdir()
    shutil.copy(ROOT / "ontology.ttl", dest / "ontology.ttl")
    shutil.copy(ROOT / "shapes.ttl", dest / "shapes.ttl")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest
