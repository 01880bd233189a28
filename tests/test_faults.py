"""30% injected faults (500, 429, timeouts, invalid JSON): the run completes, and every row is
either accepted or in rejected/ with its reason."""

from __future__ import annotations

import asyncio

from synthloom.config import load_recipe
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run

from .recipes import qa_recipe, write


def test_run_completes_under_30_percent_faults(tmp_path, scripted_server):
    server = scripted_server(latency_s=0.005, fault_rate=0.3, timeout_sleep_s=1.0, seed=11)
    recipe = qa_recipe(server.url, tmp_path / "runs", target=120, batch=20, concurrency=32, timeout_s=0.3, max_retries=4)
    summary = asyncio.run(generate_run(load_recipe(write(recipe, tmp_path / "r.yaml"))))
    assert summary.status == "complete" and summary.accepted == 120
    assert set(server.model.faults_injected) == {"500", "429", "timeout", "invalid_json"}
    store = open_existing(summary.run_dir)
    accepted = store.read_accepted().to_pylist()
    rejected = store.read_rejected().to_pylist()
    assert len(accepted) == 120
    # every generated row is accounted for exactly once
    ids = [r["_row_id"] for r in accepted] + [r["_row_id"] for r in rejected]
    assert len(ids) == len(set(ids)) == summary.batches * 20
    for r in rejected:
        assert r["_column"] in {"question", "answer", "score", "_filter", "_target"}
        assert r["_reason"]
    # accepted rows are complete and schema-valid despite the faults
    assert all(isinstance(r["answer"]["confidence"], int) and r["question"] for r in accepted)
    # at least some model failures were survived by retrying (more requests than cells)
    cells = sum(u.calls for u in summary.usage)
    assert server.model.requests > cells
