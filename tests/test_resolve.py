"""Entities are named by label, alias, CURIE or IRI, case-insensitively; one IRI per real-world thing."""

from __future__ import annotations

import pytest
from rdflib import Dataset

from kg.dataset.resolve import resolve_entity
from kg.errors import ResolveError

QD = "https://w3id.org/qingdao-kg/id/"


@pytest.mark.parametrize(
    "name, local",
    [
        ("COSMOPlat", "COSMOPlat"),
        ("Cosmo-Plat", "COSMOPlatCompany"),
        ("haier kaos", "COSMOPlat"),
        ("HELCAOS", "COSMOPlat"),
        ("Tsingtao beer", "TsingtaoBrewery"),
        ("Tsingtao Brewery", "TsingtaoBrewery"),
        ("zhaohaozhi", "ZhaoHaozhi"),
        ("Zhao  Haozhi", "ZhaoHaozhi"),
        ("qd:Chery", "Chery"),
        (f"{QD}Hisense", "Hisense"),
        (f"<{QD}Hisense>", "Hisense"),
        ("rail transit", "RailTransitEquipment"),
    ],
)
def test_names_resolve(ds: Dataset, name: str, local: str) -> None:
    assert str(resolve_entity(ds, name)) == QD + local


def test_unknown_name_suggests(ds: Dataset) -> None:
    with pytest.raises(ResolveError, match="did you mean 'Hisense'"):
        resolve_entity(ds, "Hisens")


def test_every_label_names_one_thing(ds: Dataset) -> None:
    """No two entities share a preferred or alternative label (which would make names ambiguous)."""
    from collections import defaultdict

    from rdflib.namespace import SKOS

    owners: dict[str, set] = defaultdict(set)
    for prop in (SKOS.prefLabel, SKOS.altLabel):
        for s, o in ds.subject_objects(prop):
            owners[" ".join(str(o).casefold().split())].add(s)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared, shared
