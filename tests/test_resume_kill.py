"""SIGKILL the generating process at random moments and resume: the final data is exactly
what an uninterrupted run makes, with no lost, duplicated or partial rows."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from .recipes import qa_recipe, write

TARGET = 240


def _start(path):
    return subprocess.Popen(
        [sys.executable, "-m", "synthloom.cli.app", "generate", str(path), "--resume", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed(run_dir) -> int:
    shards = run_dir / "shards"
    return len(list(shards.glob("part-*.parquet"))) if shards.is_dir() else 0


@pytest.mark.slow
def test_sigkill_and_resume_loses_and_duplicates_nothing(tmp_path, scripted_server):
    server = scripted_server(latency_s=0.01)
    recipe = qa_recipe(server.url, tmp_path / "runs", name="killed", target=TARGET, batch=6, concurrency=8)
    path = write(recipe, tmp_path / "r.yaml")
    rng = random.Random(1234)
    kills = 0
    run_dir = tmp_path / "runs" / "killed"
    while kills < 12:
        proc = _start(path)
        # Kill at a random moment after this process has made some progress, so every
        # cycle both commits batches and dies mid-way through others.
        before = _committed(run_dir)
        deadline = time.time() + 60
        while _committed(run_dir) <= before and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        # soon after: a fast machine (or server) commits several batches a tenth of a second
        time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        # whatever is visible between runs must be whole Parquet files
        for shard in (run_dir / "shards").glob("part-*.parquet"):
            pq.read_table(shard)
    assert kills >= 10, kills
    final = _start(path)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err

    shards = sorted((run_dir / "shards").glob("*"))
    assert all(s.name.startswith("part-") and s.suffix == ".parquet" for s in shards), shards
    rows = [r for s in shards for r in pq.read_table(s).to_pylist()]
    ids = [r["_row_id"] for r in rows]
    assert len(rows) == TARGET and len(set(ids)) == TARGET

    # the same recipe, never interrupted, makes the same rows
    clean = dict(recipe, name="clean")
    done = subprocess.run(
        [sys.executable, "-m", "synthloom.cli.app", "generate", str(write(clean, tmp_path / "c.yaml")), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    clean_rows = [r for s in sorted((tmp_path / "runs" / "clean" / "shards").glob("*.parquet"))
                  for r in pq.read_table(s).to_pylist()]
    assert rows == clean_rows
