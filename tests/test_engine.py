"""The engine against a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import pyarrow.parquet as pq
import pytest

from synthloom.config import load_recipe
from synthloom.config.errors import SynthloomError
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run, preview_rows

from .recipes import qa_recipe, write


def _run(path, **kw):
    return asyncio.run(generate_run(load_recipe(path), **kw))


def test_run_reaches_exact_target_with_filters_and_lineage(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs", target=21), tmp_path / "r.yaml")
    summary = _run(path)
    assert summary.status == "complete" and summary.accepted == 21
    store = open_existing(summary.run_dir)
    table = store.read_accepted()
    assert table.num_rows == 21
    ids = table.column("_row_id").to_pylist()
    assert len(set(ids)) == 21
    rows = table.to_pylist()
    assert all(r["score"]["helpfulness"] >= 1 for r in rows)
    assert all(set(r["score"]) == {"helpfulness", "correctness", "coherence", "complexity", "verbosity"} for r in rows)
    # rows the filter dropped are in rejected/ with column and reason, and counts add up
    rejected = store.read_rejected().to_pylist()
    assert all(r["_reason"] and r["_column"] for r in rejected)
    assert summary.rejected == len(rejected)
    assert {r["_column"] for r in rejected} <= {"_filter", "_target"}
    # lineage: batch, template hash, model, tokens for each LLM column
    lin = store.db.lineage_of(ids[0])
    assert set(lin["llm"]) == {"question", "answer", "score"}
    assert lin["llm"]["question"]["model"] == "teacher" and len(lin["llm"]["question"]["template"]) == 12
    assert lin["llm"]["answer"]["completion_tokens"] > 0
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert manifest["accepted"] == 21 and manifest["tokens"] > 0 and manifest["cost_usd"] > 0
    assert (summary.run_dir / "recipe.yaml").read_text().startswith("# fingerprint: ")
    store.close()


def test_same_recipe_and_seed_give_the_same_rows(tmp_path, scripted_server):
    server = scripted_server()
    a = _run(write(qa_recipe(server.url, tmp_path / "a", target=10), tmp_path / "a.yaml"))
    b = _run(write(qa_recipe(server.url, tmp_path / "b", target=10), tmp_path / "b.yaml"))
    ta, tb = open_existing(a.run_dir).read_accepted(), open_existing(b.run_dir).read_accepted()
    assert ta.to_pylist() == tb.to_pylist()


def test_editing_one_prompt_reuses_the_cache_for_the_others(tmp_path, scripted_server):
    server = scripted_server()
    recipe = qa_recipe(server.url, tmp_path / "runs", target=12)
    path = write(recipe, tmp_path / "r.yaml")
    first = _run(path)
    assert all(u.cached_calls == 0 for u in first.usage)
    recipe["columns"][4]["prompt"] = "Grade this.\nQ: {{ question }}\nA: {{ answer.answer }}"
    write(recipe, path)
    before = server.model.requests
    second = _run(path, overwrite=True)
    by_col = {u.column: u for u in second.usage}
    assert by_col["question"].cached_calls == by_col["question"].calls > 0
    assert by_col["answer"].cached_calls == by_col["answer"].calls > 0
    assert by_col["score"].cached_calls == 0
    # only the judge went to the server
    assert server.model.requests - before == by_col["score"].calls


def test_existing_run_needs_resume_or_overwrite(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs", target=4), tmp_path / "r.yaml")
    _run(path)
    with pytest.raises(SynthloomError, match="--resume"):
        _run(path)
    again = _run(path, resume=True)  # already complete: nothing more to do
    assert again.accepted == 4


def test_budget_stops_the_run_cleanly(tmp_path, scripted_server):
    server = scripted_server()
    # Calls in flight count against the budget, so it must cover the first two batches (~4.5k
    # tokens) for rows to be kept; the run stops part-way through the next ones.
    recipe = qa_recipe(server.url, tmp_path / "runs", target=200, batch=8, extra={"budget": {"max_tokens": 8000}})
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.status == "budget_reached"
    assert 8000 <= summary.tokens < 8000 + 16 * 400  # only calls already sent (16 slots) overshoot
    assert 0 < summary.accepted < 200
    store = open_existing(summary.run_dir)
    assert store.read_accepted().num_rows == summary.accepted


def test_max_batches_reports_why_rows_were_rejected(tmp_path, scripted_server):
    server = scripted_server()
    recipe = qa_recipe(server.url, tmp_path / "runs", target=10, extra={"max_batches": 2, "filters": ["score.helpfulness > 99"]})
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.status == "max_batches_reached" and summary.accepted == 0
    assert summary.rejections == [("_filter", "filter 'score.helpfulness > 99' is false", 16)]


def test_preview_writes_nothing(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs"), tmp_path / "r.yaml")
    result = asyncio.run(preview_rows(load_recipe(path), 3))
    assert len(result.accepted) + len(result.rejected) == 3
    assert not (tmp_path / "runs").exists()


def test_concurrency_cap_and_least_outstanding_balancing(tmp_path, scripted_server):
    a, b = scripted_server(latency_s=0.02), scripted_server(latency_s=0.02)
    recipe = qa_recipe(a.url, tmp_path / "runs", target=48, batch=24)
    recipe["models"]["teacher"]["endpoints"] = [{"url": a.url, "max_concurrency": 3}, {"url": b.url, "max_concurrency": 5}]
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.accepted == 48
    assert a.model.max_in_flight <= 3 and b.model.max_in_flight <= 5
    assert a.model.max_in_flight == 3 and b.model.max_in_flight == 5  # both were kept full
    assert a.model.requests > 0.25 * (a.model.requests + b.model.requests)


def test_unreachable_endpoint_is_one_sentence(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    recipe = qa_recipe(f"http://127.0.0.1:{port}/v1", tmp_path / "runs")
    with pytest.raises(SynthloomError, match=r"model 'teacher' cannot be reached at http://127.0.0.1:\d+/v1"):
        _run(write(recipe, tmp_path / "r.yaml"))


def test_shards_are_parquet_files_readable_alone(tmp_path, scripted_server):
    server = scripted_server()
    summary = _run(write(qa_recipe(server.url, tmp_path / "runs", target=17, batch=8), tmp_path / "r.yaml"))
    shards = sorted((summary.run_dir / "shards").glob("part-*.parquet"))
    assert len(shards) >= 3
    assert sum(pq.read_table(s).num_rows for s in shards) == 17


def test_readme_example_recipe_runs(tmp_path, scripted_server, monkeypatch):
    import yaml

    from .conftest import ROOT

    server = scripted_server(rules=[("Answer this customer", '{"steps": ["restart it", "update it"], "escalate": false}')])
    recipe = yaml.safe_load((ROOT / "examples/support_qa.yaml").read_text())
    recipe["models"]["teacher"]["endpoints"][0]["url"] = server.url
    recipe["output_dir"] = str(tmp_path / "runs")
    recipe["target_rows"] = 10
    recipe["filters"] = ["score.helpfulness >= 0"]  # scripted scores are random
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.accepted == 10 and summary.cost_usd > 0
    rows = open_existing(summary.run_dir).read_accepted().to_pylist()
    assert all(r["answer"]["steps"] == ["restart it", "update it"] and r["steps_ok"]["valid"] for r in rows)
