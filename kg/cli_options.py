"""Options shared by every `kg` command that loads the graph."""

from __future__ import annotations

from pathlib import Path

import click

DATA_OPTION = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra RDF file or folder to load on top of the shipped graph (repeatable).",
)
