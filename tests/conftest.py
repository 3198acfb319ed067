"""Shared fixtures: the shipped graph loaded once, and a disposable copy of the project for mutation tests.

Fixtures only; what test modules share besides fixtures is in helpers.py."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, missing_tool, serve_oxigraph
from rdflib import Dataset

from kg.dataset.load import load_dataset


@pytest.fixture(scope="session")
def ds() -> Dataset:
    return load_dataset()


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the files validation reads, safe to break."""
    dest = tmp_path / "project"
    dest.mkdir()
    shutil.copy(ROOT / "ontology.ttl", dest / "ontology.ttl")
    shutil.copy(ROOT / "shapes.ttl", dest / "shapes.ttl")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records whatever reaches it (it must receive nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(4096) or b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/sparql", received
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing_tool(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free loopback port, with the shipped graph pushed into it."""
    base, proc = serve_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)
