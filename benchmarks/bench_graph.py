"""Relationship graph at scale: a generated 5,000-node RDF graph → networkx → HTML → ready in Chromium.

Usage: python benchmarks/bench_graph.py [--nodes N] [--runs N] [--keep FILE.html]
Prints the median, min and max of N runs for: RDF → networkx, layout + HTML, and the time from
opening the file in headless Chromium (network blocked) until the page reports the network drawn.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
from rdflib import Dataset, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_query import machine
from kg.graph.convert import rdf_to_nx
from kg.graph.html import render_html

EX = Namespace("https://example.org/bench/")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def generated_dataset(nodes: int, seed: int = 1) -> Dataset:
    """A scale-free graph of typed, labelled entities, its links spread over five source graphs."""
    rng = random.Random(seed)
    ds = Dataset(default_union=True)
    sources = [ds.graph(URIRef(f"{EX}article/{i}")) for i in range(5)]
    shared = ds.graph(URIRef(f"{EX}entities"))
    predicates = [EX[f"p{i}"] for i in range(8)]
    for i in range(nodes):
        shared.add((EX[f"e{i}"], RDF.type, EX[f"Class{i % 12}"]))
        shared.add((EX[f"e{i}"], SKOS.prefLabel, Literal(f"Entity {i}", lang="en")))
        shared.add((EX[f"e{i}"], DCTERMS.description, Literal(f"Generated entity number {i}.")))
    for u, v in nx.barabasi_albert_graph(nodes, 2, seed=seed).edges():
        rng.choice(sources).add((EX[f"e{u}"], rng.choice(predicates), EX[f"e{v}"]))
    return ds


def open_times(path: Path, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
            )
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=120_000)
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return times


def show(name: str, times: list[float]) -> None:
    print(f"{name:<34} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f}  {len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Also write the page here.")
    args = parser.parse_args()
    ds = generated_dataset(args.nodes)
    print(f"machine: {machine()}; layout: {'graphviz sfdp' if shutil.which('sfdp') else 'networkx spring'}")
    convert, render = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        graph = rdf_to_nx(ds)
        convert.append(time.perf_counter() - start)
        start = time.perf_counter()
        page = render_html(graph, f"{args.nodes} generated entities")
        render.append(time.perf_counter() - start)
    print(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} links; page {len(page) / 1e6:.1f} MB")
    print(f"{'step':<34} {'median s':>9} {'min s':>7} {'max s':>7}  runs")
    show("RDF → networkx", convert)
    show("layout + HTML", render)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.html"
        path.write_text(page, encoding="utf-8")
        if args.keep:
            shutil.copy(path, args.keep)
        show("open → network ready (Chromium)", open_times(path, args.runs))


if __name__ == "__main__":
    main()
