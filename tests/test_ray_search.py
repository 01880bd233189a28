"""Nearest-row searches split across Ray workers (data/table_analysis/ray_search.py): each chunk
of queries is searched alone, here or on a worker, so the distances and indices, and the
evaluation's privacy figures built on them, are the local ones."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import synthloom.data.table_analysis.nearest_rows as nearest_rows
from synthloom.data.table_analysis.nearest_rows import Encoded, two_nearest
from synthloom.testing.tables import mixed_table

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(600)


def _encoded(n: int, seed: int) -> Encoded:
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 3))
    numbers[rng.random((n, 3)) < 0.05] = np.nan
    return Encoded(numbers, rng.integers(0, 3, size=(n, 2)))


def test_chunks_searched_on_ray_give_the_local_distances_and_indices(monkeypatch, ray_two_cpus):
    from synthloom.data.table_analysis.ray_search import searching_on_ray

    monkeypatch.setattr(nearest_rows, "QUERY_CHUNK", 70)
    queries, reference = _encoded(500, 1), _encoded(3000, 2)
    here = two_nearest(queries, reference)
    calls = []
    with searching_on_ray():
        runner = nearest_rows.SEARCH_CHUNKS.get()
        token = nearest_rows.SEARCH_CHUNKS.set(lambda p, c: calls.append(len(c)) or runner(p, c))
        there = two_nearest(queries, reference)
        nearest_rows.SEARCH_CHUNKS.reset(token)
    assert calls == [8]  # 500 queries in chunks of 70, all sent to Ray
    np.testing.assert_array_equal(there[0], here[0])
    np.testing.assert_array_equal(there[1], here[1])


def test_an_evaluation_with_its_searches_on_ray_reports_the_local_privacy_figures(tmp_path, monkeypatch, ray_two_cpus):
    from synthloom.data.table_analysis.ray_search import searching_on_ray
    from synthloom.workflows.gates import gate_tables

    monkeypatch.setattr(nearest_rows, "QUERY_CHUNK", 64)
    real, synthetic, holdout = (tmp_path / f"{n}.parquet" for n in ("real", "synthetic", "holdout"))
    pq.write_table(mixed_table(300, seed=1), real)
    pq.write_table(mixed_table(300, seed=2), synthetic)
    pq.write_table(mixed_table(200, seed=3), holdout)
    local = gate_tables(real, synthetic, [], output=tmp_path / "local", holdout=holdout, seed=0).report
    with searching_on_ray():
        on_ray = gate_tables(real, synthetic, [], output=tmp_path / "ray", holdout=holdout, seed=0).report
    assert json.dumps(on_ray["privacy"], sort_keys=True) == json.dumps(local["privacy"], sort_keys=True)
    assert local["privacy"]  # the searches ran
