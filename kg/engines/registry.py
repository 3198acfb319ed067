"""Which backend holds a dataset, and which engine a new dataset or an on-disk store is held by.

Why here: the code above kg/engines names an engine only as the user wrote it (``--engine``,
``KG_ENGINE``, ``kg.toml``) and otherwise asks the backend holding its data; what each engine can do
is its backend's ``capabilities``.
"""

from __future__ import annotations

from rdflib import Dataset

from kg.engines import ENGINES
from kg.engines.backend import LocalBackend
from kg.engines.oxigraph import OxigraphBackend
from kg.engines.rdflib import RdflibBackend
from kg.errors import InputError

#: The engines a dataset can be loaded into, by the names users give them (kg.engines.ENGINES, the default first).
LOCAL: dict[str, type[RdflibBackend] | type[OxigraphBackend]] = {"rdflib": RdflibBackend, "oxigraph": OxigraphBackend}


def engine_named(name: str) -> type[RdflibBackend] | type[OxigraphBackend]:
    """The backend class of the engine ``name``; InputError naming the choices for an unknown one."""
    if name not in LOCAL:
        raise InputError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return LOCAL[name]


def store_engine(engine: str | None) -> str:
    """The engine an on-disk store is opened with: ``engine`` if it can hold one, else (when none was asked for)
    the one that can; InputError when the engine asked for cannot."""
    name = next(n for n, kind in LOCAL.items() if kind.capabilities.persistent)
    if engine is not None and not engine_named(engine).capabilities.persistent:
        title = LOCAL[name].title
        raise InputError(f"a store is {title}'s: use --store with --engine {name} (or without --engine)")
    return engine or name


def backend_of(ds: Dataset) -> LocalBackend:
    """The backend holding ``ds``: an Oxigraph store's own, else rdflib's over ``ds`` itself."""
    backend = getattr(ds.store, "backend", None)
    return backend if isinstance(backend, OxigraphBackend) else RdflibBackend(ds)
