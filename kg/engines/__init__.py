"""The engines that evaluate queries: rdflib (pure Python), Oxigraph (embedded, native) and a remote SPARQL endpoint.
Nothing here imports from the packages above (dataset, query, ...): they hand engines checked text."""

#: The local engines a dataset can be held by, the default first.
ENGINES = ("rdflib", "oxigraph")
