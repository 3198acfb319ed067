"""Which engine holds the dataset (rdflib or Oxigraph, in memory or an on-disk store) and how to open it.

The choice comes from, in order: the command line (``--engine``, ``--store``), the environment
(``KG_ENGINE``, ``KG_STORE``), a ``kg.toml`` in the current folder, the user's
``$XDG_CONFIG_HOME/qingdao-kg/config.toml`` (keys ``engine`` and ``store``), else rdflib in memory:
the right default for the shipped graph, while Oxigraph is for corpora of many articles.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.engines import ENGINES
from kg.errors import InputError

if TYPE_CHECKING:
    from rdflib import Dataset


def _config_files() -> list[Path]:
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [Path("kg.toml"), home / "qingdao-kg" / "config.toml"]


def configured(key: str) -> str | None:
    """A setting from the environment (``KG_<KEY>``) or the first config file that has it."""
    value = os.environ.get(f"KG_{key.upper()}")
    if value:
        return value
    for path in _config_files():
        if not path.is_file():
            continue
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: cannot read the settings: {exc}") from None
        if key in settings:
            return str(settings[key])
    return None


@dataclass(frozen=True)
class DatasetSpec:
    """What to open: extra files on top of the shipped graph, the engine, and an on-disk store if any."""

    data: tuple[Path, ...] = ()
    engine: str = "rdflib"
    store: Path | None = None

    def open(self) -> Dataset:
        """The dataset: parsed from the files, or read from the store (refreshed first if a source changed)."""
        if self.store is not None:
            from kg.dataset.store import open_store

            return open_store(self.store, self.data)
        from kg.dataset.load import load_dataset

        return load_dataset(self.data, engine=self.engine)


def resolve_spec(data: Iterable[Path] = (), engine: str | None = None, store: Path | str | None = None) -> DatasetSpec:
    """The dataset a command should open, from its options and the configured defaults.

    A store is always Oxigraph's, so ``--store`` alone implies ``--engine oxigraph``.
    """
    engine = engine or configured("engine")
    if engine is not None and engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    store = store or configured("store")
    if store is not None:
        if engine not in (None, "oxigraph"):
            raise InputError("a store is Oxigraph's: use --store with --engine oxigraph (or without --engine)")
        engine = "oxigraph"
    return DatasetSpec(tuple(Path(p) for p in data), engine or "rdflib", Path(store) if store is not None else None)
