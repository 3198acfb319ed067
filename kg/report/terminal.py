"""Text from the graph or the user, made safe to print on a terminal.

A label is data anyone can write: an ESC in it starts a terminal escape sequence (recolour,
retitle, move the cursor, on some terminals answer back into the input), a BEL rings, a carriage
return overwrites the line, and the bidi overrides reorder what the reader sees. Every such
character is shown as a visible escape instead (``\\x1b``, ``\\u202e``). Newlines are kept: the
caller decides where text may span lines (table cells turn them into spaces first). Machine
formats (CSV, TSV, JSON, XML, RDF) keep the data exact and never pass through here.
"""

from __future__ import annotations

import logging

_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]  # embeddings, overrides, isolates
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0), *_BIDI]  # C0, DEL, C1 and the bidi controls
_ESCAPES = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROLS if c != 0x0A}
#: Every character ``printable`` escapes (the newline is not among them).
UNSAFE = frozenset(chr(c) for c in _ESCAPES)


def printable(text: str) -> str:
    """``text`` with every control character but the newline replaced by a visible escape."""
    return text.translate(_ESCAPES)


def one_line(text: str) -> str:
    """``text`` for one line of a report or a table cell: newlines become spaces, other controls escapes."""
    return printable(text.replace("\n", " "))


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines cannot carry control characters from the messages they quote."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))
