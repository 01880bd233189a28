"""Batches on Ray workers (generate/ray_executor.py): the same recipe, seed and server give the
same accepted rows as the local executor, whatever the number of batches, and the endpoint's
`max_concurrency` holds across all workers (the server's peak in-flight count never exceeds it)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3

import pyarrow.parquet as pq
import pytest

from synthloom.config import parse_recipe

from .recipes import qa_recipe

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(300)


def _rows_hash(run_dir) -> str:
    rows = [r for s in sorted((run_dir / "shards").glob("part-*.parquet")) for r in pq.read_table(s).to_pylist()]
    canonical = "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in rows)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _generate(server, out, name: str, target: int, batch: int, executor: str, concurrency: int = 16,
              workers: int | None = None):
    from synthloom.generate import generate_run

    recipe = parse_recipe(json.dumps(qa_recipe(server.url, out, name=name, target=target, batch=batch,
                                               concurrency=concurrency)))
    summary = asyncio.run(generate_run(recipe, executor=executor, workers=workers))
    assert summary.status == "complete", summary
    return summary.run_dir


@pytest.mark.parametrize("target,batch", [(8, 8), (28, 4), (64, 1)])  # 1, 7 and 64 batches
def test_ray_makes_the_rows_the_local_executor_makes(tmp_path, scripted_server, ray_two_cpus, target, batch):
    server = scripted_server(latency_s=0.01)
    local = _generate(server, tmp_path, "local", target, batch, "local")
    on_ray = _generate(server, tmp_path, "ray", target, batch, "ray")
    assert _rows_hash(on_ray) == _rows_hash(local)


def test_the_endpoint_cap_holds_across_workers(tmp_path, scripted_server, ray_two_cpus):
    server = scripted_server(latency_s=0.05)
    _generate(server, tmp_path, "capped", 48, 8, "ray", concurrency=3)
    assert 1 <= server.model.max_in_flight <= 3


def test_each_worker_gets_a_share_of_every_endpoint_and_the_shares_add_up():
    from synthloom.generate.ray_executor import largest_worker_count, share_of_caps

    recipe = parse_recipe(json.dumps(qa_recipe("http://user:secret@127.0.0.1:9/v1", "out", concurrency=5)))
    shares = [share_of_caps(recipe, i, 3).models["teacher"].endpoints[0].max_concurrency for i in range(3)]
    assert shares == [2, 2, 1] and recipe.models["teacher"].endpoints[0].max_concurrency == 5
    assert "secret" in str(share_of_caps(recipe, 0, 3).models["teacher"].endpoints[0].url)  # not redacted
    assert largest_worker_count(recipe, 8) == 5 and largest_worker_count(recipe, 2) == 2  # no worker with none


def test_the_command_line_runs_on_ray(tmp_path, scripted_server):
    from .conftest import run_cli
    from .recipes import write

    server = scripted_server(latency_s=0.0)
    path = write(qa_recipe(server.url, tmp_path / "runs", name="cli", target=8, batch=4), tmp_path / "r.yaml")
    done = run_cli("generate", str(path), "--executor", "ray", "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    shards = (tmp_path / "runs" / "cli" / "shards").glob("part-*.parquet")
    assert sum(pq.read_table(s).num_rows for s in shards) == 8
    wrong = run_cli("generate", str(path), "--executor", "spark", "--overwrite")
    assert wrong.returncode == 2 and "--executor is local or ray" in wrong.stderr


def test_a_worker_killed_mid_run_changes_nothing(tmp_path, scripted_server, ray_two_cpus):
    import threading
    import time

    server = scripted_server(latency_s=0.02)
    local = _generate(server, tmp_path, "unkilled", 48, 4, "local")
    killed = []

    def kill_a_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            workers = [n for n in ray.util.list_named_actors() if n.startswith("synthloom-batches-")]
            if workers and server.model.requests > 40:  # mid-run: some batches done, others in flight
                ray.kill(ray.get_actor(workers[0]), no_restart=False)
                killed.append(workers[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    on_ray = _generate(server, tmp_path, "killed", 48, 4, "ray")
    killer.join()
    assert killed, "the run ended before a worker could be killed"
    assert _rows_hash(on_ray) == _rows_hash(local)


def test_a_worker_gets_the_key_variables_and_nothing_else(monkeypatch):
    from synthloom.generate.ray_executor import worker_environment

    recipe = qa_recipe("http://127.0.0.1:9/v1", "out")
    recipe["models"]["teacher"]["api_key_env"] = "MY_KEY"
    monkeypatch.setenv("MY_KEY", "k-123")
    monkeypatch.setenv("SYNTHLOOM_ALLOWED_KEY_HOSTS", "api.example.com")
    monkeypatch.setenv("UNRELATED_SECRET", "no")
    assert worker_environment(parse_recipe(json.dumps(recipe))) == {
        "MY_KEY": "k-123", "SYNTHLOOM_ALLOWED_KEY_HOSTS": "api.example.com"}


def test_the_python_api_runs_on_ray(tmp_path, scripted_server, ray_two_cpus):
    import synthloom

    server = scripted_server(latency_s=0.0)
    summary = synthloom.run(qa_recipe(server.url, tmp_path, name="api", target=8, batch=4), executor="ray")
    assert summary.status == "complete" and summary.accepted == 8
    from synthloom.config import SynthloomError

    with pytest.raises(SynthloomError, match="executor is local or ray"):
        synthloom.run(qa_recipe(server.url, tmp_path, name="api2", target=8, batch=4), executor="dask")


def test_a_run_again_on_ray_answers_from_the_cache_instead_of_asking_again(tmp_path, scripted_server, ray_two_cpus):
    """Workers find what run.sqlite's cache held when the run began (an edited or resumed run):
    the same recipe run again with --overwrite on Ray sends no request, and makes the same rows."""
    from synthloom.generate import generate_run

    server = scripted_server(latency_s=0.01)
    recipe = parse_recipe(json.dumps(qa_recipe(server.url, tmp_path, name="cached", target=24, batch=4)))
    first = asyncio.run(generate_run(recipe))
    first_hash, asked = _rows_hash(first.run_dir), server.model.requests
    assert asked >= 24
    committed_first = {b for (b,) in _usage(first.run_dir, "SELECT DISTINCT batch FROM usage")}
    again = asyncio.run(generate_run(recipe, overwrite=True, executor="ray"))
    assert again.status == "complete"
    assert _rows_hash(again.run_dir) == first_hash
    # Every call of every batch the first run committed was answered from the cache, through the
    # workers. A batch the first run stopped past its target (which ones depends on timing) asks
    # for the calls it never made; every such call is counted, committed or not.
    by_batch = _usage(again.run_dir, "SELECT batch, SUM(calls), SUM(cached_calls) FROM usage GROUP BY batch")
    kept = {b for (b,) in _usage(again.run_dir, "SELECT batch FROM batches WHERE accepted > 0")}
    assert len(kept) >= 6 and kept <= committed_first  # the same rows, from the same batches
    assert all(calls == cached for b, calls, cached in by_batch if b in committed_first)
    fresh = sum(calls - cached for _, calls, cached in by_batch) + _usage(
        again.run_dir, "SELECT COALESCE(SUM(calls - cached_calls), 0) FROM uncommitted_usage")[0][0]
    assert fresh <= server.model.requests - asked <= fresh * 6  # at most 5 retries a call


def _usage(run_dir, query):
    db = sqlite3.connect(run_dir / "run.sqlite")
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def test_a_refusal_on_a_worker_is_the_local_sentence_with_its_batch_named(tmp_path, scripted_server, ray_two_cpus):
    from synthloom.config.errors import SynthloomError
    from synthloom.generate import generate_run

    server = scripted_server(latency_s=0.01, refuse=[("Answer:", 400, "response_format is not supported")])
    recipe = parse_recipe(json.dumps(qa_recipe(server.url, tmp_path, name="refused", target=16, batch=4)))
    with pytest.raises(SynthloomError) as caught:
        asyncio.run(generate_run(recipe, executor="ray"))
    text = str(caught.value)
    assert text.startswith("batch ") and "on a Ray worker: column 'answer'" in text
    assert "response_format is not supported" in text and "Traceback" not in text
