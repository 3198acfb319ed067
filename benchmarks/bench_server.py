"""Bounded load test of `kg serve` on loopback: concurrent clients asking a saved competency question.

Usage: python benchmarks/bench_server.py [--clients 16] [--seconds 30] [--workers 2] [--query plan-targets]
Starts `kg serve` on a free loopback port, runs the clients (each on its own keep-alive connection) for the
given time, and prints throughput, p50/p99 latency and the number of errors; exits 1 if there were errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_query import machine  # the sibling benchmark's machine description

from kg.saved import find_saved


def client(url: str, body: bytes, stop: float, latencies: list[float], errors: list[str]) -> None:
    """Ask the question over one keep-alive connection until ``stop``; record each answer's latency."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
    while time.perf_counter() < stop:
        start = time.perf_counter()
        try:
            conn.request("POST", parts.path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                errors.append(f"HTTP {resp.status}: {data[:80]!r}")
                conn.close()
                continue
            if not json.loads(data)["results"]["bindings"]:
                errors.append("an empty answer")
                continue
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            continue
        latencies.append(time.perf_counter() - start)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--query", default="plan-targets", help="A saved question's name.")
    args = parser.parse_args()
    saved = find_saved(args.query)
    if saved is None:
        raise SystemExit(f"no saved query {args.query!r}")
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--workers", str(args.workers), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()
        if not line.startswith("serving "):
            raise SystemExit(f"kg serve did not start: {line}{server.stderr.read()}")
        url = line.split()[1]
        body = urllib.parse.urlencode({"query": saved.text}).encode()
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=client, args=(url, body, stop, latencies, errors)) for _ in range(args.clients)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"machine: {machine()}")
    print(f"query {args.query}: {args.clients} clients, {args.workers} workers, {elapsed:.1f} s on loopback")
    if latencies:
        cuts = statistics.quantiles(latencies, n=100)
        print(f"answers {len(latencies)}  throughput {len(latencies) / elapsed:.1f}/s")
        print(f"latency p50 {cuts[49] * 1000:.0f} ms  p99 {cuts[98] * 1000:.0f} ms  max {max(latencies) * 1000:.0f} ms")
    print(f"errors {len(errors)}")
    for message in sorted(set(errors))[:5]:
        print(f"  {message}")
    sys.exit(1 if errors or not latencies else 0)


if __name__ == "__main__":
    main()
