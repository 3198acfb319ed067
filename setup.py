"""One build step beyond pyproject.toml: the wheel carries the project files, so an installed kg needs no checkout.

The ontology, shapes, data and saved queries stay at the top of the repository, where the design puts them;
building a wheel copies them into ``kg/_project/``, where kg.dataset.paths.project_root finds them when the
package does not sit in a checkout. The sdist lists them as sources, so a wheel built from it has them too.
An editable install copies nothing: the checkout is used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FILES = ("ontology.ttl", "shapes.ttl")
FOLDERS = ("data", "queries")
TARGET = ("kg", "_project")  # kg.dataset.paths.INSTALLED


def project_files() -> list[str]:
    """The files to ship, relative to the repository root (setuptools' working folder), in a stable order."""
    found = [*FILES]
    for folder in FOLDERS:
        found += sorted(path.as_posix() for path in Path(folder).rglob("*") if path.is_file())
    return found


class BuildPy(build_py):
    """setuptools' build_py, plus the project files copied into the build tree."""

    def _project_mapping(self) -> dict[str, str]:
        """Build-tree path -> source path of every project file."""
        target = Path(self.build_lib, *TARGET)
        return {str(target / name): name for name in project_files()}

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        shutil.rmtree(Path(self.build_lib, *TARGET), ignore_errors=True)  # no file left over from an earlier build
        for dest, source in self._project_mapping().items():
            self.mkpath(str(Path(dest).parent))
            self.copy_file(source, dest)

    def get_source_files(self) -> list[str]:
        return [*super().get_source_files(), *project_files()]

    def get_output_mapping(self) -> dict[str, str]:
        return {**super().get_output_mapping(), **self._project_mapping()}

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:  # setuptools already took them from get_output_mapping
            return outputs
        return [*outputs, *self._project_mapping()]


setup(cmdclass={"build_py": BuildPy})
