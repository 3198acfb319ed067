"""Every notebook runs top to bottom in a real Jupyter kernel, and the outputs kept in git are current."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _tool():
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "tools" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_and_clean(path: Path) -> None:
    """Decision: outputs are kept (they show on GitHub), but only as tools/run_notebooks.py writes them."""
    nb = nbformat.read(path, as_version=4)
    tool = _tool()
    assert nb.cells[0].cell_type == "markdown", "a notebook opens with what it shows and for whom"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "run top to bottom in one fresh kernel"
    assert nb == tool.normalise(nbformat.read(path, as_version=4)), "metadata not normalised"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert all(o.output_type != "error" for o in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_only_the_public_api(path: Path) -> None:
    allowed = {"kg"}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kg"):
                assert node.module in allowed, f"{path.name} imports {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("kg.") or alias.name in allowed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_outputs_are_current(path: Path) -> None:
    tool = _tool()
    executed = tool.execute(path)
    committed = nbformat.read(path, as_version=4)
    assert tool.text_outputs(executed) == tool.text_outputs(committed), (
        f"{path.name}: committed outputs are stale; run python tools/run_notebooks.py"
    )
