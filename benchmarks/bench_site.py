"""`kg site` end to end (a fresh process each run): wall time, pages, files and bytes, on the shipped graph and on
synthetic corpora (benchmarks/synth.py, cached under .bench/), on rdflib and on the Oxigraph engine.

Usage: python benchmarks/bench_site.py [--runs N] [--sizes shipped,100k] [--engines rdflib,oxigraph] [--out FILE]
Prints one line per (size, engine) with the median, min and max of N runs, and the machine; with --out, also
writes them as a Markdown table (benchmarks/site.md).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_engines import SIZES, corpus, machine  # noqa: E402

ROOT = HERE.parent


def run_site(root: Path | None, engine: str, out: Path) -> tuple[float, str]:
    env = dict(os.environ)
    if root is not None:
        env["KG_ROOT"] = str(root)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "site", "-o", str(out), "--engine", engine, "--timeout", "0"],
        capture_output=True,
        text=True,
        env=env,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"kg site failed ({engine}, {root or 'shipped'}): {proc.stderr.strip()}")
    return took, proc.stderr.strip()


def triples(root: Path | None) -> int:
    from rdflib import Dataset

    from kg.dataset.load import load_dataset

    if root is not None:
        os.environ["KG_ROOT"] = str(root)
    ds: Dataset = load_dataset()
    os.environ.pop("KG_ROOT", None)
    return len(ds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="shipped,100k")
    parser.add_argument("--engines", default="rdflib,oxigraph")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    parser.add_argument("--out", type=Path, help="also write the results as a Markdown table here")
    args = parser.parse_args()
    print(machine())
    rows: list[str] = []
    for size in args.sizes.split(","):
        root = None if size == "shipped" else corpus(size, args.cache)
        if size != "shipped" and size not in SIZES:
            raise SystemExit(f"unknown size {size}; choose shipped or one of {', '.join(SIZES)}")
        count = triples(root)
        for engine in args.engines.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "site"
                times, summary = [], ""
                for _ in range(args.runs):
                    took, summary = run_site(root, engine, out)
                    times.append(took)
                written = re.search(r"wrote (\d+) pages and (\d+) other files \(([\d.]+) MB\)", summary)
                pages, others, mb = written.groups() if written else ("?", "?", "?")
                median = statistics.median(times)
                print(
                    f"{size:>7} ({count:,} triples) {engine:8} kg site: median {median:.2f} s "
                    f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs); {pages} pages, "
                    f"{others} other files, {mb} MB",
                    flush=True,
                )
                rows.append(
                    f"| {size} | {count:,} | {engine} | **{median:.1f} s** | {min(times):.1f}–{max(times):.1f} s | "
                    f"{int(pages):,} | {int(others):,} | {mb} MB |"
                )
    if args.out:
        args.out.write_text(
            "# `kg site`: the Linked Data site, end to end\n\n"
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()} by `python benchmarks/bench_site.py "
            f"--runs {args.runs} --sizes {args.sizes} --engines {args.engines}`: a fresh `kg site -o DIR` process "
            "per run (loading the data, answering the saved questions, writing every page and twin), median of "
            f"{args.runs} runs.\n\n"
            "| graph | triples | engine | median | range | pages | other files | size |\n"
            "|---|---:|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
