"""A focus view's node budget: which nodes of a big neighbourhood to show, and what the view says it left out.

In a million-triple graph Haier has two thousand neighbours and ten thousand nodes within two links: drawn,
that is a hairball nobody can read, and fetching it takes most of a minute. So a focus view keeps at most
``max_nodes`` nodes, chosen while walking out from the centre, so that the links of a node left out are
never read (a hub's thousands of neighbours are not fetched to be thrown away):

- nearer nodes first: a distance may take what is left of the budget when the walk reaches it, less a
  reserve of half an equal share for each farther distance, so that a view of depth 2 shows the centre's
  neighbours and some of theirs; what one distance cannot use passes outwards, and what the farthest
  leaves unused goes to the nearest nodes left out;
- a node is a candidate only as a neighbour of a node kept one link nearer (hubs, as in
  ``kg.graph.views.neighbourhood``, are not walked through), so every node shown is linked to the centre
  through nodes shown;
- among the candidates at one distance the classes take turns, the class of the best-supported candidate
  first, so that two thousand factories do not crowd out the clusters, platforms and events; within a
  class the best supported come first (the most statements linking the node to the nodes kept one link
  nearer, each counted once per source graph stating it), ties in IRI order, so the same data gives the
  same view on every engine. How many neighbours a candidate has would break ties better, but reading it
  for every candidate is what the budget saves: over HTTP, counting a hub's neighbours takes the server
  most of a second;
- what is left out is counted by distance and class; beyond a distance where nodes were left out (and so
  not walked through) the count is a lower bound, and says "at least".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from kg.errors import KGError

#: Nodes a focus view shows by default: what a reader can take in, and a page lays out at once.
MAX_NODES = 150
#: How the account of what was left out names a node without a class.
NO_CLASS = "no class"
#: Classes named per distance in the one-line account of what was left out.
NAMED_CLASSES = 4

N = TypeVar("N", bound=Hashable)


class Reader(Protocol[N]):
    """What the budget reads of a graph: links with their support, and a display name for each node's class."""

    def links(self, nodes: Sequence[N], limit: int | None) -> dict[N, dict[N, int] | None]:
        """Each node's distinct neighbours, each with its support; None for a node with more than ``limit`` of
        them (a hub), whose neighbours need not be read."""
        ...

    def classes(self, nodes: Sequence[N]) -> dict[N, str]:
        """Each node's class, as the view's legend names it."""
        ...


@dataclass(frozen=True)
class LeftOut:
    """The candidates one distance from the centre that the view does not show."""

    distance: int
    count: int
    exact: bool  # False: nodes nearer were left out unwalked, so more may lie at this distance
    classes: Counter[str]

    def describe(self) -> str:
        named = ", ".join(f"{name} {n:,}" for name, n in _by_count(self.classes)[:NAMED_CLASSES])
        more = len(self.classes) - NAMED_CLASSES
        named += f" and {more} more {'class' if more == 1 else 'classes'}" if more > 0 else ""
        links = "link" if self.distance == 1 else "links"
        return f"{'' if self.exact else 'at least '}{self.count:,} at {self.distance} {links} ({named})"


@dataclass
class Selection(Generic[N]):
    """The nodes kept (each with its distance from the centre, in the order kept), the hubs met, what was left out."""

    nodes: dict[N, int]
    max_nodes: int | None = None
    hubs: set[N] = field(default_factory=set)
    left_out: list[LeftOut] = field(default_factory=list)
    complete: bool = True  # every node within the depth was found, so ``within`` is exact

    @property
    def within(self) -> tuple[int, bool]:
        """How many nodes lie within the depth (shown or not), and whether that count is exact."""
        return len(self.nodes) + sum(o.count for o in self.left_out), self.complete

    def attributes(self, depth: int) -> dict[str, object]:
        """What a view of this selection says about itself, as graph attributes (a graph file keeps them, the page
        and the figure show them); none when nothing was left out, so such a view is what it was without a budget."""
        if not self.left_out:
            return {}
        total, exact = self.within
        links = "link" if depth == 1 else "links"
        return {
            "max_nodes": self.max_nodes,
            "within_depth": total,
            "within_depth_exact": exact,
            "shown": f"{len(self.nodes):,} of {'' if exact else 'at least '}{total:,} nodes within {depth} {links}",
            "left_out": "; ".join(o.describe() for o in self.left_out),
        }


def check_max_nodes(max_nodes: object) -> None:
    """Refuse a budget that is not a whole number of at least 1 (None: no budget)."""
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise KGError(f"max_nodes must be a whole number of at least 1, or None for no limit, not {max_nodes!r}")


def select(
    reader: Reader[N],
    centre: N,
    depth: int,
    hub_limit: int | None,
    max_nodes: int | None,
    hubs: frozenset[N] | set[N] = frozenset(),
) -> Selection[N]:
    """The nodes within ``depth`` links of ``centre`` a view shows: all of them without a budget (``max_nodes``
    None), else at most ``max_nodes``, chosen as the module docstring says. A node other than the centre with
    more than ``hub_limit`` neighbours, or named in ``hubs``, is kept but not walked through."""
    if depth < 0:
        raise KGError("depth must be 0 or more")
    check_max_nodes(max_nodes)
    return _Budget(reader, centre, hub_limit, hubs).select(depth, max_nodes)


class _Budget(Generic[N]):
    """One selection's state: the links and classes read so far, and the hubs met."""

    def __init__(self, reader: Reader[N], centre: N, hub_limit: int | None, hubs: frozenset[N] | set[N]) -> None:
        self.reader, self.centre, self.hub_limit, self.hubs = reader, centre, hub_limit, hubs
        self.read: dict[N, dict[N, int] | None] = {}  # None: a hub
        self.classes: dict[N, str] = {}
        self.met: set[N] = set()

    def select(self, depth: int, max_nodes: int | None) -> Selection[N]:
        kept: dict[N, int] = {self.centre: 0}
        frontier = [self.centre]  # the nodes kept one link nearer
        passed: list[list[N]] = []  # per distance: candidates left out, best first
        exact: list[bool] = []  # per distance: whether every node at it was found
        for distance in range(1, depth + 1):
            self._read(frontier, None if distance == 1 else self.hub_limit)  # the centre is never a hub
            left = {m for rest in passed for m in rest}
            support: dict[N, int] = {}
            for n in filter(self._walkable, frontier):
                for m, k in self._near(n).items():
                    if m not in kept and m not in left:
                        support[m] = support.get(m, 0) + k
            walked_all = not left  # else the neighbours of nodes left out nearer are unknown, and may lie here
            if not support:
                exact += [] if walked_all else [False]
                break
            exact.append(walked_all)
            quota = len(support) if max_nodes is None else _quota(max_nodes - len(kept), depth - distance + 1)
            ranked = list(support)
            if len(ranked) > quota:
                self._classify(ranked)
                ranked = self._rank(support)
            frontier = ranked[:quota]
            kept.update((m, distance) for m in frontier)
            passed.append(ranked[quota:])
        if max_nodes is not None:  # a share the farther distances could not use goes to the nearest left out
            for distance, rest in enumerate(passed, start=1):
                spare = max_nodes - len(kept)
                kept.update((m, distance) for m in rest[:spare])
                passed[distance - 1] = rest[spare:]
        left_out = [
            LeftOut(distance, len(rest), exact[distance - 1], Counter(self.classes[m] for m in rest))
            for distance, rest in enumerate(passed, start=1)
            if rest
        ]
        return Selection(kept, max_nodes, self.met, left_out, all(exact))

    def _read(self, nodes: list[N], limit: int | None) -> None:
        self.read.update(self.reader.links([n for n in nodes if n not in self.read], limit))

    def _classify(self, nodes: list[N]) -> None:
        self.classes.update(self.reader.classes([n for n in nodes if n not in self.classes]))

    def _walkable(self, node: N) -> bool:
        """Whether the walk goes on through ``node``: not if it is a hub (the centre never is)."""
        if node != self.centre and (node in self.hubs or self.read[node] is None):
            self.met.add(node)
            return False
        return True

    def _near(self, node: N) -> dict[N, int]:
        """The neighbours of a node read, not a hub."""
        near = self.read[node]
        assert near is not None  # _walkable said so
        return near

    def _rank(self, support: dict[N, int]) -> list[N]:
        """The candidates best first: the classes taking turns, each one's best supported first."""
        members: dict[str, list[N]] = {}
        for m in support:
            members.setdefault(self.classes[m], []).append(m)
        for group in members.values():
            group.sort(key=lambda m: (-support[m], str(m)))
        turn = {c: i for i, c in enumerate(sorted(members, key=lambda c: (-support[members[c][0]], c)))}
        place = {m: (i, turn[c]) for c, group in members.items() for i, m in enumerate(group)}
        return sorted(support, key=place.__getitem__)


def _quota(left: int, distances: int) -> int:
    """How many of ``left`` nodes one distance may take with ``distances`` to go (itself included): all but
    half an equal share for each farther one."""
    return left - (distances - 1) * math.ceil(left / (2 * distances))


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
