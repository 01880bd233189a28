"""A sample drawn in shards (tabular/base.py, tabular/ray_sampling.py): each shard's seed derives
from the synthesizer's seed, the sample's number and the shard's, so Ray workers draw the rows
this process draws, with and without rebalancing and the copy guard; shard 0 is what a sample
of that size was before samples were sharded; whole-number ids run on across shards."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import synthloom.tabular.base as base
from synthloom.tabular import BayesianNetwork, GaussianCopula
from synthloom.testing.tables import mixed_table

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(600)


def _table(n: int = 400) -> pa.Table:
    table = mixed_table(n, seed=2)
    return table.append_column("row_id", pa.array(range(1000, 1000 + n), pa.int64()))


@pytest.mark.parametrize("cls", [GaussianCopula, BayesianNetwork])
def test_ray_draws_the_shards_this_process_draws(cls, monkeypatch, ray_two_cpus):
    monkeypatch.setattr(base, "SHARD_ROWS", 60)
    real = _table()
    local, on_ray = cls(seed=5).fit(real), cls(seed=5).fit(real)
    for kwargs in ({}, {"rebalance": {"sex": {"F": 0.7, "M": 0.3}}}):
        mine = local.sample(250, **kwargs)
        theirs = on_ray.sample(250, executor="ray", **kwargs)
        assert local.report["last_sample"]["shards"] == 5
        assert theirs.equals(mine)
    assert mine.column("row_id").to_pylist() == list(range(1, 251))  # ids go on across shards


def test_the_first_shard_is_the_sample_of_that_size_from_before_sharding(monkeypatch):
    real = _table()
    whole = GaussianCopula(seed=9).fit(real).sample(60)
    monkeypatch.setattr(base, "SHARD_ROWS", 60)
    sharded = GaussianCopula(seed=9).fit(real).sample(150)
    assert sharded.slice(0, 60).equals(whole)
    assert not sharded.slice(60, 60).drop(["row_id"]).equals(whole.drop(["row_id"]))  # shard 1 has its own seed


def test_tabular_synth_on_ray_from_the_command_line_writes_the_local_rows(tmp_path):
    data = tmp_path / "real.parquet"
    pq.write_table(_table(300), data)
    outs = {}
    for executor in ("local", "ray"):
        outs[executor] = tmp_path / f"{executor}.parquet"
        done = subprocess.run([sys.executable, "-m", "synthloom.cli.app", "tabular", "synth", str(data), "-n", "500",
                               "-o", str(outs[executor]), "--seed", "4", "--executor", executor],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    assert pq.read_table(outs["ray"]).equals(pq.read_table(outs["local"]))
