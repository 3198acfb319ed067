"""`kg serve` on rdflib, `kg serve --engine oxigraph` and Oxigraph's own server, side by side on one machine.

Each server answers the same saved questions (form POST, JSON results, keep-alive) to ``--clients`` concurrent
clients for ``--seconds`` on loopback; the load comes from wrk (Debian's package `wrk`, written in C, so the
client costs the two cores little). Oxigraph's server is `oxigraph serve` (PyPI `oxigraph`) after `kg push`,
so it holds the same graphs and merged default graph and gives the same answers (checked before timing).

Usage: python benchmarks/bench_endpoint.py [--clients 8] [--seconds 10] [--workers 2] [--out FILE] [QUESTION ...]
Prints a table of throughput, p50 and p99 latency and errors per server and question, the ratios
kg serve / oxigraph serve, and writes it as Markdown to ``--out`` (default benchmarks/endpoint.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import socket
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


def kg_serve(workers: int, *options: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--quiet", "--workers", str(workers), *options],
        stderr=subprocess.PIPE,
        text=True,
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
    """wrk's report: requests per second, p50 and p99 latency (ms) and failed requests."""
    threads = min(2, clients)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "30s", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
        env={"KG_BENCH_BODY": str(body_file), "PATH": "/usr/bin:/bin"},
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="*", default=DEFAULT)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="kg serve's query workers")
    parser.add_argument("--out", type=Path, default=HERE / "endpoint.md")
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
    servers = {
        "kg serve (rdflib)": lambda: kg_serve(args.workers),
        "kg serve --engine oxigraph": lambda: kg_serve(args.workers, "--engine", "oxigraph"),
        "oxigraph serve": lambda: oxigraph_serve(work / "oxigraph"),
    }
    results: dict[str, dict[str, dict]] = {}
    reference: dict[str, int] = {}
    try:
        for label, start in servers.items():
            server, url = start()
            try:
                results[label] = {}
                for name in args.questions:
                    rows = len(answer(url, bodies[name].read_bytes()))
                    if reference.setdefault(name, rows) != rows:
                        sys.exit(f"{label} answers {name} with {rows} rows, another server with {reference[name]}")
                    results[label][name] = hammer(url, bodies[name], script, args.clients, args.seconds)
                    r = results[label][name]
                    print(f"{label:28} {name:22} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  errors {r['errors']}")
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = render(args, results)
    args.out.write_text(report)
    print(report)


def render(args: argparse.Namespace, results: dict[str, dict[str, dict]]) -> str:
    labels = list(results)
    lines = [
        "# Endpoint benchmark: kg serve (rdflib, Oxigraph) beside Oxigraph's own server",
        "",
        f"Measured {datetime.date.today()} on {machine()}, by `python benchmarks/bench_endpoint.py "
        f"--clients {args.clients} --seconds {args.seconds} --workers {args.workers}`: {args.clients} clients "
        f"(wrk, keep-alive) for {args.seconds} s per question and server over loopback, form POST, JSON results, "
        f"the shipped graph; kg serve with {args.workers} query workers and its default limits (time, memory, "
        "no network, result cap); `oxigraph serve` after `kg push`. Each server's answer was checked to have the "
        "same number of rows before timing.",
        "",
        "| question | " + " | ".join(labels) + " | kg serve --engine oxigraph / oxigraph serve |",
        "|---|" + "---:|" * (len(labels) + 1),
    ]
    for name in args.questions:
        cells = [
            f"{results[label][name]['rps']:,.0f} req/s, p50 {results[label][name]['p50']:.1f} ms"
            + (f", {results[label][name]['errors']} errors" if results[label][name]["errors"] else "")
            for label in labels
        ]
        ratio = results["kg serve --engine oxigraph"][name]["rps"] / results["oxigraph serve"][name]["rps"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f}× |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
