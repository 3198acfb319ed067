"""The Backend contract (kg.engines.backend): one set of tests that every engine passes, run for rdflib, embedded
Oxigraph and a remote endpoint (a real `oxigraph serve` holding the pushed graph), in the manner of pyoxigraph's
own store tests. The rdflib engine over the shipped graph gives the reference answers; each engine's class
says only where the contract lets engines differ (which error a timeout is, whether memory is bounded here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import by_value, rows_by_value, serve_oxigraph
from rdflib import Dataset, Literal, URIRef, Variable

from kg.dataset.load import load_dataset
from kg.dataset.resolve import resolve_entity
from kg.dataset.store import build_store, open_store
from kg.engines import ENGINES
from kg.engines.backend import Backend, Capabilities, GraphSelection
from kg.engines.limits import MiB
from kg.engines.oxigraph import OxigraphBackend
from kg.engines.rdflib import RdflibBackend
from kg.engines.registry import LOCAL, backend_of
from kg.engines.remote import Endpoint, RemoteBackend, RemoteTimeout
from kg.engines.safety import prepare
from kg.errors import MemoryLimitExceeded, QueryError, QueryTimeout
from kg.query.results import rows
from kg.query.saved import saved_queries
from kg.query.sparql import run_query
from kg.vocab.namespaces import ART, QD

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
#: Each BIND doubles a string: unbounded, the last one wants 1 GB.
BOMB = "SELECT (STRLEN(?v24) AS ?n) WHERE { BIND('" + "0123456789" * 6 + "' AS ?v0) "
BOMB += " ".join(f"BIND(CONCAT(?v{i},?v{i}) AS ?v{i + 1})" for i in range(24)) + " }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ADDED = (URIRef("urn:kg:test:s"), URIRef("urn:kg:test:p"), Literal("added"))


def _rows(backend: Backend, text: str, bindings: dict | None = None, **kw: object) -> list[tuple]:
    data = rows(backend.query(prepare(text, bindings), **kw))  # type: ignore[arg-type]
    return [tuple(by_value(t) for t in row) for row in data.rows]


def _count(backend: Backend, text: str = COUNT, **kw: object) -> int:
    return int(backend.query(prepare(text), **kw).bindings[0][Variable("n")])  # type: ignore[arg-type]


def test_every_engine_a_user_can_name_has_a_backend() -> None:
    assert tuple(LOCAL) == ENGINES


class BackendContract:
    """What every Backend does. Subclasses provide the fixtures ``backend`` (the shipped graph, not to be
    changed), ``scratch`` (the shipped graph, changed at will) and ``read_only`` (one refusing writes, or None)."""

    timeout_error: type[Exception] = QueryTimeout
    timeout_message = "stopped after 1 s"
    bounds_memory = True  # whether ``memory_limit`` is enforced by the backend (a server bounds its own)
    substitutes = True  # whether a parameter the query projects can be bound (a server would need substitutions)

    def test_it_describes_itself(self, backend: Backend) -> None:
        assert isinstance(backend.title, str) and backend.title
        assert isinstance(backend.capabilities, Capabilities)
        assert isinstance(backend.read_only, bool)

    @pytest.mark.slow  # every saved question, or a deliberate 1 s limit
    @pytest.mark.parametrize("saved", saved_queries().values(), ids=lambda q: q.name)
    def test_every_saved_question_answers_as_on_rdflib(self, backend: Backend, ds: Dataset, saved) -> None:
        mine = rows_by_value(ds, saved.text)
        assert mine, "every saved question has an answer on the shipped graph"
        assert sorted(_rows(backend, saved.text, timeout=30), key=str) == sorted(mine, key=str)

    def test_the_default_graph_is_the_merge_a_set(self, backend: Backend, ds: Dataset) -> None:
        """A triple several articles state matches once (pyoxigraph 0.5's own union graph would repeat it)."""
        distinct = len({(s, p, o) for s, p, o, _g in ds.quads((None, None, None, None))})
        assert distinct < sum(1 for _ in ds.quads((None, None, None, None)))  # some triple is in several graphs
        assert _rows(backend, COUNT) == rows_by_value(ds, COUNT) == [(by_value(Literal(distinct)),)]
        shared = "SELECT ?e WHERE { qd:Qingdao qdo:hasLeadingEnterprise ?e } ORDER BY ?e"
        found = _rows(backend, shared)
        assert found == rows_by_value(ds, shared) and len(found) == len(set(found))

    def test_ask_and_construct(self, backend: Backend, ds: Dataset) -> None:
        assert backend.query(prepare("ASK { qd:Haier a ?t }")).askAnswer is True
        assert backend.query(prepare("ASK { qd:Haier a qd:Nothing }")).askAnswer is False
        construct = "CONSTRUCT { ?s a ?t } WHERE { ?s a qdo:Article ; a ?t }"
        assert set(backend.query(prepare(construct), timeout=5).graph) == set(run_query(ds, construct).graph)

    def test_errors_are_query_errors(self, backend: Backend) -> None:
        with pytest.raises(QueryError, match="unknown prefix 'nope:'"):
            backend.query(prepare("SELECT * WHERE { ?s nope:x ?o }"))

    def test_parameters_are_written_in_like_rdflib(self, backend: Backend, ds: Dataset) -> None:
        saved = saved_queries()["entity-evidence"]
        for name in ("Hisense", "Chery"):
            bindings = {"entity_param": resolve_entity(ds, name)}
            assert _rows(backend, saved.text, bindings) == rows_by_value(ds, saved.text, bindings=bindings)

    def test_a_projected_parameter_is_substituted_or_refused(self, backend: Backend) -> None:
        text, bindings = "SELECT ?x WHERE { ?x a ?t }", {"x": QD.Haier}
        if not self.substitutes:
            with pytest.raises(QueryError, match="cannot be bound on a remote endpoint"):
                backend.query(prepare(text, bindings))
            return
        assert set(_rows(backend, text, bindings)) == {(QD.Haier.n3(),)}

    def test_from_selects_local_graphs_only(self, backend: Backend, ds: Dataset, listener) -> None:
        text = "SELECT (COUNT(*) AS ?n) FROM art:a001 WHERE { ?s ?p ?o }"
        assert _rows(backend, text) == rows_by_value(ds, text)
        named = "SELECT ?g (COUNT(*) AS ?n) FROM NAMED art:a002 WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        assert _rows(backend, named) == rows_by_value(ds, named)
        url, received = listener
        with pytest.raises(QueryError, match="no such graph"):
            backend.query(prepare(f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"))
        time.sleep(0.05)
        assert received == []

    def test_a_graph_selection_replaces_from(self, backend: Backend, ds: Dataset) -> None:
        """As the SPARQL Protocol's default-graph-uri and named-graph-uri do."""
        from_a001 = "SELECT (COUNT(*) AS ?n) FROM art:a001 WHERE { ?s ?p ?o }"
        assert _count(backend, graphs=GraphSelection(default=(ART["a001"],))) == _count(RdflibBackend(ds), from_a001)
        named = GraphSelection(named=(ART["a002"],))
        graph_names = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        assert _rows(backend, graph_names, graphs=named) == [(ART["a002"].n3(),)]
        assert _count(backend, from_a001, graphs=named) == 0
        with pytest.raises(QueryError, match="FROM <urn:kg:none>: no such graph"):
            backend.query(prepare(COUNT), graphs=GraphSelection(named=(URIRef("urn:kg:none"),)))

    @pytest.mark.slow  # every saved question, or a deliberate 1 s limit
    def test_a_query_past_its_time_limit_stops(self, backend: Backend) -> None:
        started = time.monotonic()
        with pytest.raises(self.timeout_error, match=self.timeout_message):
            backend.query(prepare(HEAVY), timeout=1)
        assert time.monotonic() - started < 10
        assert backend.query(prepare("ASK { ?s ?p ?o }"), timeout=5).askAnswer is True

    def test_a_query_past_its_memory_limit_stops(self, backend: Backend) -> None:
        if not self.bounds_memory:
            pytest.skip(f"{backend.title} bounds its own memory")
        with pytest.raises(MemoryLimitExceeded, match="more than 64 MiB"):
            backend.query(prepare(BOMB), memory_limit=64 * MiB, timeout=60)
        assert backend.query(prepare("ASK { ?s ?p ?o }"), timeout=5).askAnswer is True

    def test_quads_match_a_pattern(self, backend: Backend, ds: Dataset) -> None:
        reference = RdflibBackend(ds)
        for pattern in [(QD.Haier, None, None, None), (None, None, QD.Haier, None), (None, None, None, ART["a003"])]:
            mine = sorted((tuple(map(by_value, q)) for q in reference.quads(pattern)), key=str)
            assert mine and sorted((tuple(map(by_value, q)) for q in backend.quads(pattern)), key=str) == mine
        assert sum(1 for _ in backend.quads((None, None, None, ART["a001"]))) == len(ds.graph(ART["a001"]))
        assert list(backend.quads((QD.Haier, QD.nothing, None, None))) == []

    def test_an_added_graph_joins_the_merge(self, scratch: Backend) -> None:
        before = _count(scratch)
        name = URIRef("urn:kg:test:added")
        scratch.add_graph(name, [ADDED])
        assert list(scratch.quads((None, None, None, name))) == [(*ADDED, name)]
        assert scratch.query(prepare('ASK { GRAPH <urn:kg:test:added> { <urn:kg:test:s> ?p "added" } }')).askAnswer
        assert _count(scratch) == before + 1
        scratch.add_graph(URIRef("urn:kg:test:again"), [ADDED])
        assert _count(scratch) == before + 1  # stated twice, merged once

    def test_a_read_only_backend_refuses_to_add(self, read_only: Backend | None) -> None:
        if read_only is None:
            pytest.skip("this engine has no read-only mode")
        assert read_only.read_only
        with pytest.raises(QueryError, match="read-only"):
            read_only.add_graph(URIRef("urn:kg:test:added"), [ADDED])


@pytest.fixture(scope="module")
def rdflib_backend() -> Backend:
    return backend_of(load_dataset())


@pytest.fixture(scope="module")
def oxigraph_backend() -> Backend:
    return backend_of(load_dataset(engine="oxigraph"))


@pytest.fixture(scope="module")
def store_backend(tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """An on-disk store, opened read-only as every command but `kg build` opens it."""
    folder = tmp_path_factory.mktemp("store") / "store"
    build_store(folder)
    return backend_of(open_store(folder))


class TestRdflib(BackendContract):
    @pytest.fixture
    def backend(self, rdflib_backend: Backend) -> Backend:
        return rdflib_backend

    @pytest.fixture
    def scratch(self) -> Backend:
        return backend_of(load_dataset())

    @pytest.fixture
    def read_only(self) -> None:
        return None


@pytest.mark.slow  # a worker process per backend
class TestOxigraph(BackendContract):
    @pytest.fixture
    def backend(self, oxigraph_backend: Backend) -> Backend:
        return oxigraph_backend

    @pytest.fixture
    def scratch(self) -> Backend:
        return backend_of(load_dataset(engine="oxigraph"))

    @pytest.fixture
    def read_only(self, store_backend: Backend) -> Backend:
        return store_backend

    def test_a_store_is_queried_in_a_worker_of_its_own(self, read_only: OxigraphBackend, ds: Dataset) -> None:
        """An on-disk store's worker opens the store itself instead of copying it."""
        assert _count(read_only) == len(ds) and read_only.worker is not None


@pytest.mark.oxigraph_server
@pytest.mark.slow  # a real oxigraph server
class TestRemote(BackendContract):
    timeout_error = RemoteTimeout
    timeout_message = "no answer within 1 s"
    bounds_memory = False
    substitutes = False

    @pytest.fixture
    def backend(self, oxigraph: str) -> Backend:
        return RemoteBackend(Endpoint(oxigraph + "/query"))

    @pytest.fixture
    def scratch(self, tmp_path: Path) -> Iterator[Backend]:
        base, proc = serve_oxigraph(tmp_path)
        yield RemoteBackend(Endpoint(base + "/query"), store=base + "/store")
        proc.terminate()
        proc.wait(timeout=10)

    @pytest.fixture
    def read_only(self, backend: Backend) -> Backend:
        return backend
