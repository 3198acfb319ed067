"""The code stays ruff clean (lint and format), checked with the same ruff the test extra installs, and
type-checks with mypy (``[tool.mypy]`` in pyproject.toml: the whole ``kg`` package)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args: list[str]) -> None:
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    proc = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy(tmp_path: Path) -> None:
    """mypy with the project's settings finds nothing; its cache goes to a temporary folder, not the checkout."""
    assert importlib.util.find_spec("mypy"), "mypy is part of the test extra: pip install -e '.[test]'"
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
