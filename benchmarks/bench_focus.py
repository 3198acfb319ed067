"""The focus view of a busy node on large corpora: rdflib, embedded Oxigraph and an Oxigraph server.

Usage: python benchmarks/bench_focus.py [--sizes 100k,1M] [--runs 3] [--out benchmarks/focus.md]

For each corpus (benchmarks/synth.py, cached under .bench/) and each backend, a fresh process loads the data
(an empty parse cache, so every load parses; for the server, `kg push` into an empty `oxigraph serve`), then
draws `kg graph --focus Haier --depth 2` as the command does (kg.graph.compose: resolve the name, walk with the
default node budget, convert, write the HTML page) --runs times, and the same without a budget once (the view
before the budget: every node within two links). Reported: the load, the median view time and its parts, the
nodes shown and within the depth. Everything goes into --out with the machine described.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_engines import SIZES, corpus  # noqa: E402
from bench_query import machine  # noqa: E402

FOCUS, DEPTH = "Haier", 2
BACKENDS = ("rdflib", "oxigraph", "server")
NOTES = """## Reading these numbers

- **What the budget changes.** Without it the view is every node within two links: at 1M Haier's two thousand
  neighbours and eight thousand of theirs, fetched, converted and laid out (Graphviz's sfdp) to be drawn as a
  hairball. With it (kg.graph.budget) the walk chooses while it goes: nearer nodes first, the classes in turn,
  the best supported first; the links of a node left out are never read, so the work no longer grows with
  the neighbourhood but with the nodes shown and what they state (a hub kept, such as Qingdao, still brings
  its sources and the evidence of its links).
- **Nodes within 2 links** is exact when every node one link away was walked; with nodes left out there, their
  neighbours are not read and the view says "at least" (a lower bound: the nodes next to the ones shown).
- **The HTML file** column includes checking the output path (kg.dataset.outputs, which lists the shipped
  files so as never to overwrite one: with a corpus of 4,000 articles a noticeable part of it) and writing.
- **Resolving the name** is in the compose column: kg.dataset.resolve compares every label of the graph with
  the name, about 0.3 s at 1M on rdflib; on embedded Oxigraph the labels are compared in pyoxigraph's terms
  first (kg.graph.walk.OxigraphSource.names), where rdflib's view of the store took a second.
- **Embedded Oxigraph** is read through pyoxigraph itself (kg.graph.walk.OxigraphSource), not rdflib's view
  of the store and not SPARQL, whose first query starts the engine's worker process (a copy of the store).
- **The server** is read with a few SPARQL queries per step (200 nodes a query); its time is mostly its
  counting the neighbours of the hubs kept (to know not to walk through them) and sending the statements of
  the nodes shown, and their reifications, as SPARQL JSON. The first view after a push is the slowest run
  (the server's caches are cold): the runs column lists every run.
- Timings on this 2-core machine shared with other work vary by a factor of up to two between runs.
"""


def _worker(args: argparse.Namespace) -> None:
    """Child process: load with one backend, time the focus view, print JSON."""
    os.environ["KG_ROOT"] = args.root
    from kg.graph.budget import MAX_NODES
    from kg.graph.compose import ViewRequest, compose_view, write_view

    started = time.perf_counter()
    ds, endpoint = None, None
    if args.backend == "server":
        from kg.engines.remote import Endpoint
        from kg.publish.push import push

        push(args.endpoint + "/store")
        endpoint = Endpoint(args.endpoint + "/query", timeout=args.cap)
    else:
        from kg.dataset.load import load_dataset

        ds = load_dataset(engine=args.backend)
    report: dict[str, object] = {"load": time.perf_counter() - started}
    scratch = tempfile.TemporaryDirectory()
    folder = Path(scratch.name)

    def view(max_nodes: int | None, run: int) -> dict[str, object]:
        request = ViewRequest(focus=FOCUS, depth=DEPTH, max_nodes=max_nodes)
        t0 = time.perf_counter()
        drawn = compose_view(request, ds, endpoint)
        t1 = time.perf_counter()
        write_view(drawn, folder / f"view-{max_nodes}-{run}.html", "html")
        t2 = time.perf_counter()
        about = drawn.graph.graph
        return {
            "compose": t1 - t0,
            "write": t2 - t1,
            "total": t2 - t0,
            "shown": drawn.graph.number_of_nodes(),
            "links": drawn.graph.number_of_edges(),
            "within": about.get("within_depth", drawn.graph.number_of_nodes()),
            "exact": about.get("within_depth_exact", True),
            "left_out": about.get("left_out", ""),
        }

    runs = [view(MAX_NODES, run) for run in range(args.runs)]
    report["budget"] = MAX_NODES
    report["runs"] = runs
    report["unbudgeted"] = view(None, 0) if not args.skip_unbudgeted else None
    scratch.cleanup()
    print(json.dumps(report))


def measure(backend: str, root: Path, args: argparse.Namespace, endpoint: str = "") -> dict:
    """One backend's report, from a fresh process (``endpoint``: the server's base URL)."""
    cmd = [sys.executable, __file__, "--worker", backend, "--root", str(root), "--runs", str(args.runs)]
    cmd += ["--cap", str(args.cap)] + (["--endpoint", endpoint] if endpoint else [])
    cmd += ["--skip-unbudgeted"] if args.skip_unbudgeted else []
    with tempfile.TemporaryDirectory() as cache:  # an empty parse cache: every load parses
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "KG_CACHE_DIR": cache})
    if done.returncode != 0:
        raise SystemExit(f"{backend} on {root.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def served(location: Path, run: Callable[[str], dict]) -> dict:
    """``run(base_url)`` against a fresh, empty `oxigraph serve` on a free loopback port, stopped afterwards."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    shutil.rmtree(location, ignore_errors=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"])
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        return run(f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(location, ignore_errors=True)


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def report(results: dict, args: argparse.Namespace) -> str:
    lines = [
        "# Focus view benchmark: a node budget",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()} by `python benchmarks/bench_focus.py --sizes "
        f"{args.sizes} --runs {args.runs}`. The view is `kg graph --focus {FOCUS} --depth {DEPTH}` as the command "
        "draws it (kg.graph.compose: resolve the name, walk, convert, write the HTML page), in a process that "
        "loaded the corpus first; load time is separate and not included. Medians of the runs with the default "
        "budget; the view without a budget (`--max-nodes 0`, what every focus view was before) was drawn once.",
        "",
        "| corpus | backend | load | view (median) | of which compose | of which HTML file | runs | nodes shown "
        "| nodes within 2 links | without a budget |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for size, by_backend in results.items():
        for backend, r in by_backend.items():
            runs = r["runs"]
            within = f"{'' if runs[0]['exact'] else '≥ '}{int(runs[0]['within']):,}"
            before = r["unbudgeted"]
            old = f"{before['total']:.1f} s, {int(before['shown']):,} nodes" if before else "not run"
            load = f"{r['load']:.1f} s" + (" (kg push)" if backend == "server" else "")
            timings = " | ".join(f"{_median(runs, key):.2f} s" for key in ("compose", "write"))
            every = ", ".join(f"{r['total']:.1f}" for r in runs)
            lines.append(
                f"| {size} | {backend} | {load} | **{_median(runs, 'total'):.2f} s** | {timings} | {every} "
                f"| {int(runs[0]['shown'])} | {within} | {old} |"
            )
    lines += ["", "What the views said they left out:", ""]
    for size, by_backend in results.items():
        said = {r["runs"][0]["left_out"] for r in by_backend.values()}
        same = "the same on every backend" if len(said) == 1 else "DIFFERENT across backends"
        lines += [f"- {size} ({same}): {' / '.join(sorted(str(s) for s in said)) or 'nothing (under the budget)'}"]
    return "\n".join([*lines, "", NOTES]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap", type=float, default=600.0, help="Seconds before a server query is given up.")
    parser.add_argument("--out", type=Path, default=HERE / "focus.md")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    parser.add_argument("--skip-unbudgeted", action="store_true", help="Do not draw the view without a budget.")
    parser.add_argument("--report", action="store_true", help="Only write --out again from the last measurements.")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.backend = args.worker
        _worker(args)
        return
    sizes = [s.strip() for s in args.sizes.split(",")]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or args.runs < 1:
        parser.exit(2, f"error: sizes from {', '.join(SIZES)} and --runs of at least 1\n")
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.report:
        args.out.write_text(report(json.loads((args.cache / "focus.json").read_text()), args), encoding="utf-8")
        return
    results: dict[str, dict[str, dict]] = {}
    for size in sizes:
        root = corpus(size, args.cache)
        results[size] = {}
        for backend in BACKENDS:
            print(f"{size}: {backend} …", file=sys.stderr)
            if backend == "server":
                location = args.cache / f"focus-server-{size}"
                results[size][backend] = served(location, partial(measure, "server", root, args))
            else:
                results[size][backend] = measure(backend, root, args)
            (args.cache / "focus.json").write_text(json.dumps(results, indent=1))
    text = report(results, args)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
