"""The wheel works without a checkout: built from this checkout, installed in a fresh venv, run from an empty folder.

Why: kg reads the ontology, shapes, data and saved queries from the checkout around the package; a
wheel has no checkout, so it carries a copy (setup.py) that kg.dataset.paths.project_root falls back to.
The venv sees the packages of the Python running the tests (the runtime dependencies) and with them,
on a developer's machine, an editable install of some checkout; the venv's own copy must be what runs.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from helpers import missing_tool
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parent.parent
#: What the wheel must carry beside the modules: the package data, and the project files under kg/_project/.
PACKAGE_DATA = ("kg/serve/static", "kg/quality/DlCheck.java")
PROJECT_FILES = ("ontology.ttl", "shapes.ttl", "data", "queries")
Run = Callable[..., CompletedProcess[str]]  # a program of the venv and its arguments


def _files(*names: str) -> set[str]:
    """Every file a name in the checkout stands for (itself, or all in the folder), relative to the checkout."""
    found = set()
    for name in names:
        path = CHECKOUT / name
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        found |= {p.relative_to(CHECKOUT).as_posix() for p in paths}
    return found


def _setuptools_suffices() -> bool:
    """Whether the installed setuptools meets [build-system] requires, so the build needs no network."""
    (requirement,) = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["build-system"]["requires"]
    wanted = Requirement(requirement)
    try:
        return wanted.specifier.contains(version(wanted.name), prereleases=True)
    except PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    offline = _setuptools_suffices()
    isolation = ["--no-build-isolation"] if offline else []  # else pip fetches setuptools from PyPI
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", *isolation]
    proc = subprocess.run([*command, "-w", str(out), str(CHECKOUT)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and not offline and "No matching distribution found for setuptools" in proc.stderr:
        missing_tool("cannot build the wheel: the installed setuptools is too old and PyPI is out of reach")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel installed and nothing else: the dependencies are the running Python's packages."""
    folder = tmp_path_factory.mktemp("venv")
    make = [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(folder)]
    subprocess.run(make, check=True, timeout=120)
    python = str(folder / "bin" / "python")
    where = [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    purelib = Path(subprocess.run(where, capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    # --system-site-packages gives the base interpreter's packages; when the tests run in a venv, its packages too
    (purelib / "outer.pth").write_text("".join(f"{path}\n" for path in site.getsitepackages()))
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    proc = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh home folder, so the parse cache starts empty in its default place (~/.cache/qingdao-kg)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def run(venv: Path, home: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Run a program of the venv from an empty folder (left empty), with no PYTHONPATH or KG_ROOT."""
    cwd = tmp_path_factory.mktemp("anywhere")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KG_", "VIRTUAL_ENV"))}
    env["HOME"] = str(home)

    def run(program: str, *args: str) -> CompletedProcess[str]:
        command = [str(venv / "bin" / program), *args]
        proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert not any(cwd.iterdir()), "kg wrote into the working folder"
        return proc

    return run


def test_wheel_carries_the_project_files_and_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _files(*PACKAGE_DATA) <= names
    assert {n.removeprefix("kg/_project/") for n in names if n.startswith("kg/_project/")} == _files(*PROJECT_FILES)


def test_installed_kg_finds_its_own_copy(run: Run, venv: Path) -> None:
    proc = run("python", "-c", "import kg; print(kg.__file__); print(kg.project_root())")
    assert proc.returncode == 0, proc.stderr
    module, root = (Path(line) for line in proc.stdout.splitlines())
    assert module.is_relative_to(venv) and root == module.parent / "_project", proc.stdout


def test_installed_kg_runs_from_any_folder(run: Run, home: Path) -> None:
    proc = run("kg", "showcase")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation: OK" in proc.stdout and "== plan-targets:" in proc.stdout
    assert list((home / ".cache" / "qingdao-kg").glob("parsed-*.json")), "the parse cache was not written"
    proc = run("kg", "validate", "--no-reasoner")  # evidence checked against the installed article texts
    assert proc.returncode == 0 and proc.stdout.startswith("OK:"), proc.stdout + proc.stderr
    proc = run("kg", "query", "figure-conflicts", "--format", "csv")
    assert proc.returncode == 0 and "3.1 percentage points" in proc.stdout, proc.stderr


def test_installed_copy_is_never_written(run: Run, venv: Path) -> None:
    (target,) = venv.glob("lib/python*/site-packages/kg/_project/data")
    proc = run("kg", "query", "plan-targets", "-o", str(target / "answer.csv"))
    assert proc.returncode == 2 and "part of the shipped graph" in proc.stderr, proc.stderr
    assert not (target / "answer.csv").exists()
    proc = run("kg", "ingest", str(CHECKOUT / "docs" / "examples" / "marine-economy.txt"))
    assert proc.returncode == 2 and "never into the copy installed" in proc.stderr, proc.stderr
    proc = run("kg", "review", "a005", "--list")
    assert proc.returncode == 2 and "never the copy installed" in proc.stderr, proc.stderr
    assert not (target / "drafts").exists()
