"""The engines that evaluate queries, each a kg.engines.backend.Backend: rdflib (pure Python), Oxigraph (embedded,
native) and a remote SPARQL endpoint. Nothing here imports from the packages above (dataset, query, ...): they
hand engines checked text and ask a dataset's backend (kg.engines.registry.backend_of) what it can do."""

#: The local engines a dataset can be held by, the default first.
ENGINES = ("rdflib", "oxigraph")
