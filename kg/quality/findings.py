"""What every check of ``kg validate`` shares: the Finding it yields and the helpers that name what it found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Dataset, Graph, Literal, URIRef

from kg.dataset.resolve import curie
from kg.vocab.namespaces import ART


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it, where, and what is wrong."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"


def normalise_space(text: str) -> str:
    """Collapse every whitespace run to one space: articles may have hard line wraps."""
    return re.sub(r"\s+", " ", text).strip()


def article_graphs(ds: Dataset) -> list[Graph]:
    return sorted((g for g in ds.graphs() if str(g.identifier).startswith(str(ART))), key=lambda g: str(g.identifier))


def curie_or(term: object) -> str:
    if isinstance(term, URIRef):
        return curie(term)
    if isinstance(term, Literal):
        text = str(term)
        return repr(text if len(text) <= 50 else text[:49] + "…")
    return str(term)
