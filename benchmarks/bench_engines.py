"""rdflib vs embedded Oxigraph vs an Oxigraph server, side by side, on synthetic corpora of 10k, 100k and 1M triples.

Usage: python benchmarks/bench_engines.py [--sizes 10k,100k,1M] [--runs 5] [--out benchmarks/engines.md]

For each corpus (made by benchmarks/synth.py, cached under .bench/) and each backend, a fresh
process loads the data (with an empty parse cache, so every load parses), then times every saved
competency question (median of --runs runs, each query capped at --cap seconds) and the data
behind `kg graph --focus Haier --depth 2` (walk with the default node budget, conversion and HTML;
benchmarks/bench_focus.py times the whole command's view and the view without a budget). Peak memory is the
process's maximum resident set (for the server, the server process's). Load time for the server
is `kg push` into an empty `oxigraph serve`. Also timed: bare pyoxigraph loads of the same files
(the yardsticks for the embedded load: each file into its named graph only, and into its named
graph plus the default graph, which is what a set-valued union default graph costs in pyoxigraph
0.5), building and reopening an on-disk store (`kg build --store`), and a cold `kg query
plan-targets` on the shipped graph. Everything goes into --out with the machine described.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
FOCUS = ("Haier", 2)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    layout = "Graphviz sfdp" if shutil.which("sfdp") else "no Graphviz (networkx layout)"
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()}, {layout}"
    )


def corpus(size: str, cache: Path) -> Path:
    """The synthetic corpus of ``size``, generated once and reused."""
    sys.path.insert(0, str(HERE))
    import synth

    out = cache / f"synth-{size}"
    meta = out / "SYNTH.json"
    if not (meta.is_file() and json.loads(meta.read_text())["requested"] == SIZES[size]):
        if out.exists():
            shutil.rmtree(out)
        started = time.perf_counter()
        synth.generate(out, SIZES[size])
        print(f"generated {size} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return out


# --- one backend, measured in its own process ------------------------------------------------------


def _worker(args: argparse.Namespace) -> None:
    """Child process: load with one backend, time the questions and the focus view, print JSON."""
    os.environ["KG_ROOT"] = args.root
    from kg.dataset.resolve import resolve_entity
    from kg.graph.budget import MAX_NODES
    from kg.graph.html import render_html
    from kg.graph.walk import QuadSource, RemoteSource, local_source, walk
    from kg.query.saved import saved_queries

    report: dict[str, object] = {}
    started = time.perf_counter()
    if args.backend in ("bare", "bare-merged"):
        import pyoxigraph as ox

        from kg.dataset.paths import shipped_sources

        store = ox.Store()  # in memory, where Store.load is faster than bulk_load (measured)
        for src in shipped_sources():
            graphs = [ox.NamedNode(str(src.graph))] + ([ox.DefaultGraph()] if args.backend == "bare-merged" else [])
            for graph in graphs:
                store.load(path=str(src.path), format=ox.RdfFormat.TURTLE, to_graph=graph)
        report["load"] = time.perf_counter() - started
        report["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(report))
        return
    if args.backend == "store":
        from kg.dataset.store import build_store, open_store

        folder = Path(args.endpoint)  # the scratch folder, passed in the endpoint slot
        shutil.rmtree(folder, ignore_errors=True)
        build_store(folder)
        report["build"] = time.perf_counter() - started
        opened = time.perf_counter()
        open_store(folder)
        report["open"] = time.perf_counter() - opened
        shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(report))
        return
    if args.backend == "server":
        from kg.dataset.resolve import lookup_graph
        from kg.engines.remote import Endpoint
        from kg.publish.push import push

        push(args.endpoint + "/store")
        report["load"] = time.perf_counter() - started
        remote = Endpoint(args.endpoint + "/query", timeout=args.cap)

        def run(text: str) -> object:
            return remote.query(text)

        def source() -> QuadSource:
            return RemoteSource(remote)

        centre = resolve_entity(lookup_graph(remote, FOCUS[0]), FOCUS[0])
    else:
        from kg.dataset.load import load_dataset
        from kg.query.sparql import run_query

        ds = load_dataset(engine=args.backend)
        report["load"] = time.perf_counter() - started
        report["peak_mib_after_load"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        def run(text: str) -> object:
            return run_query(ds, text, timeout=args.cap)

        def source() -> QuadSource:
            return local_source(ds)  # a fresh one each run: it remembers what it read

        centre = resolve_entity(ds, FOCUS[0])
    latencies: dict[str, object] = {}
    for saved in saved_queries(ROOT / "queries").values():  # the project's questions, not a corpus's old copy
        times: list[float] = []
        failed = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            try:
                run(saved.text)
            except Exception as exc:  # a timeout or failure is recorded, not fatal
                failed = {"error": type(exc).__name__, "after": time.perf_counter() - t0}
                break
            times.append(time.perf_counter() - t0)
            if times[-1] > args.cap / 4:
                break  # slow enough that one run tells; do not spend the whole budget repeating it
        latencies[saved.name] = failed or statistics.median(times)
    report["queries"] = latencies
    focus_times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        view = walk(source(), centre, FOCUS[1], 25, MAX_NODES).view()
        render_html(view, "focus")
        focus_times.append(time.perf_counter() - t0)
        if focus_times[-1] > args.cap / 4:
            break  # as for the questions: one slow run tells
    report["focus"] = statistics.median(focus_times)
    report["focus_nodes"] = view.number_of_nodes()
    report["focus_within"] = view.graph.get("within_depth", view.number_of_nodes())
    report["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report))


def measure(backend: str, root: Path, runs: int, cap: float, endpoint: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", backend, "--root", str(root), "--runs", str(runs), "--cap", str(cap)]
    if endpoint:
        cmd += ["--endpoint", endpoint]
    with tempfile.TemporaryDirectory() as cache:  # an empty parse cache: every load parses
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "KG_CACHE_DIR": cache})
    if done.returncode != 0:
        raise SystemExit(f"{backend} on {root.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_kib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return next(float(line.split()[1]) for line in f if line.startswith("VmHWM"))


def measure_server(root: Path, runs: int, cap: float, scratch: Path) -> dict:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    location = scratch / f"server-{root.name}"
    shutil.rmtree(location, ignore_errors=True)
    port = _free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"])
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        report = measure("server", root, runs, cap, f"http://127.0.0.1:{port}")
        report["peak_mib"] = _peak_kib(proc.pid) / 1024
        return report
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(location, ignore_errors=True)


def cold_query(runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(["kg", "query", "plan-targets"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --- report ------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, dict):
        if value["error"].endswith("Timeout"):  # QueryTimeout (embedded) or RemoteTimeout (client gave up)
            return f"> {value['after']:.0f} s ({value['error']})"
        return f"{value['error']} after {value['after']:.1f} s"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"  # type: ignore[operator]


def _seconds(value: object, cap: float) -> float:
    return cap if isinstance(value, dict) else float(value)  # type: ignore[arg-type]


def report(results: dict, cold: float, args: argparse.Namespace) -> str:
    lines = [
        "# Engine benchmark: rdflib, embedded Oxigraph, Oxigraph server",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()} by `python benchmarks/bench_engines.py "
        f"--sizes {args.sizes} --runs {args.runs}`; medians of {args.runs} runs; a question is stopped at "
        f"{args.cap:g} s (then counted as {args.cap:g} s, which favours rdflib in the ratios).",
        "",
        "Cold `kg query plan-targets` on the shipped graph (fresh process, rdflib engine, median of "
        f"{args.runs}): **{cold:.2f} s** (target ≤ 0.5 s: {'met' if cold <= 0.5 else 'NOT met'}).",
        "",
    ]
    for size, r in results.items():
        names = list(r["rdflib"]["queries"])
        ratios = [
            _seconds(r["rdflib"]["queries"][n], args.cap) / _seconds(r["oxigraph"]["queries"][n], args.cap)
            for n in names
        ]
        median_ratio = statistics.median(ratios)
        load_ratio = r["oxigraph"]["load"] / r["bare"]["load"]
        merged_ratio = r["oxigraph"]["load"] / r["bare-merged"]["load"]
        lines += [
            f"## {size}: {r['triples']:,} triples in {r['articles']:,} articles",
            "",
            "| | rdflib | Oxigraph (embedded) | Oxigraph server | bare pyoxigraph | bare, with merge |",
            "|---|---:|---:|---:|---:|---:|",
            f"| load | {r['rdflib']['load']:.2f} s | {r['oxigraph']['load']:.2f} s "
            f"| {r['server']['load']:.2f} s (kg push) | {r['bare']['load']:.2f} s | {r['bare-merged']['load']:.2f} s |",
            f"| peak memory | {r['rdflib']['peak_mib']:.0f} MiB | {r['oxigraph']['peak_mib']:.0f} MiB "
            f"| {r['server']['peak_mib']:.0f} MiB (server) | {r['bare']['peak_mib']:.0f} MiB "
            f"| {r['bare-merged']['peak_mib']:.0f} MiB |",
            f"| focus view ({FOCUS[0]}, depth {FOCUS[1]}, {r['rdflib']['focus_nodes']} of "
            f"{r['rdflib'].get('focus_within', r['rdflib']['focus_nodes']):,} nodes) "
            f"| {_fmt(r['rdflib']['focus'])} | {_fmt(r['oxigraph']['focus'])} | {_fmt(r['server']['focus'])} | | |",
            "",
            f"On-disk store: `kg build --store` {r['store']['build']:.2f} s once; reopening it "
            f"{_fmt(r['store']['open'])} (no parsing).",
            "",
            f"Median speed-up of embedded Oxigraph over rdflib, {len(names)} questions: **{median_ratio:.1f}×**"
            " (a lower bound where rdflib hit the cap)"
            + (f" (target ≥ 20× at 1M: {'met' if median_ratio >= 20 else 'NOT met'})" if size == "1M" else "")
            + f". Embedded load / bare pyoxigraph load: **{load_ratio:.2f}×**"
            + (f" (target ≤ 1.2×: {'met' if load_ratio <= 1.2 else 'NOT met'})" if size == "1M" else "")
            + f"; / bare load with the merged default graph: **{merged_ratio:.2f}×**.",
            "",
            "| question | rdflib | Oxigraph (embedded) | Oxigraph server | speed-up |",
            "|---|---:|---:|---:|---:|",
        ]
        for n, ratio in zip(names, ratios, strict=True):
            q = [r[b]["queries"][n] for b in ("rdflib", "oxigraph", "server")]
            lines.append(f"| {n} | {_fmt(q[0])} | {_fmt(q[1])} | {_fmt(q[2])} | {ratio:.1f}× |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cap", type=float, default=300.0, help="Seconds before a question is stopped.")
    parser.add_argument("--out", type=Path, default=HERE / "engines.md")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
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
    if unknown:
        parser.exit(2, f"error: unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}\n")
    args.cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in sizes:
        root = corpus(size, args.cache)
        meta = json.loads((root / "SYNTH.json").read_text())
        r: dict[str, object] = {"triples": meta["triples"], "articles": meta["articles"]}
        for backend in ("bare", "bare-merged", "oxigraph", "rdflib"):
            print(f"{size}: {backend} …", file=sys.stderr)
            r[backend] = measure(backend, root, args.runs, args.cap)
        r["store"] = measure("store", root, 1, args.cap, str(args.cache / f"store-{size}"))
        print(f"{size}: server …", file=sys.stderr)
        r["server"] = measure_server(root, args.runs, args.cap, args.cache)
        results[size] = r
        (args.cache / "results.json").write_text(json.dumps(results, indent=1))
    text = report(results, cold_query(args.runs), args)
    notes = HERE / "reading.md"  # hand-written explanations, kept apart so a re-run does not drop them
    if notes.is_file():
        text += "\n\n" + notes.read_text(encoding="utf-8").strip()
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
