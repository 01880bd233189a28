"""DESIGN.md's import direction, enforced with import-linter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([LINT, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _lint_planted(tmp_path: Path, planted: dict[str, str]) -> subprocess.CompletedProcess:
    """Lint a copy of src/ with one import line appended to each named module."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in planted.items():
        with open(tmp_path / "src/synthloom" / module, "a") as fh:
            fh.write(f"\n{line}\n")
    return _lint(tmp_path, tmp_path / "src")


def test_layers_contract_is_kept():
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_layers_contract_catches_an_upward_import(tmp_path):
    shutil.copytree(ROOT / "src", tmp_path / "src")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "src/synthloom/config/templates.py", "a") as fh:
        fh.write("\nimport synthloom.generate.plan  # upward: config must import no other package\n")
    result = _lint(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "synthloom.config.templates -> synthloom.generate.plan" in result.stdout


def test_layers_contract_keeps_workflows_between_the_front_doors_and_the_features(tmp_path):
    """A feature may not call a workflow (features stay independent: what combines them is a
    workflow), and a workflow may not reach up into the CLI or api (it returns results; the
    front doors print them)."""
    planted = {
        "evaluate/gates.py": "import synthloom.workflows.release  # upward: a feature calling a workflow",
        "workflows/gates.py": "import synthloom.cli.render  # upward: a workflow printing",
        "workflows/release.py": "import synthloom.api  # upward: api sits above workflows",
    }
    result = _lint_planted(tmp_path, planted)
    assert result.returncode != 0
    for caught in ("synthloom.evaluate.gates -> synthloom.workflows.release",
                   "synthloom.workflows.gates -> synthloom.cli.render",
                   "synthloom.workflows.release -> synthloom.api"):
        assert caught in result.stdout, result.stdout


def test_ruff_finds_no_errors():
    ruff = str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run([ruff, "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_data_concerns_keep_their_own_direction(tmp_path):
    """Inside data/, files know nothing of runs, and the analysis of text and of tables stay
    apart from each other and from the run store (issue 15: data/ split by concern)."""
    planted = {
        "data/files/atomic.py": "import synthloom.data.runs.run_db  # upward: files below runs",
        "data/text/pii.py": "import synthloom.data.table_analysis.metadata  # sideways: siblings stay apart",
    }
    result = _lint_planted(tmp_path, planted)
    assert result.returncode != 0
    for caught in ("synthloom.data.files.atomic -> synthloom.data.runs.run_db",
                   "synthloom.data.text.pii -> synthloom.data.table_analysis.metadata"):
        assert caught in result.stdout, result.stdout


def test_data_has_no_modules_outside_its_concerns():
    """data/ holds subpackages only: a module left at its top (an alias of a moved one, or a new
    concern with no home) fails here."""
    data = ROOT / "src/synthloom/data"
    loose = sorted(p.name for p in data.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    assert sorted(p.name for p in data.iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "charts", "files", "release", "review", "runs", "sources", "table_analysis", "text", "vectors"]


def test_every_package_folder_has_a_tracked_init():
    """A package whose __init__.py an ignore rule kept out of git (as `runs/` once did) is a
    namespace package in a clone and missing from the wheel."""
    if not (ROOT / ".git").exists():
        return  # not a checkout: nothing to compare with
    tracked = subprocess.run(["git", "ls-files", "src/synthloom"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    folders = {str(Path(p).parent) for p in tracked if p.endswith(".py")}
    missing = sorted(f for f in folders if f"{f}/__init__.py" not in tracked)
    assert missing == []
