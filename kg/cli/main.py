"""The `kg` command: a thin layer over the Python API. Exit codes: 0 ok, 1 findings, 2 usage/input error."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

import click

from kg.cli import export as cli_export
from kg.cli import graph as cli_graph
from kg.cli import ingest as cli_ingest
from kg.cli import review as cli_review
from kg.cli import serve as cli_serve
from kg.cli import site as cli_site
from kg.cli.options import DATA_OPTION, dataset_options, limit_options, open_dataset, resolve_limits
from kg.errors import KGError, MemoryLimitExceeded, QueryError
from kg.report.terminal import PrintableFormatter, printable
from kg.vocab.formats import GRAPH_RESULT_FORMATS, TABLE_FORMATS

if TYPE_CHECKING:
    from collections.abc import Callable

    from rdflib import BNode, Dataset, Literal, URIRef
    from rdflib.query import Result
    from rdflib.term import IdentifiedNode

    from kg.query.saved import SavedQuery

    Resolver = Callable[[str], URIRef]
    Term = URIRef | Literal | BNode

SHOWCASE = (
    "cosmoplat-chery-haier",
    "platform-builders",
    "cluster-members",
    "plan-targets",
    "figure-sources",
    "figure-conflicts",
    "events-timeline",
    "people-posts",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qingdao-kg")
@click.option("-v", "--verbose", is_flag=True, help="Say more on stderr: query workers, network isolation, limits.")
def cli(verbose: bool) -> None:
    """Qingdao industrial knowledge graph: validate, describe and query it."""
    if verbose:
        logging.getLogger("kg").setLevel(logging.INFO)


@cli.command()
@click.option("--no-reasoner", is_flag=True, help="Skip HermiT's OWL 2 DL and consistency check (it needs Java).")
@click.option("--drafts", is_flag=True, help="Also check the drafts in data/drafts/ as the graphs they would join.")
@limit_options
@DATA_OPTION
def validate(
    no_reasoner: bool, drafts: bool, timeout: float | None, memory_limit: str | None, data: tuple[Path, ...]
) -> None:
    """Check every file parses, the SHACL shapes hold, the project's own checks pass and (with Java) HermiT finds
    the ontology and data OWL 2 DL, consistent and without unsatisfiable classes."""
    from kg.engines.limits import limited
    from kg.quality.shacl import validate as run_validation

    with limited(*resolve_limits(timeout, memory_limit)):
        report = run_validation(data, reasoner=not no_reasoner, drafts=drafts)
    for note in report.notes:
        click.echo(f"note: {printable(note)}", err=True)
    if report.ok:
        passed = "SHACL shapes, all project checks and HermiT's OWL 2 DL check" if report.reasoned else None
        click.echo(f"OK: {report.triples} triples; {passed or 'SHACL shapes and all project checks'} pass.")
        return
    for finding in report.findings:
        click.echo(printable(str(finding)))
    click.echo(f"{len(report.findings)} finding(s).", err=True)
    sys.exit(1)


@cli.command()
@limit_options
@dataset_options
def stats(
    timeout: float | None, memory_limit: str | None, data: tuple[Path, ...], engine: str | None, store: Path | None
) -> None:
    """Triples per graph, entities per class, figures and sources."""
    from kg.engines.limits import limited
    from kg.report.stats import compute_stats, format_stats

    ds = open_dataset(data, engine, store)
    with limited(*resolve_limits(timeout, memory_limit)):
        click.echo(format_stats(compute_stats(ds)))


@cli.command("queries")
@click.option(
    "--export",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write each question to DIR/NAME.rq as it runs in any SPARQL tool: parameters set to their defaults.",
)
def list_queries(folder: Path | None) -> None:
    """List the saved competency questions (run one with `kg query NAME`), or export them."""
    from kg.query.saved import parameter_names, parameter_types, saved_queries

    questions = saved_queries()
    if folder is not None:
        _export_queries(questions.values(), folder)
        return
    for q in questions.values():
        types = parameter_types(q)
        params = " ".join(f"{p}=…" + (f" ({types[p]})" if types[p] else "") for p in parameter_names(q))
        suffix = f"  [--param {params}]" if params else ""
        click.echo(f"{q.name}{suffix}\n    {q.question}")


def _export_queries(questions: Collection[SavedQuery], folder: Path) -> None:
    """Standalone copies of the saved questions, written safely (never into the shipped queries/)."""
    from kg.dataset.outputs import check_folder, write_text
    from kg.query.saved import standalone

    check_folder(folder).mkdir(parents=True, exist_ok=True)
    for q in questions:
        write_text(folder / f"{q.name}.rq", standalone(q))
    click.echo(f"wrote {len(questions)} saved question(s) to {folder}", err=True)


def _parse_param(saved: SavedQuery, resolve: Resolver, raw: str) -> tuple[str, Term]:
    """NAME=VALUE, VALUE typed as the saved question declares: ``year=2019``, ``entity=Haier Kaos``, or a literal
    written as in Turtle (``year='"2019"^^xsd:gYear'``)."""
    from kg.query.saved import typed_value

    name, sep, value = raw.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise QueryError(f"--param takes NAME=VALUE with a plain NAME, got {raw!r}")
    try:
        return name, typed_value(saved, name, value, resolve)
    except QueryError as exc:  # the API's words ("parameter year: ...") in the command line's
        raise QueryError("--param " + str(exc).removeprefix("parameter ")) from None


QUERY_FORMATS = [*TABLE_FORMATS, *GRAPH_RESULT_FORMATS]


def _query_text(query: str | None, file: Path | None) -> tuple[str, SavedQuery | None]:
    from kg.query.saved import looks_like_name, lookup, read_query_file

    if (query is None) == (file is None):
        raise click.UsageError("give a query text or a saved query NAME, or -f FILE (exactly one)")
    if file is not None:
        return read_query_file(file), None
    assert query is not None  # exactly one of the two, checked above
    if not looks_like_name(query):
        return query, None
    try:
        saved = lookup(query)
    except QueryError as exc:
        hint = "" if "did you mean" in str(exc) else " (kg queries lists them)"
        raise QueryError(f"{exc}{hint}") from None
    return saved.text, saved


def _write(text: str, output: Path | None) -> None:
    from kg.dataset.outputs import write_text

    if output is None:
        click.echo(text, nl=False)
        return
    write_text(output, text)


@cli.command()
@click.argument("query", required=False)
@click.option(
    "-f", "--file", "file", type=click.Path(path_type=Path, dir_okay=False), help="Read the query from a file."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default=None,
    help="SELECT: table (default), csv, tsv, json, xml (W3C SPARQL results), md. "
    "CONSTRUCT/DESCRIBE: turtle (default), nt, jsonld.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the result to FILE.")
@click.option("--param", "params", multiple=True, help="Bind a saved query's parameter: NAME=VALUE.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="Rows shown as a table.")
@click.option("--reason", is_flag=True, help="Also answer from what the ontology entails (OWL 2 RL, cached).")
@click.option("--allow-network", is_flag=True, help="Permit SERVICE and FROM dereferencing (off by default).")
@click.option(
    "--endpoint",
    metavar="URL",
    help="Ask this SPARQL 1.1 Protocol endpoint instead of the local graph (e.g. Oxigraph's http://HOST:7878/query); "
    "--timeout is then the client's limit for the whole exchange.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    metavar="BYTES",
    help="With --endpoint: the largest answer read (default 268435456, i.e. 256 MiB).",
)
@click.option(
    "--update-copy",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Run SPARQL Update on a copy of the graph and write the copy to FILE (TriG); the data never changes.",
)
@limit_options
@dataset_options
def query(
    query: str | None,
    file: Path | None,
    fmt: str | None,
    output: Path | None,
    params: tuple[str, ...],
    limit: int,
    reason: bool,
    allow_network: bool,
    endpoint: str | None,
    max_bytes: int | None,
    update_copy: Path | None,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Run SPARQL: a query text, a saved question's NAME, or -f FILE. Project prefixes are predeclared.

    ASK prints true/false and exits 0/1. A query past --timeout is stopped (exit 124), one past
    --memory-limit too (exit 3).
    """
    from kg.engines.limits import limited
    from kg.query.answer import with_inferences

    text, saved = _query_text(query, file)
    seconds, memory = resolve_limits(timeout, memory_limit)
    if endpoint is not None:
        if reason or update_copy or data or store:
            raise click.UsageError(
                "--endpoint asks a remote server: --reason, --update-copy, --data and --store are local"
            )
        result = _remote_query(endpoint, text, saved, params, seconds or 3600.0, max_bytes, allow_network)
        sys.exit(_print_result(result, fmt, output, limit))
    ds = open_dataset(data, engine, store)
    with limited(seconds, memory):
        if update_copy is not None:
            _write_updated_copy(with_inferences(ds) if reason else ds, text, update_copy)
            return
        result = _local_query(ds, text, saved, params, reason, allow_network, memory)
        code = _print_result(result, fmt, output, limit)
    sys.exit(code)


def _print_result(result: Result, fmt: str | None, output: Path | None, limit: int) -> int:
    """Write a result in the chosen format; the exit code (an ASK answered false is 1)."""
    from kg.query.answer import render

    rendered = render(result, fmt, limit)
    _write(rendered.text, output)
    return rendered.exit_code


def _bindings(saved: SavedQuery | None, params: tuple[str, ...], resolve: Resolver) -> dict[str, Term]:
    from kg.query.saved import require_known_parameters

    if not params:
        return {}
    if saved is None:
        raise QueryError("--param works with saved queries (kg query NAME --param ...)")
    require_known_parameters(saved, [name for raw in params if (name := raw.partition("=")[0])])
    return {f"{k}_param": v for k, v in (_parse_param(saved, resolve, p) for p in params)}


def _write_updated_copy(ds: Dataset, text: str, target: Path) -> None:
    from kg.query.update import run_update_on_copy

    _check_copy_target(target)
    from kg.publish.rdf import serialize

    copy = run_update_on_copy(ds, text)
    # rdflib's Dataset.quads gives a graph's name, or None for the default graph, which serialize writes unnamed
    quads = [
        (s, p, o, cast("IdentifiedNode", getattr(g, "identifier", g)))
        for s, p, o, g in copy.quads((None, None, None, None))
    ]
    _write(serialize(quads, "trig"), target)  # kg's writer: lexical forms kept, checked by reading it back
    click.echo(f"wrote the updated copy to {target}", err=True)


def _local_query(
    ds: Dataset,
    text: str,
    saved: SavedQuery | None,
    params: tuple[str, ...],
    reason: bool,
    allow_network: bool,
    memory: int | None,
) -> Result:
    """The query answered by the local engine, under the limits the command runs in."""
    from kg.dataset.resolve import resolve_entity
    from kg.query.answer import answer

    bindings = _bindings(saved, params, lambda name: resolve_entity(ds, name))
    return answer(ds, text, bindings, reason=reason, allow_network=allow_network, memory_limit=memory)


def _remote_query(
    url: str,
    text: str,
    saved: SavedQuery | None,
    params: tuple[str, ...],
    timeout: float,
    max_bytes: int | None,
    allow_network: bool,
) -> Result:
    """The query answered by a remote endpoint, names in --param resolved there too."""
    from kg.dataset.resolve import lookup_graph, resolve_entity
    from kg.engines.remote import MAX_ANSWER, Endpoint

    remote = Endpoint(url, timeout=timeout, max_bytes=max_bytes or MAX_ANSWER)
    bindings = _bindings(saved, params, lambda name: resolve_entity(lookup_graph(remote, name), name))
    return remote.query(text, bindings, allow_network=allow_network)


@cli.command()
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="Graph Store Protocol URL (Oxigraph: http://HOST:7878/store; Virtuoso: http://HOST:8890/sparql-graph-crud-auth).",
)
@click.option(
    "--default-graph/--no-default-graph",
    default=True,
    show_default=True,
    help="Also write the merge of all graphs as the default graph (for servers whose union default graph repeats "
    "shared triples, e.g. Oxigraph, Virtuoso).",
)
@click.option(
    "--merge-graph",
    metavar="IRI",
    help="Write the merge to this named graph instead of the default graph (Virtuoso's Graph Store cannot write its "
    "default graph); then query with ?default-graph-uri=IRI.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "graphs", "dataset"]),
    default="auto",
    show_default=True,
    help="graphs: one PUT per graph (any Graph Store); dataset: one N-Quads stream to the store URL itself "
    "(Oxigraph's bulk loader, several times faster); auto: dataset when the server is Oxigraph.",
)
@click.option(
    "--user",
    metavar="NAME",
    help="Log in as NAME where the server asks (HTTP Digest; Basic only over HTTPS or loopback). The password is "
    "read from the KG_ENDPOINT_PASSWORD environment variable, else from ~/.netrc, never from the command line.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds per request (one per graph; the dataset method sends everything in one).",
)
@DATA_OPTION
def push(
    endpoint: str,
    default_graph: bool,
    merge_graph: str | None,
    method: str,
    user: str | None,
    timeout: float,
    data: tuple[Path, ...],
) -> None:
    """Load the graph into a SPARQL 1.1 Graph Store: one named graph per article, plus the ontology, entities and
    curators' graphs, and their merge. Each graph is replaced, so pushing again updates rather than duplicates."""
    from kg.engines.remote import find_login
    from kg.publish.push import DEFAULT, describe_push
    from kg.publish.push import push as push_graphs

    if merge_graph is not None and not default_graph:
        raise click.UsageError("--merge-graph says where the merge goes; --no-default-graph leaves it out")
    login = None if user is None else find_login(endpoint, user)
    merge = None if not default_graph else merge_graph or DEFAULT
    way, pushed = push_graphs(endpoint, data, merge=merge, method=method, timeout=timeout, login=login)
    click.echo(describe_push(way, pushed, merge))


@cli.command()
@click.option(
    "--store", required=True, type=click.Path(path_type=Path, file_okay=False), help="Folder of the on-disk store."
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Delete the store's database (DIR/oxigraph, nothing else) and load everything again: repairs a damaged store.",
)
@DATA_OPTION
def build(store: Path, rebuild: bool, data: tuple[Path, ...]) -> None:
    """Write the graph into a persistent Oxigraph store at DIR, or update it where the sources changed.

    Later commands given --store DIR (or KG_STORE) open it instead of parsing the Turtle, and
    reload any source that changed since. A damaged store is reported, never used: rebuild it.
    """
    import time

    from kg.dataset.store import build_store

    started = time.perf_counter()
    changes = build_store(store, data, rebuild=rebuild)
    took = time.perf_counter() - started
    click.echo(f"{store}: {changes.describe() if changes else 'up to date'} ({took:.1f} s)", err=True)


def _check_copy_target(path: Path) -> None:
    """Refuse a target that must not or cannot be written before the update runs, not after."""
    from kg.dataset.outputs import check_file

    check_file(path)


@cli.command()
@click.argument("name")
@limit_options
@dataset_options
def entity(
    name: str,
    timeout: float | None,
    memory_limit: str | None,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Describe an entity named by label, alias or IRI: names, types, and what each source says."""
    from kg.engines.limits import limited
    from kg.report.describe import describe_entity

    ds = open_dataset(data, engine, store)
    with limited(*resolve_limits(timeout, memory_limit)):
        click.echo(describe_entity(ds, name))


@cli.command()
@limit_options
@dataset_options
def showcase(
    timeout: float | None, memory_limit: str | None, data: tuple[Path, ...], engine: str | None, store: Path | None
) -> None:
    """Validate, summarise and answer a selection of the competency questions."""
    from kg.engines.limits import limited

    with limited(*resolve_limits(timeout, memory_limit)):
        ok = _showcase(data, engine, store)
    if not ok:
        sys.exit(1)


def _showcase(data: tuple[Path, ...], engine: str | None, store: Path | None) -> bool:
    from kg.quality.shacl import validate as run_validation
    from kg.query.results import format_result
    from kg.query.saved import find_saved
    from kg.query.sparql import run_query
    from kg.report.stats import compute_stats, format_stats

    report = run_validation(data)
    click.echo(f"Validation: {'OK' if report.ok else f'{len(report.findings)} finding(s) — run kg validate'}")
    ds = open_dataset(data, engine, store)
    click.echo(format_stats(compute_stats(ds)))
    for name in SHOWCASE:
        saved = find_saved(name)
        if saved is None:
            continue
        click.echo(f"\n== {name}: {saved.question}")
        click.echo(format_result(run_query(ds, saved.text), "table", max_rows=25), nl=False)
    return report.ok


cli_export.register(cli)
cli_graph.register(cli)
cli_review.register(cli)
cli_ingest.register(cli)
cli_serve.register(cli)
cli_site.register(cli)


def _log_to_stderr() -> None:
    """kg's warnings (and with -v its notes) on stderr, prefixed "kg:"; once per process."""
    logger = logging.getLogger("kg")
    logger.setLevel(logging.WARNING)
    if not any(getattr(h, "kg_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(PrintableFormatter("kg: %(message)s"))
        handler.kg_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


class _Printable(io.TextIOBase):
    """A text stream that writes through to ``stream`` with control characters made visible: click writes a usage
    error's message itself, and that message quotes what the user typed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def flush(self) -> None:
        self._stream.flush()


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 2, not a traceback."""
    _log_to_stderr()
    try:
        cli(standalone_mode=False)
    except KGError as exc:  # messages quote user input and data: no control character reaches the terminal
        click.echo(f"error: {printable(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        # typeshed does not count io.TextIOBase as an IO[str]; click only calls write and flush
        exc.show(file=cast("TextIO", _Printable(sys.stderr)))  # the message quotes user input
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
    except MemoryError:
        click.echo("error: out of memory (set a lower --memory-limit to stop such work early)", err=True)
        sys.exit(MemoryLimitExceeded.exit_code)


if __name__ == "__main__":
    main()
