"""Shared fixtures: the shipped graph loaded once, and a disposable copy of the project for mutation tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Dataset

from kg.dataset.load import load_dataset
from kg.dataset.paths import project_root
from kg.publish.push import push

ROOT = project_root()


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


def missing_tool(why: str) -> None:
    """Skip a test whose outside tool is missing — but fail in CI, where .ci/run installs it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (required in CI: .ci/run installs it)")
    pytest.skip(why)


CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


SERVER_TIMEOUT = 3  # the Oxigraph server's own limit (--timeout-s), to see it cut a stream short


def _binary() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_oxigraph(location: Path) -> tuple[str, subprocess.Popen]:
    """A real `oxigraph serve` on a free loopback port with its data at ``location``, and the shipped graph pushed
    into it: its base URL and process."""
    binary = _binary()
    if binary is None:
        missing_tool("the oxigraph server binary (PyPI package oxigraph, in the test extra) is not installed")
    port = free_port()
    args = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen([*args, "--timeout-s", str(SERVER_TIMEOUT)], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"oxigraph serve did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
    push(base + "/store")
    return base, proc


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free loopback port, with the shipped graph pushed into it."""
    base, proc = serve_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)
