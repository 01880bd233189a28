from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Real InstructLab files, only on the team's machines: compatibility tests read them and skip
# without them; every behaviour they check is also tested on the bundled example taxonomy.
INSTRUCTLAB = ROOT.parent / "shared" / "fixtures"


@pytest.fixture
def taxonomy_dir() -> Path:
    """The example taxonomy that ships inside the package."""
    from synthloom.recipes import example_taxonomy

    return example_taxonomy()


@pytest.fixture
def example_document_map() -> dict[str, str]:
    from synthloom.recipes import example_document_map

    return {repo: str(folder) for repo, folder in example_document_map().items()}


# A clone alone runs every behaviour on bundled data; the compatibility module is left out
# (not skipped) without the files, and the report header says so.
collect_ignore = [] if (INSTRUCTLAB / "taxonomy").is_dir() else ["test_instructlab_files.py"]


def pytest_report_header(config) -> str:
    where = "found" if not collect_ignore else "absent: test_instructlab_files.py not collected"
    return f"InstructLab compatibility files (../shared/fixtures): {where}"


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


@pytest.fixture(scope="module")
def ray_two_cpus():
    """Ray on this machine with two CPUs, for one test module (skipped without the ray extra)."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
