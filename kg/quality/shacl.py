"""`kg validate`: every file parses, SHACL shapes hold, the project's own checks pass, and the ontology with all
the data is OWL 2 DL and consistent for HermiT (kg.quality.reasoner, when Java is present)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

from kg.dataset.load import expand_paths, parse_into
from kg.dataset.paths import draft_sources, project_root, shapes_path, shipped_sources
from kg.dataset.resolve import curie
from kg.engines.rdflib import new_dataset
from kg.errors import InputError
from kg.quality.checks import run_checks
from kg.quality.findings import Finding
from kg.quality.reasoner import dl_check
from kg.vocab.namespaces import SH


@dataclass
class Report:
    """All findings of a validation run; ``ok`` when there are none."""

    findings: list[Finding] = field(default_factory=list)
    triples: int = 0
    #: Whether HermiT's OWL 2 DL check ran; when it could not, ``notes`` says why.
    reasoned: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def shacl_findings(ds: Dataset, shapes: Path) -> list[Finding]:
    """Validate the union of all graphs (ontology included, for subclass targets) with pySHACL."""
    import pyshacl
    import rdflib

    union = Graph()
    for triple in ds.triples((None, None, None)):
        union.add(triple)
    shapes_graph = Graph().parse(shapes, format="turtle")
    keep = rdflib.NORMALIZE_LITERALS
    try:
        conforms, results, _ = pyshacl.validate(union, shacl_graph=shapes_graph, inference="none", advanced=True)
    finally:  # pySHACL switches rdflib's literal normalisation on when it ends; kg keeps lexical forms (load)
        rdflib.NORMALIZE_LITERALS = keep
    if conforms:
        return []
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        where = curie(focus) if isinstance(focus, URIRef) else str(focus)
        detail = f"{curie(path)}: " if isinstance(path, URIRef) else ""
        out.append(Finding("shacl", where, f"{detail}{message}"))
    return sorted(out, key=lambda f: (f.where, f.message))


def validate(
    extra: Iterable[str | Path] = (), root: Path | None = None, reasoner: bool = True, drafts: bool = False
) -> Report:
    """Load every file (collecting every parse error, not just the first), then run SHACL, the checks and,
    unless ``reasoner`` is False, HermiT's OWL 2 DL check. ``drafts`` adds the drafts in data/drafts/ as the
    graphs they would join, so a draft is checked exactly as its accepted form will be."""
    root = root or project_root()
    report = Report()
    ds = new_dataset()
    sources = shipped_sources(root) + (draft_sources(root) if drafts else [])
    extra_paths = expand_paths(extra)
    for src in sources:
        try:
            parse_into(ds, src.path, src.graph)
        except InputError as exc:
            report.findings.append(Finding("parse", str(src.path.relative_to(root)), str(exc)))
    for path in extra_paths:
        try:
            parse_into(ds, path)
        except InputError as exc:
            report.findings.append(Finding("parse", str(path), str(exc)))
    if report.findings:
        return report  # later checks would only echo the parse failures
    report.triples = len(ds)
    report.findings.extend(shacl_findings(ds, shapes_path(root)))
    report.findings.extend(run_checks(ds, root))
    if reasoner:
        result = dl_check(ds, [*(src.path for src in sources), *extra_paths])
        report.findings.extend(result.findings)
        report.reasoned = result.skipped is None
        if result.skipped:
            report.notes.append(f"HermiT's OWL 2 DL check was skipped: {result.skipped}")
    return report
