"""Wall time of `kg export` per format, end to end (a fresh process each run), and the size of what it writes.

Usage: python benchmarks/bench_export.py [--runs N] [FORMAT ...]
Prints the median, min and max of N runs per format and describes the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_query import machine

FORMATS = ["turtle", "trig", "nquads", "nt", "jsonld", "xml"]


def time_export(fmt: str, runs: int, out: Path) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "kg.cli", "export", "--format", fmt, "-o", str(out)], capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"kg export --format {fmt} failed: {proc.stderr.strip()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("formats", nargs="*", default=FORMATS)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            out = Path(tmp) / f"graph.{fmt}"
            times = time_export(fmt, args.runs, out)
            print(
                f"kg export --format {fmt:7} median {statistics.median(times):.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs), {out.stat().st_size:,} bytes"
            )


if __name__ == "__main__":
    main()
