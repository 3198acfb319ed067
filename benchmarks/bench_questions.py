"""Milliseconds per saved question, in process, on rdflib and on embedded Oxigraph (target: each ≤ 100 ms on rdflib).

Usage: python benchmarks/bench_questions.py [--runs 7] [--engines rdflib,oxigraph] [--cap 60] [--out FILE]

The graph (the shipped one, or the project at $KG_ROOT with its own queries/) is loaded once per engine, as
`kg query` loads it, and every saved question is asked --runs times on each. One run is what a user pays for
one question once the graph is loaded: the parse and safety check of its text (kg.engines.safety.prepare,
rdflib's parser whatever the engine), the engine's evaluation (embedded Oxigraph: in its worker process, the
answer sent back and turned into rdflib terms) and collecting the rows (kg.query.results.rows). Each run's text
ends in a comment of its own, so no parse cache serves it: every run pays the parse, as `kg query` does. Not
counted: loading the graph, reading the .rq file, starting Oxigraph's worker (done before timing) and
formatting the answer. Prints the medians, writes them to --out (default benchmarks/questions.md) and exits 1 if
a question's median on rdflib is over 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_query import machine  # the sibling benchmark's machine description

from kg.dataset.load import load_dataset
from kg.dataset.paths import project_root
from kg.errors import QueryTimeout
from kg.query.results import rows
from kg.query.saved import SavedQuery, saved_queries
from kg.query.sparql import run_query

HERE = Path(__file__).resolve().parent
TARGET_MS = 100.0
TITLES = {"rdflib": "rdflib", "oxigraph": "Oxigraph (embedded)"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def time_questions(
    engine: str, questions: dict[str, SavedQuery], runs: int, cap: float
) -> tuple[dict[str, float | None], int]:
    """Each question's median in ms (None: stopped at ``cap`` seconds), and the triples of the default graph."""
    ds = load_dataset(engine=engine)
    triples = int(rows(run_query(ds, COUNT)).rows[0][0])  # also starts Oxigraph's worker before any timing
    medians: dict[str, float | None] = {}
    for name, saved in questions.items():
        times: list[float] = []
        for run in range(runs):
            text = f"{saved.text}\n# {engine} run {run}\n"  # a text of its own: no parse cache serves it
            started = time.perf_counter()
            try:
                rows(run_query(ds, text, timeout=cap))
            except QueryTimeout:
                break
            times.append((time.perf_counter() - started) * 1000)
        medians[name] = statistics.median(times) if len(times) == runs else None
        print(f"{engine:<9} {name:<24} {_ms(medians[name], cap):>10}", file=sys.stderr)
    return medians, triples


def _ms(value: float | None, cap: float) -> str:
    return f"> {cap:g} s" if value is None else f"{value:.0f} ms"


def _over(value: float | None) -> bool:
    return value is None or value > TARGET_MS


def report(results: dict[str, dict[str, float | None]], triples: int, args: argparse.Namespace) -> str:
    names = list(next(iter(results.values())))
    root = project_root()
    graph = "the shipped graph" if root == HERE.parent else f"the graph at {root}"
    command = " ".join(["python benchmarks/bench_questions.py", *sys.argv[1:]])
    lines = [
        "# Saved questions: milliseconds per question",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()} by `{command}`; {graph} ({triples:,} triples); "
        f"median of {args.runs} runs per question, a question stopped at {args.cap:g} s.",
        "",
        "One run is what a user pays for one question once the graph is loaded: the parse and safety check of its "
        "text (rdflib's parser, whatever the engine; each run's text ends in a comment of its own, so no parse "
        "cache serves it), the engine's evaluation (embedded Oxigraph: in its worker process, the answer sent back "
        "and turned into rdflib terms) and collecting the rows. Loading the graph, reading the .rq file, starting "
        "Oxigraph's worker and formatting the answer are not counted.",
        "",
    ]
    engines = list(results)
    checked = "rdflib" in results
    if checked:
        slow = [n for n in names if _over(results["rdflib"][n])]
        verdict = "met by all" if not slow else f"NOT met by {', '.join(slow)}"
        lines += [f"Target: every question ≤ {TARGET_MS:.0f} ms on rdflib: {verdict} ({len(names)} questions).", ""]
    heads = [TITLES[e] for e in engines] + ([f"≤ {TARGET_MS:.0f} ms on rdflib"] if checked else [])
    lines += [
        "| question | " + " | ".join(heads) + " |",
        "|---|" + "---:|" * len(engines) + ("---|" if checked else ""),
    ]
    for name in names:
        cells = [_ms(results[e][name], args.cap) for e in engines]
        if checked:
            cells.append("**no**" if _over(results["rdflib"][name]) else "yes")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--engines", default="rdflib,oxigraph", help="Comma-separated: rdflib, oxigraph.")
    parser.add_argument("--cap", type=float, default=60.0, help="Seconds before a question is stopped.")
    parser.add_argument("--out", type=Path, default=HERE / "questions.md")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",")]
    unknown = [e for e in engines if e not in TITLES]
    if unknown:
        parser.exit(2, f"error: unknown engine(s) {', '.join(unknown)}; choose from {', '.join(TITLES)}\n")
    questions = saved_queries()
    results: dict[str, dict[str, float | None]] = {}
    triples = 0
    for engine in engines:
        results[engine], triples = time_questions(engine, questions, args.runs, args.cap)
    text = report(results, triples, args)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    sys.exit(1 if "rdflib" in results and any(_over(v) for v in results["rdflib"].values()) else 0)


if __name__ == "__main__":
    main()
