"""Budgets and surplus against a real OpenAI-compatible server: a run never spins, and every
model call it paid for is counted, whether its batch committed, was cut short or came too late.

Partitioned runs here partition on seed rows written in the recipe, read in order, so which
rows pass the filters (`keep`) and which rows cost model calls at all (`pay`: the filter on it
runs before the first model call) is fixed by the recipe, not by timing."""

from __future__ import annotations

import asyncio
import json

import pytest

from synthloom.config import load_recipe
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run

from .recipes import qa_recipe, write


def _run(path, **kw):
    return asyncio.run(generate_run(load_recipe(path), **kw))


def _paid_calls(summary) -> int:
    return sum(u.calls - u.cached_calls for u in summary.usage)


def _seed_rows(per_batch: list[dict], groups=("a", "b")) -> list[dict]:
    """Seed rows per partition, in order: the k-th entry describes the rows of that partition's k-th batch."""
    return [{"group": g, **spec, "n": k * 4 + i} for g in groups for k, spec in enumerate(per_batch) for i in range(4)]


def _partitioned(url, out, rows, *, target, concurrent, extra_columns=(), concurrency=32, extra=None):
    recipe = {
        "name": "parts",
        "seed": 5,
        "target_rows": target,
        "batch_size": 4,
        "concurrent_batches": concurrent,
        "output_dir": str(out),
        "partition_by": "seed.group",
        "models": qa_recipe(url, out, concurrency=concurrency)["models"],
        "columns": [
            {"name": "seed", "kind": "seed", "rows": rows, "order": "ordered"},
            {"name": "question", "kind": "llm_text", "model": "teacher",
             "prompt": "Ask question {{ seed.n }} about {{ seed.group }}."},
            *extra_columns,
        ],
        # `pay` only reads the seed, so it runs before any model call: such rows cost nothing.
        "filters": ["seed.pay", "seed.keep and question != ''"],
    }
    recipe.update(extra or {})
    return recipe


@pytest.mark.timeout(60)
def test_budget_stop_with_partitions_never_spins_and_resumes_to_the_same_rows(tmp_path, scripted_server):
    """The old driver spun here: the budget stopped all launches while batch 5 (partition b)
    waited to commit behind batch 4 (partition a), which had been skipped on speculation."""
    server = scripted_server(latency_s=0.02)
    rows = [  # a: batch 0 gives 4 of 6 rows, batch 2 pays and keeps none, later ones keep all
        *[{"group": "a", "pay": True, "keep": k != 1, "n": k * 4 + i} for k in range(8) for i in range(4)],
        *[{"group": "b", "pay": False, "keep": False, "n": k * 4 + i} for k in range(8) for i in range(4)],
    ]
    recipe = _partitioned(server.url, tmp_path / "runs", rows, target=6, concurrent=3, extra={"max_batches": 1})
    path = write(recipe, tmp_path / "r.yaml")
    first = _run(path)
    assert first.status == "max_batches_reached" and first.partitions == {"a": 4, "b": 0}

    # Any further paid call reaches the budget; batch 4 (a) is then never launched.
    recipe.update(max_batches=8, budget={"max_tokens": first.tokens + 1})
    stopped = _run(write(recipe, path), resume=True)
    assert stopped.status == "budget_reached"
    assert stopped.partitions == {"a": 4, "b": 0}
    store = open_existing(stopped.run_dir)
    assert store.read_accepted().num_rows == stopped.accepted == 4
    # the calls batch 2 made before the budget stopped it are counted, though it never committed
    assert _paid_calls(stopped) == server.model.requests > _paid_calls(first)
    manifest = json.loads((stopped.run_dir / "manifest.json").read_text())
    assert manifest["tokens"] == stopped.tokens > recipe["budget"]["max_tokens"]
    store.close()

    # Raising the budget finishes the run with exactly the rows an uninterrupted run makes.
    recipe["budget"] = {"max_tokens": 10_000_000}
    done = _run(write(recipe, path), resume=True)
    assert done.status == "max_batches_reached" and done.partitions == {"a": 6, "b": 0}  # b never passes
    clean = _run(write({**recipe, "name": "clean"}, tmp_path / "c.yaml"))
    resumed_rows = open_existing(done.run_dir).read_accepted().to_pylist()
    assert resumed_rows == open_existing(clean.run_dir).read_accepted().to_pylist()
    assert len(resumed_rows) == done.accepted == clean.accepted


@pytest.mark.timeout(60)
def test_batches_dropped_after_their_partition_filled_are_counted_and_kept_as_surplus(tmp_path, scripted_server):
    server = scripted_server(latency_s=0.1)
    # Each partition's first batch keeps 1 row of 4, so the driver expects a low yield and
    # launches its batches 1-3 together. Batch 1 passes every row but is slow (three more
    # calls in a chain); batches 2 and 3 are fast, finish first and wait to commit in order,
    # and batch 1 then fills the partition: 2 and 3 were paid for and are surplus.
    per_batch = [
        {"pay": True, "keep": False, "steps": []},
        {"pay": True, "keep": True, "steps": [1]},
        {"pay": True, "keep": True, "steps": []},
        {"pay": True, "keep": True, "steps": []},
    ]
    rows = _seed_rows(per_batch)
    for r in rows:
        r["keep"] = r["keep"] or r["n"] == 0  # one row of the first batch passes
    chain = [
        {"name": f"slow{k}", "kind": "llm_text", "model": "teacher", "over": "seed.steps",
         "prompt": "Expand step {{ item }} of: {{ " + (f"slow{k - 1}" if k > 1 else "question") + " }}"}
        for k in (1, 2, 3)
    ]
    recipe = _partitioned(server.url, tmp_path / "runs", rows, target=4, concurrent=6, extra_columns=chain)
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.status == "complete" and summary.partitions == {"a": 4, "b": 4}

    # every call the server answered is in run.sqlite and the manifest
    assert _paid_calls(summary) == server.model.requests
    store = open_existing(summary.run_dir)
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert manifest["tokens"] == summary.tokens and manifest["cost_usd"] == round(summary.cost_usd, 6)

    # the dropped batches' rows are surplus in rejected/ and in the lineage
    surplus = [r for r in store.read_rejected().to_pylist() if r["_column"] == "_target"]
    assert {r["_batch"] for r in surplus} >= {4, 5, 6, 7}
    lineage = store.db.lineage_of("b00004-r0000")
    assert lineage["column"] == "_target" and lineage["reason"].startswith("surplus")
    assert summary.rejected == store.read_rejected().num_rows
    # what is kept does not depend on the surplus: the first 4 passing rows of each partition
    kept = store.read_accepted().to_pylist()
    assert sorted(r["seed"]["n"] for r in kept if r["seed"]["group"] == "a") == [0, 4, 5, 6]
    store.close()


@pytest.mark.timeout(120)
def test_budget_counts_calls_in_flight_not_only_committed_batches(tmp_path, scripted_server):
    server = scripted_server(latency_s=0.01)
    slots = 4
    budget = 3000
    recipe = qa_recipe(server.url, tmp_path / "runs", target=400, batch=16, concurrency=slots,
                       extra={"concurrent_batches": 4, "budget": {"max_tokens": budget}})
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.status == "budget_reached"
    assert _paid_calls(summary) == server.model.requests
    # Only calls already sent when the budget was reached may overshoot it: at most one per
    # endpoint slot, none longer than this recipe's longest call (the judge, ~300 tokens).
    assert budget <= summary.tokens <= budget + slots * 400
    store = open_existing(summary.run_dir)
    assert store.read_accepted().num_rows == summary.accepted
    store.close()


@pytest.mark.timeout(120)
def test_a_run_that_completes_with_batches_in_flight_counts_them(tmp_path, scripted_server):
    server = scripted_server(latency_s=0.01)
    # a filter that rejects about half the rows makes the driver run batches on speculation
    recipe = qa_recipe(server.url, tmp_path / "runs", target=30, batch=8,
                       extra={"concurrent_batches": 4, "filters": ["score.helpfulness >= 2"]})
    summary = _run(write(recipe, tmp_path / "r.yaml"))
    assert summary.status == "complete" and summary.accepted == 30
    assert _paid_calls(summary) == server.model.requests
    store = open_existing(summary.run_dir)
    assert store.read_accepted().num_rows == 30
    assert summary.rejected == store.read_rejected().num_rows
    store.close()
