"""`kg validate`'s OWL 2 DL check: the ontology and all the data through HermiT and the OWL API's profile checker.

Why: SHACL checks each record's shape, not whether the ontology's axioms (domains, ranges, disjoint
classes, datatypes) can all hold at once with the data; a description-logic reasoner does. And OWL
tools refuse what is not OWL 2 DL: HermiT, the reasoner of Protégé and owlready2, refused the
ontology's xsd:gYear ranges, and the data contradicted qdo:statement's range, with no check noticing.

How: ``kg/quality/DlCheck.java`` runs in Java's source-file mode against the HermiT.jar owlready2 ships
(HermiT 1.3.8 and OWL API 3.4): no build step, a headless JRE is enough. It reads one N-Triples
file, the union of every graph, without

- the RDF reification scaffolding (``rdf:Statement``, ``rdf:subject``, ``rdf:predicate``,
  ``rdf:object``): OWL 2 DL reserves that vocabulary and gives it no meaning, so the OWL API would
  call every reification a violation; the statement nodes keep their evidence and source;
- ``owl:imports``, which the OWL API would fetch: validation never touches the network.

Cost: about a second on the shipped graph (JVM start, compiling the checker, HermiT; `kg validate`
goes from 0.6 to 1.6 s), so the answer is cached, keyed by a hash of the input files, the checker
and the jar (kg.dataset.cache's folder and rules): unchanged data costs nothing more. Without Java or
owlready2 the check is skipped and validation says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import IdentifiedNode, Node

from kg.dataset.cache import read_entry, write_entry
from kg.dataset.resolve import curie
from kg.engines.limits import expired, remaining
from kg.errors import MemoryLimitExceeded
from kg.quality.findings import Finding
from kg.vocab.namespaces import ONTOLOGY_IRI

CHECKER = Path(__file__).with_name("DlCheck.java")
#: Short-lived JVM: one GC thread and the quick compiler start HermiT about a second sooner.
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
#: What the JVM needs beside its heap (its classes, compiled code, compiling the checker): about 90 MB measured.
JVM_NON_HEAP = 128 * 2**20
_OUT_OF_MEMORY = ("OutOfMemoryError", "Not enough space", "Could not reserve", "Cannot allocate memory")
REIFICATION = (RDF.subject, RDF.predicate, RDF.object)
_IRI = re.compile(r"<([^<>\s]+)>")
_DATATYPE = re.compile(r"datatype '([^']+)'")
#: DlCheck's last record: without one the checker stopped early, and silence must not pass for a clean graph.
_VERDICT = re.compile(r"^(classified|inconsistent|refused|failed)(\t|$)", re.MULTILINE)


@dataclass
class DLResult:
    """What the check found, or why it could not run (``skipped``)."""

    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None


def hermit_jar() -> Path | None:
    """The HermiT.jar inside the installed owlready2 package (found without importing owlready2)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        return None
    jar = Path(spec.origin).parent / "hermit" / "HermiT.jar"
    return jar if jar.is_file() else None


def dl_graph(ds: Dataset) -> Graph:
    """The union of every graph as HermiT is given it: without reification scaffolding and owl:imports."""
    union = Graph()
    for s, p, o in ds.triples((None, None, None)):
        if p in REIFICATION or p == OWL.imports or (p == RDF.type and o == RDF.Statement):
            continue
        union.add((s, p, o))
    return union


def _cache_key(files: Iterable[Path], java: str, jar: Path) -> str:
    digest = hashlib.sha256(CHECKER.read_bytes())
    info = jar.stat()
    digest.update(f"{jar.resolve()}|{info.st_size}|{info.st_mtime_ns}|{Path(java).resolve()}\n".encode())
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _heap_options() -> list[str]:
    """A small initial heap, and a largest one that keeps the JVM inside the data-segment limit it inherits
    (kg.engines.limits.memory_ceiling sets it for the command; the JVM's default would commit more and not start)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    if soft == resource.RLIM_INFINITY:
        return ["-Xms16m"]
    return ["-Xms16m", f"-Xmx{max(soft - JVM_NON_HEAP, 32 * 2**20) // 2**20}m"]


def _run_checker(graph: Graph, java: str, jar: Path) -> str:
    """DlCheck's output for ``graph``; a crash of the checker is reported as one ``failed`` record."""
    with tempfile.TemporaryDirectory(prefix="kg-dl-") as folder:
        path = Path(folder) / "graph.nt"
        lines = graph.serialize(format="nt").splitlines(keepends=True)
        path.write_text("".join(sorted(lines)), encoding="utf-8")  # one order: the OWL API's guesses depend on it
        crash_log = f"-XX:ErrorFile={folder}/hs_err_%p.log"  # not the user's working folder
        command = [java, *JVM_OPTIONS, *_heap_options(), crash_log, "-cp", str(jar), str(CHECKER), str(path)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=remaining(), check=False)
        except subprocess.TimeoutExpired:
            raise expired() from None
    if proc.returncode != 0:
        if any(sign in proc.stderr for sign in _OUT_OF_MEMORY):
            raise MemoryLimitExceeded("stopped: HermiT needed more memory than is left (raise it with --memory-limit)")
        errors = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("\t")]
        return f"failed\t{errors[0] if errors else f'exit status {proc.returncode}'}\n"
    return proc.stdout


def _short(text: str) -> str:
    """OWL API functional syntax with the project's prefixes instead of full IRIs."""
    return _IRI.sub(lambda m: curie(URIRef(m[1])), text)


def _datatype_uses(ds: Dataset, datatype: URIRef) -> str:
    """Where the data or ontology gives HermiT a datatype it refuses: ranges, and property values by graph."""
    onto = ds.graph(ONTOLOGY_IRI)
    annotations = set(onto.subjects(RDF.type, OWL.AnnotationProperty))
    ranged = sorted(p for p in onto.subjects(RDFS.range, datatype) if isinstance(p, IdentifiedNode))
    uses = [f"range of {curie(p)}" for p in ranged if p not in annotations]
    graphs: dict[Node, set[str]] = {}
    for _s, p, o, g in ds.quads((None, None, None, None)):
        if isinstance(o, Literal) and o.datatype == datatype and p not in annotations and p not in REIFICATION:
            name = getattr(g, "identifier", g)
            graphs.setdefault(p, set()).add(curie(name) if name is not None else "the default graph")
    uses += [f"values of {curie(p)} in {', '.join(sorted(gs))}" for p, gs in sorted(graphs.items())]
    return "; ".join(uses) or "nowhere kg can point to"


def _records(output: str) -> list[tuple[str, list[str], list[str]]]:
    """DlCheck's lines as (kind, fields, reasons): each ``because`` line joins the record before it."""
    records: list[tuple[str, list[str], list[str]]] = []
    for line in output.splitlines():
        kind, *fields = line.split("\t")
        if kind == "because" and records:
            records[-1][2].append(_short(fields[0]) if fields else "")
        elif line:
            records.append((kind, fields, []))
    return records


def _findings(output: str, ds: Dataset) -> list[Finding]:
    """DlCheck's records as findings; profile violations of one kind on one term are grouped."""
    findings: list[Finding] = []
    profile: dict[tuple[str, str], list[str]] = {}
    for kind, fields, reasons in _records(output):
        because = f" Because: {'; '.join(reasons)}." if reasons else ""
        first = fields[0] if fields else ""
        if kind == "profile" and len(fields) == 3:
            profile.setdefault((first, _short(fields[1])), []).append(_short(fields[2]))
        elif kind == "refused":
            found = _DATATYPE.search(first)
            if found:
                datatype = URIRef(found[1])
                message = (
                    f"HermiT refuses {curie(datatype)}, which is outside the OWL 2 datatype map; used by: "
                    f"{_datatype_uses(ds, datatype)} (docs/modelling.md: Years and dates)"
                )
                findings.append(Finding("owl-dl", curie(datatype), message))
            else:
                findings.append(Finding("owl-dl", "ontology", f"HermiT refuses the graph: {' '.join(first.split())}"))
        elif kind == "inconsistent":
            where = ", ".join(sorted({m for r in reasons for m in re.findall(r"\bqd:[^\s()]+", r)})) or "ontology"
            findings.append(Finding("reasoner", where, f"ontology + data are inconsistent (HermiT).{because}"))
        elif kind == "unsatisfiable":
            name = curie(URIRef(first))
            findings.append(Finding("reasoner", name, f"unsatisfiable class (HermiT): nothing can be one.{because}"))
        elif kind == "failed":
            findings.append(Finding("owl-dl", "HermiT", f"the OWL 2 DL check failed: {first}"))
    for (kind, description), axioms in sorted(profile.items()):
        found = re.search(r"(\S+:\S+|<[^>]+>)\s*$", description)
        more = f" (and {len(axioms) - 1} more)" if len(axioms) > 1 else ""
        where = found[1] if found else "ontology"
        findings.append(Finding("owl-dl", where, f"not OWL 2 DL ({kind}): {description}; in {axioms[0]}{more}"))
    if not _VERDICT.search(output):
        findings.append(Finding("owl-dl", "HermiT", "the OWL 2 DL check stopped without a verdict"))
    return findings


def dl_check(ds: Dataset, files: Iterable[Path], use_cache: bool = True) -> DLResult:
    """HermiT's and the OWL API's verdict on ``ds`` (loaded from ``files``), or why it could not be had."""
    java, jar = shutil.which("java"), hermit_jar()
    if java is None:
        return DLResult(skipped="no java on PATH (Debian: apt-get install default-jre-headless)")
    if jar is None:
        return DLResult(skipped="owlready2, which ships HermiT, is not installed (pip install owlready2)")
    name = f"reasoner-{_cache_key(files, java, jar)}.tsv"
    cached = read_entry(name) if use_cache else None
    if cached is not None:
        return DLResult(findings=_findings(cached.decode("utf-8", errors="replace"), ds))
    output = _run_checker(dl_graph(ds), java, jar)
    if use_cache and _VERDICT.search(output) and not output.startswith("failed"):
        write_entry(name, output.encode("utf-8"))
    return DLResult(findings=_findings(output, ds))
