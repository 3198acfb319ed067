"""`kg push` beside each server's own bulk load of the same data, and the saved questions over `kg query --endpoint`:
Oxigraph and Virtuoso side by side on a synthetic corpus (1M triples unless told otherwise).

Usage: python benchmarks/bench_push.py [--size 1M] [--runs 3] [--load-runs 3] [--cap 60] [--out benchmarks/push.md]

The same data is what `kg push` leaves on a server: every named graph, and the merge of them all (Oxigraph: in its
default graph; Virtuoso: in the named graph urn:x-kg:merge, its Graph Store having no writable default graph),
written once to an N-Quads file that the yardsticks load:
- Oxigraph: one POST of the file to an empty `oxigraph serve` (``?no_transaction``, its bulk loader), the yardstick
  because it ends where `kg push` ends, a running server holding the data, by the same path, so the ratio is kg's
  own cost; and, for reference, `oxigraph load` of the file into a fresh store, offline.
- Virtuoso: its bulk loader, ld_dir + rdf_loader_run through isql-vt, into a fresh database (no checkpoint after,
  as after `kg push`).
Every load goes into a fresh server; the ways take turns (yardstick, kg push, …) so that other work on the machine
weighs on all alike, and each is the median of --load-runs. `kg push` is timed end to end: a fresh process reads
the corpus and sends it. Each question is `kg query NAME --endpoint URL --format tsv` end to end (Python's start-up
is measured on its own), the median of --runs, stopped at --cap seconds; the answers of the two servers are compared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

from bench_engines import SIZES, corpus  # noqa: E402 -- benchmarks/ and tests/ are put on the path just above
from bench_query import machine  # noqa: E402
from helpers import Virtuoso, free_port, serve_virtuoso  # noqa: E402

MERGE = "urn:x-kg:merge"
VIRTUOSO_BUFFERS = 340_000  # 8 KiB pages: 2.6 GiB of cache, Virtuoso's advice for a machine of 4 GiB or more


class Failed(Exception):
    """A timed step that did not finish: recorded in the report, the other runs go on."""


def _kg(args: list[str], root: Path, env: dict[str, str] | None = None, timeout: float = 3600) -> tuple[float, str]:
    """Wall time and output of one `kg` process on the corpus; Failed if it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "KG_ROOT": str(root), **(env or {})},
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise Failed(f"kg {' '.join(args[:2])} failed after {took:.0f} s: {done.stderr.strip()[-300:]}")
    return took, done.stdout


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {(done.stdout + done.stderr).strip()[-500:]}")
    return time.perf_counter() - started


def _peak_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return next(float(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


# --- the same data as one N-Quads file ---------------------------------------------------------------------


def _write_nquads(out: Path, merge: str) -> None:
    """Child process (KG_ROOT set): the corpus as kg reads it, each named graph and the merge (in the default graph,
    or in the named graph ``merge``), as N-Quads."""
    import pyoxigraph as ox

    from kg.dataset.load import load_dataset
    from kg.engines.oxigraph import OxigraphBackend
    from kg.engines.registry import backend_of

    backend = backend_of(load_dataset(engine="oxigraph"))
    assert isinstance(backend, OxigraphBackend)
    if merge == "default":  # kg's Oxigraph engine keeps the merge in the store's default graph
        backend.store.dump(str(out), format=ox.RdfFormat.N_QUADS)
        return
    graph = ox.NamedNode(merge)
    quads = (
        ox.Quad(q.subject, q.predicate, q.object, graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name)
        for q in backend.store
    )
    ox.serialize(quads, str(out), format=ox.RdfFormat.N_QUADS)


def nquads(root: Path, out: Path, merge: str) -> Path:
    if not out.is_file():
        env = {**os.environ, "KG_ROOT": str(root)}
        args = [sys.executable, __file__, "--write-nquads", str(out), "--merge", merge]
        subprocess.run(args, check=True, env=env)
    return out


# --- Oxigraph ------------------------------------------------------------------------------------------------

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


def _oxigraph_server(location: Path, cap: float) -> tuple[str, subprocess.Popen]:
    port = free_port()
    bind = ["--bind", f"127.0.0.1:{port}", "--timeout-s", str(int(cap))]
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), *bind], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            return base, proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("oxigraph serve did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def measure_oxigraph(root: Path, data: Path, scratch: Path, args: argparse.Namespace) -> dict:
    """Loads side by side; the last `kg push` server stays up for the questions."""
    times: dict[str, list[float]] = {"post": [], "load": [], "push": [], "graphs": []}
    peak: dict[str, float] = {}
    failures: list[str] = []
    server: tuple[str, subprocess.Popen] | None = None
    for run in range(args.load_runs):
        print(f"oxigraph: load run {run + 1}", file=sys.stderr)
        base, proc = _oxigraph_server(scratch / f"ox-post-{run}", args.cap)
        post = [f"{base}/store?no_transaction", "-H", "Content-Type: application/n-quads", "-T", str(data)]
        times["post"].append(_timed(["curl", "-sS", "-f", "-X", "POST", *post]))
        peak["post"] = _peak_mib(proc.pid)
        _stop(proc)
        times["load"].append(_timed([OXIGRAPH, "load", "--location", str(scratch / f"ox-load-{run}"), "-f", str(data)]))
        if server is not None:
            _stop(server[1])
        server = _oxigraph_server(scratch / f"ox-push-{run}", args.cap)
        try:
            took, said = _kg(["push", "--endpoint", server[0] + "/store"], root)
            assert "in one N-Quads stream" in said, said
            times["push"].append(took)
        except Failed as exc:
            failures.append(str(exc))
        peak["push"] = _peak_mib(server[1].pid)
        for done in ("post", "load"):
            shutil.rmtree(scratch / f"ox-{done}-{run}", ignore_errors=True)
    if args.graphs_method:
        print("oxigraph: kg push --method graphs", file=sys.stderr)
        base, proc = _oxigraph_server(scratch / "ox-graphs", args.cap)
        try:
            times["graphs"].append(_kg(["push", "--endpoint", base + "/store", "--method", "graphs"], root)[0])
        except Failed as exc:
            failures.append(str(exc))
        _stop(proc)
        shutil.rmtree(scratch / "ox-graphs", ignore_errors=True)
    assert server is not None
    questions = measure_questions(root, server[0] + "/query", args)
    _stop(server[1])
    return {"times": times, "peak_mib": peak, "questions": questions, "failures": failures}


# --- Virtuoso -----------------------------------------------------------------------------------------------


def _virtuoso(scratch: Path, name: str, cap: float) -> Virtuoso:
    folder = scratch / name
    folder.mkdir()
    return serve_virtuoso(folder, buffers=VIRTUOSO_BUFFERS, seconds=int(cap))


def measure_virtuoso(root: Path, data: Path, scratch: Path, args: argparse.Namespace) -> dict:
    times: dict[str, list[float]] = {"bulk": [], "push": []}
    peak: dict[str, float] = {}
    failures: list[str] = []
    server: Virtuoso | None = None
    for run in range(args.load_runs):
        print(f"virtuoso: load run {run + 1}", file=sys.stderr)
        bulk = _virtuoso(scratch, f"v-bulk-{run}", args.cap)
        shutil.copy(data, bulk.folder / "data.nq")
        started = time.perf_counter()
        bulk.isql(f"ld_dir('{bulk.folder}', 'data.nq', '{MERGE}');\nrdf_loader_run();\n")
        times["bulk"].append(time.perf_counter() - started)
        errors = bulk.isql("SELECT COUNT(*) FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;\n")
        assert "\n0\n" in errors, errors
        peak["bulk"] = _peak_mib(bulk.proc.pid)
        bulk.stop()
        shutil.rmtree(bulk.folder, ignore_errors=True)
        if server is not None:
            server.stop()
            shutil.rmtree(server.folder, ignore_errors=True)
        server = _virtuoso(scratch, f"v-push-{run}", args.cap)
        store = server.base + "/sparql-graph-crud-auth"
        push = ["push", "--endpoint", store, "--user", "dba", "--merge-graph", MERGE]
        try:
            times["push"].append(_kg(push, root, env={"KG_ENDPOINT_PASSWORD": server.password})[0])
        except Failed as exc:  # kept with the server's log, for the report to say
            failures.append(str(exc))
            shutil.copy(server.folder / "virtuoso.log", scratch.parent / f"push-virtuoso-{run}.log")
        peak["push"] = _peak_mib(server.proc.pid)
    assert server is not None
    url = server.base + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": MERGE})
    questions = measure_questions(root, url, args)
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)
    return {"times": times, "peak_mib": peak, "questions": questions, "failures": failures}


# --- the saved questions ---------------------------------------------------------------------------------------


def measure_questions(root: Path, url: str, args: argparse.Namespace) -> dict[str, dict]:
    """Each saved question's median wall time (or its error) and its answer as TSV, over `kg query --endpoint`."""
    out = {}
    for name in sorted(p.stem for p in (root / "queries").glob("*.rq")):
        times, answer, error = [], "", ""
        for _ in range(args.runs):
            command = ["query", name, "--endpoint", url, "--timeout", str(args.cap), "--format", "tsv"]
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "kg.cli", *command],
                capture_output=True,
                text=True,
                env={**os.environ, "KG_ROOT": str(root)},
                timeout=args.cap + 60,
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                error = (done.stderr.strip().splitlines() or ["failed"])[-1]
                break
            answer = done.stdout
        out[name] = {"seconds": statistics.median(times), "error": error, "answer": answer}
        print(f"  {name}: {out[name]['seconds']:.2f} s {error[:80]}", file=sys.stderr)
    return out


def startup(runs: int) -> float:
    return statistics.median(_timed([sys.executable, "-m", "kg.cli", "--version"]) for _ in range(runs))


# --- report ---------------------------------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _all(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _same(a: dict, b: dict) -> str:
    if a["error"] or b["error"]:
        return "—"
    if a["answer"] == b["answer"]:
        return "same"
    lines_a, lines_b = a["answer"].splitlines(), b["answer"].splitlines()
    if sorted(lines_a) == sorted(lines_b):
        return "same rows, other order"
    return f"differs ({len(lines_a) - 1} vs {len(lines_b) - 1} rows)"


def _why(error: str) -> str:
    """An error line without its `error:` and URL."""
    return error.split(": ", 2)[-1].replace("|", "/")[:110]


def report(results: dict, args: argparse.Namespace) -> str:
    ox, vt, meta = results["oxigraph"], results["virtuoso"], results["corpus"]
    o, v = ox["times"], vt["times"]
    push_o, post_o, load_o = _median(o["push"]), _median(o["post"]), _median(o["load"])
    push_v, bulk_v = _median(v["push"]), _median(v["bulk"])
    graphs = f" `--method graphs` (one PUT per graph, as before): {_s(o['graphs'][0])} once." if o["graphs"] else ""
    lines = [
        "# `kg push` against the servers' own bulk loads, and the questions over `kg query --endpoint`",
        "",
        f"Measured {results['date']} on {results['machine']} by `python benchmarks/bench_push.py --size {args.size} "
        f"--runs {args.runs} --load-runs {args.load_runs} --cap {args.cap:g}`: {meta['triples']:,} triples in "
        f"{meta['articles']:,} articles (benchmarks/synth.py), sent as {results['quads']:,} quads (each triple in its "
        "graph and in the merge). Medians; every load into a fresh server. The machine's 2 cores were shared with "
        "other work while this ran, so single timings vary by tens of percent: the runs are listed.",
        "",
        "| | Oxigraph 0.5 (`oxigraph serve`) | Virtuoso 7.2 (Debian) |",
        "|---|---:|---:|",
        f"| `kg push` (Oxigraph: auto = one N-Quads stream; Virtuoso: one PUT per graph) | **{_s(push_o)}** "
        f"({_all(o['push'])}) | **{_s(push_v)}** ({_all(v['push'])}) |",
        f"| the server's own bulk load of the same N-Quads | **{_s(post_o)}** (POST to an empty server; "
        f"{_all(o['post'])}) | **{_s(bulk_v)}** (ld_dir + rdf_loader_run; {_all(v['bulk'])}) |",
        f"| `kg push` / bulk load (target ≤ 2×) | **{push_o / post_o:.2f}×** | **{push_v / bulk_v:.2f}×** |",
        f"| for reference | `oxigraph load` offline: {_s(load_o)} ({_all(o['load'])}); `kg push` / it: "
        f"{push_o / load_o:.2f}× | |",
        f"| server's peak memory after `kg push` / bulk load | {ox['peak_mib']['push']:.0f} / "
        f"{ox['peak_mib']['post']:.0f} MiB | {vt['peak_mib']['push']:.0f} / {vt['peak_mib']['bulk']:.0f} MiB |",
        "",
        f"Python's start-up in each `kg` process: {_s(results['startup'])}.{graphs}",
        *[
            f"\nFailed ({server}): {failure}"
            for server in ("oxigraph", "virtuoso")
            for failure in results[server]["failures"]
        ],
        "",
        f"Questions: `kg query NAME --endpoint URL --format tsv`, end to end, median of {args.runs}, stopped at "
        f"{args.cap:g} s (Oxigraph's `--timeout-s` and Virtuoso's MaxQueryExecutionTime set to the same); Virtuoso "
        f"queried at `/sparql?default-graph-uri={MERGE}`.",
        "",
        "| question | Oxigraph | Virtuoso | answers |",
        "|---|---:|---:|---|",
    ]
    notes = [
        "",
        "The yardstick for Oxigraph is the POST to an empty `oxigraph serve`: it ends where `kg push` ends, a running "
        "server holding the data, by the same path, so the ratio is kg's own cost (reading the corpus, which the "
        "yardstick is handed ready-made as N-Quads, overlaps the server's loading). `oxigraph load` has no server "
        "and no HTTP. Virtuoso's Graph Store refuses N-Quads and TriG, so `kg push` sends one PUT per graph there "
        "(4,000 transactions); its bulk loader reads files on the server's own disk, which a client elsewhere cannot "
        'use. "answers" compares the two servers\' TSV: "same rows, other order" is Virtuoso ordering '
        "language-tagged labels by their first characters only (SPARQL leaves their order open). The questions are "
        "the corpus's own copies of queries/, taken when benchmarks/synth.py generated it.",
    ]
    for name in ox["questions"]:
        a, b = ox["questions"][name], vt["questions"][name]
        cells = [_s(q["seconds"]) + (f" ({_why(q['error'])})" if q["error"] else "") for q in (a, b)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {_same(a, b)} |")
    return "\n".join(lines + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M", choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=3, help="Runs of each question.")
    parser.add_argument("--load-runs", type=int, default=3, help="Runs of each load, each into a fresh server.")
    parser.add_argument("--cap", type=float, default=60.0, help="Seconds before a question is stopped.")
    parser.add_argument("--graphs-method", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--servers", default="oxigraph,virtuoso", help="Servers to measure now; the others' last results are reused."
    )
    parser.add_argument("--out", type=Path, default=HERE / "push.md")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    parser.add_argument("--write-nquads", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--merge", help=argparse.SUPPRESS)
    parser.add_argument("--report-only", action="store_true", help="Write --out again from the last results.")
    args = parser.parse_args()
    if args.write_nquads:
        _write_nquads(args.write_nquads, args.merge)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    root = corpus(args.size, args.cache)
    saved = args.cache / "push.json"
    results: dict[str, object] = json.loads(saved.read_text()) if saved.is_file() else {}
    results["corpus"] = json.loads((root / "SYNTH.json").read_text())
    servers = [s.strip() for s in args.servers.split(",")]
    measures = {"oxigraph": ("default", measure_oxigraph), "virtuoso": (MERGE, measure_virtuoso)}
    if unknown := set(servers) - set(measures):
        parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; choose from {', '.join(measures)}")
    with tempfile.TemporaryDirectory(prefix="kg-bench-push-", dir=args.cache) as tmp:
        for name in [] if args.report_only else servers:
            merge, measure = measures[name]
            print(f"{name}: writing the N-Quads file …", file=sys.stderr)
            data = nquads(root, Path(tmp) / f"{name}.nq", merge)
            with data.open("rb") as lines:
                results["quads"] = sum(1 for _ in lines)
            results[name] = measure(root, data, Path(tmp), args)
            saved.write_text(json.dumps(results, indent=1))
    results["startup"] = startup(5)
    results["machine"] = machine()
    results["date"] = datetime.date.today().isoformat()
    text = report(results, args)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
