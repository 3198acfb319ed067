"""Which backend holds a dataset, and which engine a new dataset or an on-disk store is held by.

Why here: the code above kg/engines names an engine only as the user wrote it (``--engine``,
``KG_ENGINE``, ``kg.toml``) and otherwise asks the backend holding its data; what each engine can do
is its backend's ``capabilities``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rdflib import Dataset

from kg.engines import ENGINES
from kg.engines.backend import LocalBackend
from kg.engines.rdflib import RdflibBackend
from kg.errors import InputError

if TYPE_CHECKING:
    from kg.engines.oxigraph import OxigraphBackend

#: The engines a dataset can be loaded into, by the names users give them (kg.engines.ENGINES, the default first):
#: each backend's module and class, imported when first named, so that work on rdflib never loads pyoxigraph
#: (a tenth of a cold `kg query`).
LOCAL = {"rdflib": ("kg.engines.rdflib", "RdflibBackend"), "oxigraph": ("kg.engines.oxigraph", "OxigraphBackend")}


def engine_named(name: str) -> type[RdflibBackend] | type[OxigraphBackend]:
    """The backend class of the engine ``name``; InputError naming the choices for an unknown one."""
    if name not in LOCAL:
        raise InputError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    module, cls = LOCAL[name]
    found: type[RdflibBackend] | type[OxigraphBackend] = getattr(importlib.import_module(module), cls)
    return found


def store_engine(engine: str | None) -> str:
    """The engine an on-disk store is opened with: ``engine`` if it can hold one, else (when none was asked for)
    the one that can; InputError when the engine asked for cannot."""
    name = next(n for n in LOCAL if engine_named(n).capabilities.persistent)
    if engine is not None and not engine_named(engine).capabilities.persistent:
        title = engine_named(name).title
        raise InputError(f"a store is {title}'s: use --store with --engine {name} (or without --engine)")
    return engine or name


def backend_of(ds: Dataset) -> LocalBackend:
    """The backend holding ``ds``: an Oxigraph store's own (its rdflib view carries it), else rdflib's over ``ds``."""
    backend: LocalBackend | None = getattr(ds.store, "backend", None)
    return backend if backend is not None else RdflibBackend(ds)
