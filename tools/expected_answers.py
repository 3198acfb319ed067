"""Write the expected answer of every saved question to tests/expected/NAME.tsv, as kg answers it now.

Run after changing a question or the data, then read the diff: it is the change in the answers.
Usage: python3 tools/expected_answers.py [--check]   (--check: exit 1 if any file would change)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import EXPECTED, answer_text, expected_path  # noqa: E402

from kg.dataset.load import load_dataset  # noqa: E402
from kg.query.results import rows  # noqa: E402
from kg.query.saved import saved_queries  # noqa: E402
from kg.query.sparql import run_query  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args()
    ds = load_dataset()
    questions = saved_queries()
    stale = []
    for name in questions:
        text = answer_text(rows(run_query(ds, name)))
        path = expected_path(name)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not args.check:
            EXPECTED.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    orphans = sorted(p.name for p in EXPECTED.glob("*.tsv") if p.stem not in questions)
    verb = "out of date" if args.check else "written"
    print(f"{len(stale)} of {len(questions)} expected answers {verb}: {', '.join(stale) or 'none'}")
    if orphans:
        print(f"no saved question for: {', '.join(orphans)} (delete them)")
    return 1 if (args.check and stale) or orphans else 0


if __name__ == "__main__":
    sys.exit(main())
