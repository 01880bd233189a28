"""The engine's scheduling against a real server (synthloom.testing.latency_server, its own
process on 127.0.0.1): rows of every batch in flight fill the model's slots, so a slow cell holds
only its own row; a retry waits for its Retry-After without a slot; and the endpoint's adaptive
limit finds a server's real capacity below the configured one. Recipes use default settings
(no `concurrent_batches`)."""

from __future__ import annotations

import asyncio

from synthloom.config import parse_recipe
from synthloom.generate import generate_run
from synthloom.testing.latency_server import started, stats_of


def _recipe(url: str, out, *, rows: int, batch: int, concurrency: int, words: list[str], extra: str = "") -> str:
    return f"""
name: sched
seed: 5
target_rows: {rows}
batch_size: {batch}
output_dir: {out}
models:
  teacher:
    provider: openai
    model: latency
    endpoints: [{{url: "{url}", max_concurrency: {concurrency}}}]
    backoff_base_s: 0.01
    backoff_max_s: 5
{extra}
columns:
  - {{name: word, kind: sampler, type: category, values: {words}}}
  - {{name: text, kind: llm_text, model: teacher, prompt: "Write about {{{{ word }}}}."}}
"""


def _run(text: str):
    return asyncio.run(generate_run(parse_recipe(text), resume=False, overwrite=True))


def test_a_slow_cell_holds_only_its_own_row(tmp_path):
    """With batches of 8 and 16 slots, a batch barrier (2 batches in flight) would leave 7 slots
    idle while one row's call is slow; the engine keeps starting rows and fills them."""
    words = ["glacier"] + [f"plain{i}" for i in range(19)]
    with started("--latency", "0.05", "--slow-word", "glacier", "--slow-latency", "2.0") as url:
        summary = _run(_recipe(url, tmp_path, rows=160, batch=8, concurrency=16, words=words))
        stats = stats_of(url)
    assert summary.status == "complete"
    assert any(slow for _, _, slow in stats["events"]), "the seed drew no slow row"
    assert stats["max_in_flight_while_slow"] >= 15, stats["max_in_flight_while_slow"]
    assert stats["max_in_flight"] <= 16


def test_a_retry_waits_for_retry_after_without_its_slot(tmp_path):
    """One slot; the first request is refused with Retry-After: 2. The other rows' requests are
    answered while it waits (a retry that kept the slot would make them wait 2 seconds)."""
    with started("--latency", "0.02", "--throttle-first", "1", "--retry-after", "2") as url:
        summary = _run(_recipe(url, tmp_path, rows=12, batch=4, concurrency=1, words=["a", "b"]))
        stats = stats_of(url)
    assert summary.status == "complete" and summary.accepted == 12
    first_refusal = next(t for t, status, _ in stats["events"] if status == 429)
    answered_meanwhile = [t for t, status, _ in stats["events"] if status == 200 and t < first_refusal + 1.5]
    assert len(answered_meanwhile) >= 5, stats["events"]


def test_the_adaptive_limit_finds_a_capacity_below_the_configured_one(tmp_path):
    """The server serves 16 at once and queues 32 more (refusing past that); the recipe allows
    64. Settled, the engine keeps well under 64 in flight (the limit's tolerance lets a queue
    make answers up to half as slow again before it cuts), and few requests are refused."""
    with started("--latency", "0.1", "--capacity", "16", "--queue", "32", "--retry-after", "0.5") as url:
        summary = _run(_recipe(url, tmp_path, rows=600, batch=16, concurrency=64, words=["a", "b", "c"]))
        stats = stats_of(url)
    assert summary.status == "complete"
    assert stats["late_in_flight_avg"] <= 2 * 16, stats["late_in_flight_avg"]  # not the 64 allowed
    assert stats["statuses"].get("429", 0) <= 0.05 * stats["requests"], stats["statuses"]


def test_the_progress_line_shows_the_slots_in_use():
    from rich.console import Console

    from synthloom.generate.progress import RichReporter

    console = Console(record=True, force_terminal=False, width=200)
    reporter = RichReporter(console)
    reporter.start(100, 0, 0, 0)
    reporter.update(10, 1, 500, concurrency=(17, 64))
    reporter.progress.stop()
    assert "17/64 slots" in console.export_text()


def test_the_first_request_does_not_idle_the_other_slots_while_it_is_generated(tmp_path):
    """The others of a kind wait for the first answer only as long as a refusal takes to come
    back; a server still generating it after that is not refusing. With 1 s per answer and 8
    slots, all 8 answers come back together, not the first a second before the rest."""
    with started("--latency", "1.0") as url:
        summary = _run(_recipe(url, tmp_path, rows=8, batch=8, concurrency=8, words=["a", "b"]))
        stats = stats_of(url)
    assert summary.status == "complete"
    done = sorted(t for t, status, _ in stats["events"] if status == 200)
    assert len(done) == 8 and done[-1] - done[0] < 0.5, done


def test_rows_keep_running_while_a_batch_is_written(tmp_path, monkeypatch):
    """Writing a batch's files takes a while (here, the first write: 0.6 s). The driver commits on
    a task of its own, so new rows keep the slots busy meanwhile; awaiting the write in its loop,
    it could start none, and the rows already running (two batches of 4) would be all the server
    saw until the write ended."""
    import time

    from synthloom.data.runs.run_store import RunStore

    write_batch_files = RunStore.write_batch_files
    writes: list[tuple[float, float]] = []

    def slow_first_write(self, *args, **kwargs):
        start = time.monotonic()
        if not writes:
            time.sleep(0.6)
        result = write_batch_files(self, *args, **kwargs)
        writes.append((start, time.monotonic()))
        return result

    monkeypatch.setattr(RunStore, "write_batch_files", slow_first_write)
    with started("--latency", "0.05") as url:
        summary = _run(_recipe(url, tmp_path, rows=200, batch=4, concurrency=4, words=["a", "b", "c"]))
        stats = stats_of(url)
    assert summary.status == "complete" and summary.accepted == 200
    begin, end = writes[0]
    answered = [stats["first_at"] + at for at, _, _ in stats["events"]]
    during = sum(begin <= t <= end for t in answered)
    assert during >= 20, f"{during} answers while the first batch was written"


def test_no_batch_starts_for_rows_a_finished_batch_already_gave(tmp_path):
    """A finished batch that has not been written yet counts with the rows it passed (not with an
    estimate): one batch at a time, a batch whose rows would all be surplus is never started."""
    text = f"""
name: yields
seed: 1
target_rows: 4
batch_size: 4
concurrent_batches: 1
max_batches: 20
output_dir: {tmp_path}
columns:
  - {{name: kind, kind: sampler, type: category, values: [keep, drop, drop]}}
filters: ["kind == 'keep'"]
"""
    summary = _run(text)
    assert summary.status == "complete" and summary.accepted == 4
    assert not any(column == "_target" for column, _, _ in summary.rejections), summary.rejections
