"""End-to-end wall time of `kg query` on a saved competency question (a fresh process each run).

Usage: python benchmarks/bench_query.py [--runs N] [QUERY_NAME ...]
Prints the median, min and max of N runs per question and describes the machine. Measured as a user's second run:
kg's bytecode compiled first (where PYTHONDONTWRITEBYTECODE is set, as on CI machines, Python would otherwise compile
kg's source in every process: about a tenth of a cold query) and one run not counted (it fills the parse cache).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = ["plan-targets", "figure-conflicts", "cosmoplat-chery-haier"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def time_query(name: str, runs: int) -> list[float]:
    subprocess.run([sys.executable, "-m", "kg.cli", "query", name], capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "kg.cli", "query", name], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"kg query {name} failed: {proc.stderr.strip()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("queries", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "kg", quiet=1)
    print(f"machine: {machine()}")
    print(f"{'query':<26} {'median s':>9} {'min s':>7} {'max s':>7}  runs")
    for name in args.queries:
        t = time_query(name, args.runs)
        print(f"{name:<26} {statistics.median(t):>9.3f} {min(t):>7.3f} {max(t):>7.3f}  {len(t)}")


if __name__ == "__main__":
    main()
