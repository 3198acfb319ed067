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

from rdflib import Dataset

from kg.dataset.load import load_dataset
from kg.dataset.paths import draft_sources, shipped_sources
from kg.engines import ENGINES
from kg.engines.registry import engine_named, store_engine
from kg.errors import InputError


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
    engine: str = ENGINES[0]
    store: Path | None = None
    drafts: bool = False

    def open(self) -> Dataset:
        """The dataset: parsed from the files, or read from the store (refreshed first if a source changed).
        What its engine can do, callers ask its backend (kg.engines.registry.backend_of)."""
        if self.store is not None:
            from kg.dataset.store import open_store  # Oxigraph's: a cold `kg query` on rdflib does without it

            return open_store(self.store, self.data)
        sources = [*shipped_sources(), *draft_sources()] if self.drafts else None
        return load_dataset(self.data, sources=sources, engine=self.engine)


def resolve_spec(
    data: Iterable[Path] = (), engine: str | None = None, store: Path | str | None = None, drafts: bool = False
) -> DatasetSpec:
    """The dataset a command should open, from its options and the configured defaults.

    A store is held by the engine that can hold one (kg.engines.registry.store_engine), so ``--store``
    alone implies that engine. ``drafts`` adds the drafts in data/drafts (a store holds only the shipped graph).
    """
    engine = engine or configured("engine")
    if engine is not None:
        engine_named(engine)
    store = store or configured("store")
    if store is not None:
        engine = store_engine(engine)
    if store is not None and drafts:
        raise InputError("--with-drafts reads the draft files; it cannot be combined with an on-disk store (--store)")
    return DatasetSpec(
        tuple(Path(p) for p in data), engine or ENGINES[0], Path(store) if store is not None else None, drafts
    )
