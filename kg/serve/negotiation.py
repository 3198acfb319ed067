"""HTTP content negotiation: pick the media type a client's Accept header (with q-values) prefers.

Hand-written because the standard library has no Accept parser and the rules fit in a few lines.
"""

from __future__ import annotations


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (malformed q counts as 0)."""
    out = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((media, q))
    return out


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The q-value of the most specific range matching ``offer`` (exact beats type/* beats */*)."""
    kind = offer.split("/", 1)[0]
    best, specificity = 0.0, -1
    for media, q in ranges:
        if media == offer:
            rank = 2
        elif media == f"{kind}/*":
            rank = 1
        elif media == "*/*":
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = q, rank
    return best


def choose(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client accepts with the highest q-value, ties going to the server's order;
    None when nothing offered is acceptable. No header means anything goes."""
    ranges = _ranges(accept or "*/*")
    scored = [(_quality(o, ranges), -i, o) for i, o in enumerate(offers)]
    q, _, offer = max(scored)
    return offer if q > 0 else None
