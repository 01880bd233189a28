from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = ROOT.parent / "shared" / "fixtures" / "taxonomy"


@pytest.fixture
def taxonomy_dir() -> Path:
    if not TAXONOMY.is_dir():
        pytest.skip("shared/fixtures/taxonomy is not beside the checkout")
    return TAXONOMY


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "synthloom.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


@pytest.fixture
def scripted_server():
    """Factory: start the scripted OpenAI-compatible server on 127.0.0.1."""
    from synthloom.testing.openai_server import RunningServer, ServerScript

    servers = []

    def start(**kw):
        server = RunningServer(ServerScript(**kw)).__enter__()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.__exit__(None, None, None)
