"""Errors a user can cause; the CLI prints them as one line and exits with their code (never a traceback)."""

from __future__ import annotations


class KGError(Exception):
    """A problem with the user's input or request. ``exit_code`` 2 means usage/input error."""

    exit_code = 2


class InputError(KGError):
    """A file that cannot be read or parsed; the message names the file and, when known, the line."""


class QueryError(KGError):
    """A SPARQL query that cannot be parsed, is refused, or fails."""


class ResolveError(KGError):
    """A name on the command line that matches no entity, or several."""


class QueryTimeout(KGError):
    """The query ran past its time limit and was stopped (exit code 124, like timeout(1))."""

    exit_code = 124


class MemoryLimitExceeded(KGError):
    """The work needed more memory than its ceiling allows and was stopped (exit code 3)."""

    exit_code = 3
