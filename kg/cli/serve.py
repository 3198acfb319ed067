"""`kg serve`: the graph as a read-only SPARQL 1.1 endpoint on loopback."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from kg.cli.options import dataset_options, with_drafts
from kg.engines.limits import DEFAULT_TIMEOUT
from kg.errors import KGError


def _memory(ctx: click.Context, param: click.Parameter, value: str) -> int:
    from kg.engines.limits import parse_size

    size = parse_size(value)
    if size is None:
        raise click.BadParameter("0 (no limit) is not allowed here: every query worker runs under a memory ceiling")
    return size


def _hosts(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from kg.serve.http import parse_host

    for value in values:
        try:
            parse_host(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return values


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback unless you mean it.")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="0 = any free port.")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per query."
)
@click.option(
    "--memory-limit",
    "memory_limit",
    metavar="SIZE",
    default="1G",
    show_default=True,
    callback=_memory,
    help="Memory one query may take in its worker on top of the loaded data, e.g. 512M, 2G; past it the "
    "query gets HTTP 507 and its worker is replaced. 0 (none) is not allowed.",
)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Query worker processes.")
@click.option(
    "--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True, help="Largest result (rows, triples)."
)
@click.option(
    "--allow-host",
    "allow_hosts",
    metavar="NAME[:PORT]",
    multiple=True,
    callback=_hosts,
    help="Also answer requests whose Host header is NAME (any port, or only PORT); repeatable. Other names "
    "get HTTP 421 (DNS-rebinding protection): loopback names and the bound address are always allowed.",
)
@click.option(
    "--give-up-after",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds of failed attempts to reload the data, with no query worker left, before the server exits "
    "with status 75 (for a supervisor to restart it).",
)
@click.option("--quiet", is_flag=True, help="No access log on stderr.")
@dataset_options
def serve(
    host: str,
    port: int,
    timeout: float,
    memory_limit: int,
    workers: int,
    max_rows: int,
    allow_hosts: tuple[str, ...],
    give_up_after: float,
    quiet: bool,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Serve the graph at http://HOST:PORT/sparql (SPARQL 1.1 Protocol, read-only), and a browser workbench at
    http://HOST:PORT/, until Ctrl-C.

    Each query runs in one of --workers processes without network, and is stopped after --timeout
    seconds (HTTP 503) or at --memory-limit (HTTP 507); its worker is then replaced, retrying with
    back-off if the data no longer loads. GET /health answers 200 while a worker is ready, else 503.

    Exit status: 0 after Ctrl-C or SIGTERM; 2 when the options are wrong, the data does not load or the
    port is taken; 75 when no worker could load the data for --give-up-after seconds (for a supervisor
    to restart the server).
    """
    from kg.dataset.spec import resolve_spec
    from kg.engines.limits import check_timeout
    from kg.serve.http import SparqlServer
    from kg.serve.pool import QueryPool

    check_timeout(timeout)  # a number, but not inf or nan
    spec = resolve_spec(data, engine, store, drafts=with_drafts())
    pool = QueryPool(
        spec, size=workers, timeout=timeout, max_rows=max_rows, memory_limit=memory_limit, give_up_after=give_up_after
    )
    try:
        try:
            server = SparqlServer((host, port), pool, log=not quiet, allowed_hosts=allow_hosts)
        except OSError as exc:
            raise KGError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        click.echo(f"serving {server.url} and the workbench at {server.workbench_url} (Ctrl-C to stop)", err=True)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
        finally:
            server.server_close()
    finally:
        pool.close()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl-C, so the workers are ended too."""
    raise KeyboardInterrupt


def register(group: click.Group) -> None:
    group.add_command(serve)
