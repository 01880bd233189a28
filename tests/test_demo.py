"""`synthloom demo` works from any folder: the example taxonomy and the embedded model ship in
the packages, so nothing beside the current folder is needed."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.embedded]


def test_the_demo_runs_from_an_empty_folder(tmp_path):
    done = run_cli("demo", "--rows", "3", cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "runs" / "demo"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["accepted"] == 3
    # the judge runs on the embedded model, so the run says which filter it used instead
    assert "too small to judge" in done.stderr and "answer grounded in the passage" in done.stderr
    records = [json.loads(line) for line in (run / "export" / "sft.jsonl").read_text().splitlines()]
    assert records and all(r["messages"][-1]["content"] for r in records)
    card = (run / "export" / "README.md").read_text()
    assert "answer grounded in the passage" in card
    assert (run / "report.json").is_file() and (run / "tabular" / "report" / "report.json").is_file()
    assert json.loads((run / "curation" / "curation.json").read_text())["kept"] >= 1
