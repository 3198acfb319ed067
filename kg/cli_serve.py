"""`kg serve`: the graph as a read-only SPARQL 1.1 endpoint on loopback."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from kg.cli_options import dataset_options
from kg.errors import KGError


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback unless you mean it.")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="0 = any free port.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds per query.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Query worker processes.")
@click.option(
    "--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True, help="Largest result (rows, triples)."
)
@click.option("--quiet", is_flag=True, help="No access log on stderr.")
@dataset_options
def serve(
    host: str,
    port: int,
    timeout: float,
    workers: int,
    max_rows: int,
    quiet: bool,
    data: tuple[Path, ...],
    engine: str | None,
    store: Path | None,
) -> None:
    """Serve the graph at http://HOST:PORT/sparql (SPARQL 1.1 Protocol, read-only) until Ctrl-C.

    Each query runs in one of --workers processes and is stopped after --timeout seconds.
    """
    from kg.engines import resolve_spec
    from kg.server import SparqlServer
    from kg.workers import QueryPool

    pool = QueryPool(resolve_spec(data, engine, store), size=workers, timeout=timeout, max_rows=max_rows)
    try:
        try:
            server = SparqlServer((host, port), pool, log=not quiet)
        except OSError as exc:
            raise KGError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        click.echo(f"serving {server.url} (Ctrl-C to stop)", err=True)
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
