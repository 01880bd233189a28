"""A two-node Ray cluster (ray.cluster_utils.Cluster: two nodes of one CPU each): generated
batches (one worker on each node) give the local executor's rows, byte for byte, and shards
curated on Ray Data from the command line give the local executor's files."""

from __future__ import annotations

import asyncio

import pytest

from .test_ray_executor import _generate, _rows_hash

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def two_nodes():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_two_nodes_make_the_rows_one_process_makes(tmp_path, scripted_server, two_nodes, monkeypatch):
    import synthloom.generate.ray_executor as executor

    nodes = []
    original = executor._started_workers

    async def remember(*args, **kwargs):  # where the run's workers were placed
        up = await original(*args, **kwargs)
        nodes.extend(await asyncio.gather(*[w.node.remote() for w in up.batches]))
        return up

    monkeypatch.setattr(executor, "_started_workers", remember)
    server = scripted_server(latency_s=0.01)
    local = _generate(server, tmp_path, "local", 28, 4, "local")
    on_two = _generate(server, tmp_path, "two", 28, 4, "ray", workers=2)
    assert len(nodes) == 2 and len(set(nodes)) == 2  # one worker on each node
    assert _rows_hash(on_two) == _rows_hash(local)


def test_a_driver_killed_and_resumed_on_ray_loses_and_duplicates_nothing(tmp_path, scripted_server, two_nodes):
    import os
    import signal
    import subprocess
    import sys
    import time

    from .recipes import qa_recipe, write

    server = scripted_server(latency_s=0.02)
    local = _generate(server, tmp_path, "whole", 60, 4, "local")
    path = write(qa_recipe(server.url, tmp_path, name="killed", target=60, batch=4), tmp_path / "r.yaml")
    shards = tmp_path / "killed" / "shards"
    command = [sys.executable, "-m", "synthloom.cli.app", "generate", str(path), "--resume", "--quiet",
               "--executor", "ray", "--address", two_nodes.address, "--workers", "2"]
    kills = 0
    for _ in range(3):  # kill the driver just after a commit, three times, then let it finish
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        before = len(list(shards.glob("part-*.parquet"))) if shards.is_dir() else 0
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and \
                (len(list(shards.glob("part-*.parquet"))) if shards.is_dir() else 0) <= before:
            time.sleep(0.02)
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 1
    final = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert final.returncode == 0, final.stderr
    assert _rows_hash(tmp_path / "killed") == _rows_hash(local)


def test_shards_curated_from_the_command_line_on_two_nodes_match_the_local_files(tmp_path, two_nodes):
    import subprocess
    import sys

    from .test_ray_curation import _counts, _files, corpus, curation_file

    data, ref, bench = corpus(tmp_path, shards=3, per_shard=40, seed=3)
    cfg = curation_file(tmp_path, ref, bench)
    outs = {}
    for executor in ("local", "ray"):
        out = tmp_path / executor
        extra = ["--executor", "ray", "--address", two_nodes.address] if executor == "ray" else []
        done = subprocess.run([sys.executable, "-m", "synthloom.cli.app", "curate", str(data), "-c", str(cfg),
                               "-o", str(out), *extra], capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "one Parquet file per input shard" in done.stdout
        outs[executor] = out
    assert _files(outs["ray"]) == _files(outs["local"])
    assert _counts(outs["ray"]) == _counts(outs["local"])
