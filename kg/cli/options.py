"""Options shared by every `kg` command that loads the graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kg.engines import ENGINES
from kg.engines.limits import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from rdflib import Dataset

DATA_OPTION = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra RDF file or folder to load on top of the shipped graph (repeatable).",
)

_ENGINE = click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    help="Query engine: rdflib (default for the shipped graph) or oxigraph (fast on big graphs). "
    "Default from KG_ENGINE or kg.toml.",
)
_STORE = click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Open the on-disk Oxigraph store built by `kg build --store DIR` (implies --engine oxigraph; "
    "default from KG_STORE or kg.toml).",
)


_DRAFTS_KEY = "kg.with_drafts"


def _remember_drafts(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[_DRAFTS_KEY] = value


# Kept in the context rather than passed to every command function: only open_dataset needs it.
_WITH_DRAFTS = click.option(
    "--with-drafts",
    is_flag=True,
    expose_value=False,
    callback=_remember_drafts,
    help="Also load the drafts `kg ingest` wrote to data/drafts/ (not reviewed; not part of the shipped graph).",
)


def with_drafts() -> bool:
    """Whether the running command was given --with-drafts."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_DRAFTS_KEY))


def dataset_options(command: Callable) -> Callable:
    """--data, --with-drafts, --engine and --store: what a querying command opens (kg.dataset.spec.resolve_spec)."""
    return DATA_OPTION(_WITH_DRAFTS(_ENGINE(_STORE(command))))


def open_dataset(data: tuple[Path, ...], engine: str | None, store: Path | None) -> Dataset:
    """The dataset the options name (rdflib or Oxigraph, files or store, with or without the drafts)."""
    from kg.dataset.spec import resolve_spec

    return resolve_spec(data, engine, store, drafts=with_drafts()).open()


_TIMEOUT = click.option(
    "--timeout",
    type=float,
    default=None,
    help="Seconds the command's work may take after reading the data (query, reasoning, drawing, writing); "
    f"0 = none. Default {DEFAULT_TIMEOUT:g}, or KG_TIMEOUT / kg.toml 'timeout'.",
)
_MEMORY = click.option(
    "--memory-limit",
    "memory_limit",
    metavar="SIZE",
    default=None,
    help="Memory the command's work may take on top of the loaded data, e.g. 512M, 4G; 0 = none. "
    "Default 2G, or KG_MEMORY_LIMIT / kg.toml 'memory_limit'.",
)


def limit_options(command: Callable) -> Callable:
    """--timeout and --memory-limit: every bit of work a command does with the data runs under both."""
    return _TIMEOUT(_MEMORY(command))


def resolve_limits(timeout: float | None, memory_limit: str | None) -> tuple[float | None, int | None]:
    """(seconds, bytes) from the options, else the configured defaults; None means no limit."""
    from kg.dataset.spec import configured
    from kg.engines.limits import DEFAULT_MEMORY, DEFAULT_TIMEOUT, check_timeout, parse_size
    from kg.errors import InputError

    if timeout is None:
        setting = configured("timeout")
        try:
            timeout = DEFAULT_TIMEOUT if setting is None else float(setting)
        except ValueError:
            raise InputError(f"the configured timeout {setting!r} is not a number of seconds") from None
    size = configured("memory_limit") if memory_limit is None else memory_limit
    return check_timeout(timeout), DEFAULT_MEMORY if size is None else parse_size(size)
