"""Execute the notebooks in a fresh kernel and save them with their outputs, normalised for clean diffs.

Outputs are kept in git so the notebooks read well on GitHub (tables and the static figures
show). Run this after changing a notebook or the data: `python tools/run_notebooks.py`.
The test suite re-executes every notebook and checks the committed text outputs still match.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
INTERACTIVE_PLACEHOLDER = "[interactive graph: run this notebook to explore it; it is not stored in git]"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def execute(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel whose working folder is a temporary one."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="kg-notebook-") as workdir:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": workdir}}).execute()
    return normalise(nb)


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes from run to run or machine to machine (timings, kernel versions, cell ids)."""
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:02d}"
        cell.metadata = {}
        for output in cell.get("outputs", []):
            if "iframe srcdoc" in output.get("data", {}).get("text/html", ""):
                # The interactive view is a whole offline page (~1 MB); GitHub cannot run it anyway.
                output.data = {"text/plain": INTERACTIVE_PLACEHOLDER}
    return nb


def text_outputs(nb: nbformat.NotebookNode) -> list[list[str]]:
    """The text a reader sees per code cell (plain-text results and printed output), for comparison."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts: list[str] = []
        after_stdout = False
        for o in cell.outputs:
            stdout = o.output_type == "stream" and o.name == "stdout"
            if stdout and after_stdout:
                texts[-1] += o.text  # the kernel splits printed text where its buffer flushed; a reader sees one
            elif stdout:
                texts.append(o.text)
            elif o.output_type in ("execute_result", "display_data") and "image/png" not in o.get("data", {}):
                texts.append(o.get("data", {}).get("text/plain", ""))
            elif o.output_type == "error":
                texts.append(f"ERROR {o.ename}: {o.evalue}")
            after_stdout = stdout
        out.append(texts)
    return out


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"executed {path.name}")


if __name__ == "__main__":
    main()
