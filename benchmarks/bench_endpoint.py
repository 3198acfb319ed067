"""`kg serve` on rdflib, `kg serve --engine oxigraph` and Oxigraph's own server, side by side on one machine.

Each server answers the same saved questions (form POST, JSON results, keep-alive) to ``--clients`` concurrent
clients for ``--seconds`` on loopback; the load comes from wrk (Debian's package `wrk`, written in C, so the
client costs the two cores little). Oxigraph's server is `oxigraph serve` (PyPI `oxigraph`) after `kg push`,
so it holds the same graphs and merged default graph and gives the same answers (checked before timing).

Usage: python benchmarks/bench_endpoint.py [--clients 8] [--seconds 10] [--rounds 3] [--workers 2] [--out FILE]
                                           [QUESTION ...]
Prints throughput, p50 latency and errors per server, question and round, the ratios
kg serve / oxigraph serve, and writes it as Markdown to ``--out`` (default benchmarks/endpoint.md). ``--baseline REV``
also serves kg as of an earlier git revision (a temporary worktree), so that before and after share the run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_query import machine  # the sibling benchmark's machine description

from kg.query.saved import lookup

HERE = Path(__file__).resolve().parent

DEFAULT = ["plan-targets", "people-posts", "figure-sources", "entity-evidence"]
JSON = "application/sparql-results+json"
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/sparql-results+json"
local f = io.open(os.getenv("KG_BENCH_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kg_serve(workers: int, *options: str, code: Path | None = None) -> tuple[subprocess.Popen, str]:
    """`kg serve` on a free port: this checkout's, or the one at ``code`` (a worktree of an earlier revision)."""
    env = dict(os.environ, PYTHONPATH=str(code)) if code is not None else None
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--quiet", "--workers", str(workers), *options],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=code,
    )
    assert server.stderr is not None
    line = server.stderr.readline()
    if not line.startswith("serving "):
        raise SystemExit(f"kg serve did not start: {line}{server.stderr.read()}")
    threading.Thread(target=server.stderr.read, daemon=True).start()  # drain: a full pipe would block the server
    return server, line.split()[1]


def oxigraph_serve(location: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("oxigraph") or sys.exit("needs the `oxigraph` server (pip install oxigraph)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    push = [sys.executable, "-m", "kg.cli", "push", "--endpoint", base + "/store"]
    pushed = subprocess.run(push, capture_output=True, text=True)
    if pushed.returncode:
        server.kill()
        sys.exit(f"kg push failed: {pushed.stderr}")
    return server, base + "/query"


def answer(url: str, body: bytes) -> list[dict]:
    request = urllib.request.Request(
        url, body, {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["results"]["bindings"]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def hammer(url: str, body_file: Path, script: Path, clients: int, seconds: int) -> dict:
    """wrk's report: requests per second, median latency (ms) and failed requests."""
    threads = min(2, clients)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "30s", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
        env={"KG_BENCH_BODY": str(body_file), "PATH": "/usr/bin:/bin"},
    ).stdout
    latency = dict(re.findall(r"^\s+(50)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(latency["50"]),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="*", default=DEFAULT)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each (question, server), taken in turn")
    parser.add_argument("--workers", type=int, default=2, help="kg serve's query workers")
    parser.add_argument("--out", type=Path, default=HERE / "endpoint.md")
    parser.add_argument("--baseline", metavar="REV", help="also serve kg as of this git revision, for before/after")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="kg-bench-endpoint-"))
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    bodies = {}
    for name in args.questions:
        bodies[name] = work / f"{name}.form"
        bodies[name].write_bytes(urllib.parse.urlencode({"query": lookup(name).text}).encode())
    running: dict[str, tuple[subprocess.Popen, str]] = {}
    runs: dict[str, dict[str, list[dict]]] = {}
    try:
        if args.baseline:
            old = work / "baseline"
            git = ["git", "-C", str(HERE.parent), "worktree"]
            subprocess.run([*git, "add", "-q", "--detach", str(old), args.baseline], check=True)
            running[f"kg serve (rdflib) at {args.baseline}"] = kg_serve(args.workers, code=old)
            running[f"kg serve --engine oxigraph at {args.baseline}"] = kg_serve(
                args.workers, "--engine", "oxigraph", code=old
            )
        running["kg serve (rdflib)"] = kg_serve(args.workers)
        running["kg serve --engine oxigraph"] = kg_serve(args.workers, "--engine", "oxigraph")
        running["oxigraph serve"] = oxigraph_serve(work / "oxigraph")
        for name in args.questions:
            counts = {label: len(answer(url, bodies[name].read_bytes())) for label, (_, url) in running.items()}
            if len(set(counts.values())) != 1:
                sys.exit(f"the servers answer {name} with different numbers of rows: {counts}")
        # The servers take turns, round after round, so that a machine whose speed drifts (other work, heat)
        # weighs on each alike; the ratio is taken within each round.
        for name in args.questions:
            for _ in range(args.rounds):
                for label, (_, url) in running.items():
                    r = hammer(url, bodies[name], script, args.clients, args.seconds)
                    runs.setdefault(label, {}).setdefault(name, []).append(r)
                    print(f"{label:28} {name:22} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  errors {r['errors']}")
    finally:
        for server, _ in running.values():
            server.terminate()
            server.wait(timeout=30)
        if args.baseline:
            subprocess.run(["git", "-C", str(HERE.parent), "worktree", "remove", "--force", str(work / "baseline")])
        shutil.rmtree(work, ignore_errors=True)
    report = render(args, runs)
    args.out.write_text(report)
    print(report)


def _ratio(a: list[dict], b: list[dict]) -> str:
    """The median of the rounds' throughput ratios a/b, and each round's."""
    ratios = [x["rps"] / y["rps"] for x, y in zip(a, b, strict=True)]
    return f"{statistics.median(ratios):.2f}× ({', '.join(f'{r:.2f}' for r in ratios)})"


def render(args: argparse.Namespace, runs: dict[str, dict[str, list[dict]]]) -> str:
    labels = list(runs)
    kg_ox, ox = "kg serve --engine oxigraph", "oxigraph serve"
    before = f"kg serve (rdflib) at {args.baseline}" if args.baseline else ""
    lines = [
        "# Endpoint benchmark: kg serve (rdflib, Oxigraph) beside Oxigraph's own server",
        "",
        f"Measured {datetime.date.today()} on {machine()}, by `python benchmarks/bench_endpoint.py "
        f"--clients {args.clients} --seconds {args.seconds} --rounds {args.rounds} --workers {args.workers}`: "
        f"{args.clients} clients (wrk, keep-alive) for {args.seconds} s per run over loopback, form POST, JSON "
        f"results, the shipped graph; the three servers run at once and take turns, {args.rounds} rounds per "
        f"question; medians of the rounds, and the ratio is the median of each round's ratio. kg serve has "
        f"{args.workers} query workers and its default limits (time, memory, no network, result cap); "
        "`oxigraph serve` holds the same graphs after `kg push`. Each server's answer was checked to have the "
        "same number of rows before timing.",
        "",
        "| question | " + " | ".join(labels) + f" | {kg_ox} / {ox} |" + (" rdflib now / before |" if before else ""),
        "|---|" + "---:|" * (len(labels) + 1 + bool(before)),
    ]
    for name in args.questions:
        cells = []
        for label in labels:
            got = runs[label][name]
            errors = sum(r["errors"] for r in got)
            cells.append(
                f"{statistics.median(r['rps'] for r in got):,.0f} req/s, "
                f"p50 {statistics.median(r['p50'] for r in got):.1f} ms" + (f", {errors} errors" if errors else "")
            )
        cells.append(_ratio(runs[kg_ox][name], runs[ox][name]))
        if before:
            cells.append(_ratio(runs["kg serve (rdflib)"][name], runs[before][name]))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
