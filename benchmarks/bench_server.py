"""Bounded measurements of `kg serve` on loopback: load, the memory ceiling, slow connections.

Usage:
  python benchmarks/bench_server.py [--clients 64] [--seconds 30] [--workers 2] [--query plan-targets]
      concurrent clients asking a saved competency question, each on its own keep-alive connection, all
      connecting at the same moment: throughput, p50/p99 latency and errors (connection resets included).
  python benchmarks/bench_server.py --memory [--engine rdflib] [--memory-limit 1G] [--runs 3]
      the issue's 874-byte CONCAT query against one worker: HTTP status, seconds to the answer and the
      worker's peak resident memory (VmHWM from /proc, sampled every 5 ms).
  python benchmarks/bench_server.py --slow 60
      that many connections sending one byte a second (half in the headers, half in a POST body) while one
      normal client keeps asking: when the server closed each, and how the normal client fared.
Each starts its own `kg serve` on a free port; exits 1 if a client saw an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_query import machine  # the sibling benchmark's machine description

from kg.query.saved import find_saved

BOMB = (
    'SELECT (STRLEN(?v26) AS ?n) WHERE { BIND("0123456789abcdef" AS ?v0)'
    + "".join(f" BIND(CONCAT(?v{i},?v{i}) AS ?v{i + 1})" for i in range(26))
    + " }"
)
HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}


def start_server(*options: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", "--quiet", *options], stderr=subprocess.PIPE, text=True
    )
    line = server.stderr.readline()
    if not line.startswith("serving "):
        raise SystemExit(f"kg serve did not start: {line}{server.stderr.read()}")
    threading.Thread(target=server.stderr.read, daemon=True).start()  # drain: a full pipe would block the server
    return server, line.split()[1]


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def ask(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", path, body, HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


# --- load -------------------------------------------------------------------------------------------------------


def client(url: str, body: bytes, start: threading.Barrier, stop: float, latencies: list, errors: list) -> None:
    """Connect when every client does, then ask over one keep-alive connection until ``stop``."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    start.wait()
    while time.perf_counter() < stop:
        began = time.perf_counter()
        try:
            status, data = ask(conn, parts.path, body)
            if status != 200:
                errors.append(f"HTTP {status}: {data[:80]!r}")
                conn.close()
                continue
            if not json.loads(data)["results"]["bindings"]:
                errors.append("an empty answer")
                continue
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            continue
        latencies.append(time.perf_counter() - began)
    conn.close()


def load(args: argparse.Namespace) -> bool:
    saved = find_saved(args.query)
    if saved is None:
        raise SystemExit(f"no saved query {args.query!r}")
    server, url = start_server("--workers", str(args.workers))
    try:
        body = urllib.parse.urlencode({"query": saved.text}).encode()
        latencies: list[float] = []
        errors: list[str] = []
        start = threading.Barrier(args.clients)
        stop = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=client, args=(url, body, start, stop, latencies, errors))
            for _ in range(args.clients)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        stop_server(server)
    print(f"query {args.query}: {args.clients} clients, {args.workers} workers, {elapsed:.1f} s on loopback")
    if latencies:
        cuts = statistics.quantiles(latencies, n=100)
        print(f"answers {len(latencies)}  throughput {len(latencies) / elapsed:.1f}/s")
        print(f"latency p50 {cuts[49] * 1000:.0f} ms  p99 {cuts[98] * 1000:.0f} ms  max {max(latencies) * 1000:.0f} ms")
    print(f"errors {len(errors)}")
    for message in sorted(set(errors))[:5]:
        print(f"  {message}")
    return bool(latencies) and not errors


# --- the memory ceiling -----------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def peak_rss(pid: int) -> int:
    """VmHWM in bytes (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def bomb_once(engine: str, limit: str) -> tuple[int, float, int]:
    """(HTTP status, seconds, peak bytes) of the CONCAT query against a fresh one-worker server."""
    server, url = start_server("--workers", "1", "--engine", engine, "--memory-limit", limit, "--timeout", "120")
    try:
        (worker,) = children(server.pid)
        peak = [peak_rss(worker)]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], peak_rss(worker))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        began = time.perf_counter()
        try:
            status, _ = ask(conn, parts.path, urllib.parse.urlencode({"query": BOMB}).encode())
        finally:
            took = time.perf_counter() - began
            done.set()
            sampler.join()
            conn.close()
    finally:
        stop_server(server)
    return status, took, peak[0]


def memory(args: argparse.Namespace) -> bool:
    runs = [bomb_once(args.engine, args.memory_limit) for _ in range(args.runs)]
    for status, took, peak in runs:
        print(f"  HTTP {status}  {took:.2f} s  peak {peak / 2**20:.0f} MiB")
    took = statistics.median(r[1] for r in runs)
    peak = statistics.median(r[2] for r in runs)
    statuses = sorted({r[0] for r in runs})
    size = len(BOMB.encode())
    print(f"CONCAT query ({size} bytes) on {args.engine}, --memory-limit {args.memory_limit}, {args.runs} runs:")
    print(f"HTTP {statuses}  median {took:.2f} s  median peak {peak / 2**20:.0f} MiB")
    return statuses == [507]


# --- slow connections -------------------------------------------------------------------------------------------


def slow(args: argparse.Namespace) -> bool:
    server, url = start_server("--workers", str(args.workers))
    parts = urllib.parse.urlsplit(url)
    head = f"GET /sparql HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Slow: {'a' * 1000}".encode()
    body = (
        f"POST /sparql HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: 1000\r\n\r\n"
    ).encode()
    socks = [socket.create_connection((parts.hostname, parts.port)) for _ in range(args.slow)]
    pending = [head if i % 2 else b"query=" + b"a" * 994 for i in range(args.slow)]
    for i in range(0, args.slow, 2):
        socks[i].sendall(body)
    latencies: list[float] = []
    errors: list[str] = []
    done = threading.Event()

    def normal() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}).encode()
        while not done.is_set():
            began = time.perf_counter()
            try:
                status, _ = ask(conn, parts.path, query)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                continue
            if status != 200:
                errors.append(f"HTTP {status}")
            latencies.append(time.perf_counter() - began)
        conn.close()

    thread = threading.Thread(target=normal)
    thread.start()
    began = time.perf_counter()
    closed_after: dict[int, float] = {}
    sent = 0
    try:
        while len(closed_after) < args.slow and time.perf_counter() - began < 120:
            for i, sock in enumerate(socks):
                if i not in closed_after:
                    try:
                        sock.send(pending[i][sent : sent + 1])
                    except OSError:
                        closed_after[i] = time.perf_counter() - began
            sent += 1
            tick = time.perf_counter() + 1.0
            while (wait := tick - time.perf_counter()) > 0:
                ready, _, _ = select.select([s for i, s in enumerate(socks) if i not in closed_after], [], [], wait)
                for sock in ready:
                    i = socks.index(sock)
                    try:
                        gone = not sock.recv(65536)
                    except OSError:
                        gone = True
                    if gone:
                        closed_after[i] = time.perf_counter() - began
    finally:
        done.set()
        thread.join()
        for sock in socks:
            sock.close()
        stop_server(server)
    times = sorted(closed_after.values())
    print(f"{args.slow} connections sending a byte a second; {len(times)} closed by the server")
    if times:
        print(f"closed after: first {times[0]:.1f} s  median {statistics.median(times):.1f} s  last {times[-1]:.1f} s")
    if latencies:
        p50 = statistics.median(latencies) * 1000
        print(f"meanwhile one normal client: {len(latencies)} answers, p50 {p50:.0f} ms")
    print(f"errors {len(errors)}")
    return len(times) == args.slow and bool(latencies) and not errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--query", default="plan-targets", help="A saved question's name.")
    parser.add_argument("--memory", action="store_true", help="Measure the memory ceiling instead.")
    parser.add_argument("--engine", default="rdflib", choices=["rdflib", "oxigraph"])
    parser.add_argument("--memory-limit", default="1G")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow", type=int, metavar="N", help="Measure N slow connections instead.")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    ok = memory(args) if args.memory else slow(args) if args.slow else load(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
