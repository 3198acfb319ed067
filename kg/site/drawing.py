"""The small neighbourhood drawing on an entity page: the entity in the middle, its neighbours on a circle, in
the colours of `kg graph` (kg.graph.style). Geometry only; the template writes the SVG, escaping every label.

A static SVG rather than the interactive vis-network page: it is a few kilobytes instead of the half
megabyte of vis-network per page, it needs no script, it prints, and its nodes are plain links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kg.graph.style import text_colour
from kg.site.model import Term

WIDTH = 640
HEIGHT = 420
_RADIUS = 150
_NODE = 15
_CENTRE = 24
_LABEL = 26  # characters of a label drawn; the whole name is the link's accessible name and tooltip


@dataclass(frozen=True)
class Node:
    term: Term
    x: float
    y: float
    r: int
    fill: str
    ink: str
    label: str
    link: str  # the link's words: what it is and how it is linked
    how: str


def _cut(text: str) -> str:
    return text if len(text) <= _LABEL else text[: _LABEL - 1].rstrip() + "…"


def layout(centre: Term, colour: str, neighbours: list[tuple[Term, str, str]]) -> list[Node]:
    """The centre first, then one node per neighbour evenly on a circle, starting at the top."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    nodes = [Node(centre, cx, cy, _CENTRE, colour, text_colour(colour), _cut(centre.text), centre.text, "")]
    count = len(neighbours)
    for i, (term, how, fill) in enumerate(neighbours):
        angle = -math.pi / 2 + 2 * math.pi * i / max(count, 1)
        x, y = cx + _RADIUS * 1.4 * math.cos(angle), cy + _RADIUS * math.sin(angle)
        nodes.append(
            Node(
                term,
                round(x, 1),
                round(y, 1),
                _NODE,
                fill,
                text_colour(fill),
                _cut(term.text),
                f"{term.text} ({how})",
                how,
            )
        )
    return nodes
