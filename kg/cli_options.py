"""Options shared by every `kg` command that loads the graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

DATA_OPTION = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra RDF file or folder to load on top of the shipped graph (repeatable).",
)

_ENGINE = click.option(
    "--engine",
    type=click.Choice(["rdflib", "oxigraph"]),
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


def dataset_options(command: Callable) -> Callable:
    """--data, --engine and --store: what a querying command opens (see kg.engines.resolve_spec)."""
    return DATA_OPTION(_ENGINE(_STORE(command)))


def open_dataset(data: tuple[Path, ...], engine: str | None, store: Path | None):
    """The dataset the options name (rdflib or Oxigraph, files or store)."""
    from kg.engines import resolve_spec

    return resolve_spec(data, engine, store).open()
