"""A server that reports no token `usage` (the scripted server's --no-usage): its tokens are
estimated by a stated rule (models/token_count.py), said to be estimated in the run summary,
manifest.json and the dataset card, and held to the budget like any count."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from synthloom.config import load_recipe
from synthloom.data.release.export import export_run
from synthloom.data.runs.run_db import RunDB
from synthloom.generate import generate_run
from synthloom.models.token_count import ESTIMATE_RULE, estimate_tokens, usage_of

from .conftest import run_cli
from .recipes import qa_recipe, write


def _recipe(folder, url, **kw):
    folder.mkdir(parents=True, exist_ok=True)
    return write(qa_recipe(url, folder / "runs", **kw), folder / "r.yaml")


def test_a_run_without_usage_reports_estimated_tokens_in_the_manifest_and_the_card(tmp_path, scripted_server):
    server = scripted_server(usage=False)
    summary = asyncio.run(generate_run(load_recipe(_recipe(tmp_path, server.url, target=6, batch=6))))
    assert summary.status == "complete" and summary.accepted == 6
    assert summary.tokens > 0 and summary.estimated_tokens == summary.tokens and summary.cost_usd > 0
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert manifest["estimated_tokens"] == manifest["tokens"] > 0
    assert manifest["token_estimate"] == ESTIMATE_RULE and "characters / 4" in ESTIMATE_RULE
    assert all(u["estimated_tokens"] == u["prompt_tokens"] + u["completion_tokens"] > 0 for u in manifest["usage"])
    export_run(summary.run_dir, ["parquet"])
    card = (summary.run_dir / "export" / "README.md").read_text()
    assert "estimated tokens" in card
    assert f"Of these, {summary.tokens} tokens are **estimated** ({ESTIMATE_RULE})" in card


def test_a_run_with_usage_has_no_estimate(tmp_path, scripted_server):
    server = scripted_server()
    summary = asyncio.run(generate_run(load_recipe(_recipe(tmp_path, server.url, target=4, batch=4))))
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert manifest["tokens"] > 0 and manifest["estimated_tokens"] == 0 and manifest["token_estimate"] is None
    export_run(summary.run_dir, ["parquet"])
    assert "estimated" not in (summary.run_dir / "export" / "README.md").read_text()


def test_a_budget_stops_a_run_against_a_server_without_usage(tmp_path, scripted_server):
    server = scripted_server(usage=False)
    first = asyncio.run(generate_run(load_recipe(_recipe(tmp_path / "a", server.url, target=8, batch=4))))
    assert first.cost_usd > 0
    budget = first.cost_usd / 2  # about four rows' worth
    path = _recipe(tmp_path / "b", server.url, target=40, batch=4,
                   extra={"budget": {"max_cost_usd": budget}, "concurrent_batches": 1})
    result = run_cli("generate", str(path))
    assert result.returncode == 3, result.stderr  # stopped short of the target
    assert "budget_reached" in result.stdout and "estimated:" in result.stdout and "characters / 4" in result.stdout
    manifest = json.loads((tmp_path / "b" / "runs" / "qa" / "manifest.json").read_text())
    assert manifest["status"] == "budget_reached" and manifest["accepted"] < 40
    assert manifest["cost_usd"] >= budget and manifest["estimated_tokens"] == manifest["tokens"]


def test_the_estimate_fills_only_what_the_server_left_out():
    body = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}]}
    assert estimate_tokens("Be brief.Say hi.") == 4 and estimate_tokens("") == 0  # 16 characters
    assert usage_of({"prompt_tokens": 11, "completion_tokens": 3}, body, ["Hello"]).estimated_tokens == 0
    none = usage_of(None, body, ["Hello there"])  # 11 characters: 3 tokens
    assert (none.prompt_tokens, none.completion_tokens, none.estimated_tokens) == (4, 3, 7)
    partial = usage_of({"prompt_tokens": 11}, body, ["Hello there", "Hi"])
    assert (partial.prompt_tokens, partial.completion_tokens, partial.estimated_tokens) == (11, 4, 4)
    zero = usage_of({"prompt_tokens": 0, "completion_tokens": 0}, {"prompt": "abcdefgh"}, ["abcd"])
    assert (zero.prompt_tokens, zero.completion_tokens, zero.estimated_tokens) == (2, 1, 3)  # 0 for text: no count


def test_a_run_sqlite_from_before_estimates_gets_the_column(tmp_path):
    path = tmp_path / "run.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE usage (batch INTEGER NOT NULL, column_name TEXT NOT NULL, model TEXT NOT NULL, calls INTEGER "
        "NOT NULL, cached_calls INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, "
        "cost_usd REAL NOT NULL, PRIMARY KEY (batch, column_name, model));"
        "INSERT INTO usage VALUES (0, 'q', 'teacher', 2, 0, 10, 5, 0.01);")
    old.close()
    db = RunDB(path)
    try:
        [row] = db.usage_totals()
        assert (row.prompt_tokens, row.completion_tokens, row.estimated_tokens) == (10, 5, 0)
    finally:
        db.close()
