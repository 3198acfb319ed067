"""Qingdao industrial knowledge graph: load, validate, query and describe the graph.

The public API for scripts and notebooks is re-exported here lazily, so that ``import kg``
stays cheap for the CLI:

- ``load_dataset(extra=(), engine="rdflib")`` — the graph as an rdflib Dataset (default graph = union);
  ``engine="oxigraph"`` holds it in Oxigraph. ``build_store(dir)`` / ``open_store(dir)`` — on-disk stores.
- ``run_query(ds, text, bindings=None, timeout=None, allow_network=False)`` — a finished rdflib Result; ``text`` may
  be a saved question's name, its parameters keywords: ``run_query(ds, "entity-aliases", entity="Haier Kaos")``.
- ``answer(ds, text, bindings, reason=True)`` / ``render(result, fmt)`` — a question as ``kg query`` answers it
  (optionally with what the ontology entails), and its text in a format with the exit code it means.
- ``query_rows(result, ds)`` / ``to_dataframe(result, ds)`` — readable rows or a pandas DataFrame.
- ``construct_graph(result)`` — the rdflib Graph of a CONSTRUCT/DESCRIBE result.
- ``add_inferences(ds)`` / ``inferred_graph(ds)`` — what the ontology entails (OWL 2 RL, cached).
- ``resolve_entity(ds, name)`` — the IRI a label, alias, CURIE or IRI names.
- ``saved_queries()`` — the competency questions in ``queries/``, by name (``saved_queries()["plan-targets"].text``).
- ``validate()`` — SHACL and the project's checks; ``report.ok``, ``report.findings``.
- ``project_root()`` — the folder holding the data: the checkout, or the copy installed with the package
  (articles' ``qdo:sourceFile`` is relative to it).
- ``rdf_to_nx(ds)``, ``neighbourhood(g, name, depth)``, ``paths_between(g, a, b)``, ``centrality(g)`` —
  networkx views (nodes named by IRI, CURIE, label or alias); ``draw(g, path=None, fmt="svg")`` — a static
  figure (Graphviz; SVG/PNG/PDF, shown inline in Jupyter); ``notebook_view(g, title)``,
  ``write_html(g, path, title)``, ``write_graph(g, path, fmt)``.
- ``export_rdf(ds, fmt, ExportScope(...))`` — deterministic Turtle, TriG, N-Quads, N-Triples, JSON-LD, RDF/XML.
- ``compose_view(ViewRequest(focus="COSMOPlat", depth=2), ds)`` / ``write_view(view, path, fmt)`` — a view as
  ``kg graph`` makes it (whole graph, focus walk, path, a query's answer; class and predicate filters) and its file.
- ``write_site(ds, folder)`` — the static Linked Data site `kg site` writes; ``Site(ds).render("id/Haier.html")``
  — one of its files (a page, or a twin: ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``).
- ``Endpoint(url).query(text)`` / ``push(store_url)`` — a remote SPARQL server; ``focus_walk(source, iri, depth,
  hub_limit)`` — the part of a big graph a focus view needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API: dict[str, str | tuple[str, str]] = {  # public name -> module, or (module, attribute)
    "load_dataset": "kg.dataset.load",
    "run_query": "kg.query.sparql",
    "construct_graph": "kg.query.sparql",
    "query_rows": "kg.query.results",
    "to_dataframe": "kg.query.results",
    "add_inferences": "kg.query.reasoning",
    "inferred_graph": "kg.query.reasoning",
    "resolve_entity": "kg.dataset.resolve",
    "saved_queries": "kg.query.saved",
    "validate": "kg.quality.shacl",
    "project_root": "kg.dataset.paths",
    "rdf_to_nx": "kg.graph.convert",
    "neighbourhood": "kg.graph.views",
    "paths_between": "kg.graph.views",
    "centrality": "kg.graph.views",
    "notebook_view": "kg.graph.html",
    "write_html": "kg.graph.html",
    "write_graph": "kg.graph.files",
    "draw": ("kg.graph.draw", "draw"),
    "export_rdf": ("kg.publish.rdf", "export"),
    "ExportScope": ("kg.publish.rdf", "Scope"),
    "build_store": "kg.dataset.store",
    "open_store": "kg.dataset.store",
    "Endpoint": "kg.engines.remote",
    "push": "kg.publish.push",
    "focus_walk": ("kg.graph.walk", "walk"),
    "answer": "kg.query.answer",
    "render": "kg.query.answer",
    "ViewRequest": "kg.graph.compose",
    "compose_view": "kg.graph.compose",
    "write_view": "kg.graph.compose",
    "write_site": "kg.site.build",
    "Site": "kg.site.render",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:  # PEP 562: defer heavy imports (rdflib, pyshacl) until used
    if name in _API:
        target = _API[name]
        module, attribute = target if isinstance(target, tuple) else (target, name)
        return getattr(import_module(module), attribute)
    raise AttributeError(name)
