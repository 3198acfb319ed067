"""The README's Python example runs as written."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT


@pytest.mark.slow
def test_readme_python_example_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["report"].ok
    assert str(namespace["cosmoplat"]).endswith("/COSMOPlat")


def test_readme_lists_every_saved_query() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for rq in sorted((ROOT / "queries").glob("*.rq")):
        assert f"`{rq.stem}`" in text, f"README does not list {rq.stem}"
