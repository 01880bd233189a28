"""The nearest-row search gives the same two nearest distances whichever way it runs: every pair
measured (small searches over many small groups), the level search, and with repeated rows on
either side searched once."""

from __future__ import annotations

import numpy as np
import pytest

import synthloom.data.table_analysis.nearest_rows as nearest_rows
from synthloom.data.table_analysis.nearest_rows import Encoded, _numeric_part, _ranges, two_nearest
from synthloom.evaluate.distance import encode
from synthloom.evaluate.tables import aligned_columns
from synthloom.testing.tables import mixed_table


def _brute(q: Encoded, r: Encoded, ranges: np.ndarray) -> np.ndarray:
    n_cols = r.numbers.shape[1] + r.codes.shape[1]
    return (_numeric_part(q.numbers, r.numbers, ranges) + (q.codes[:, None, :] != r.codes[None, :, :]).sum(2)) / n_cols


def _tables():
    real, other = mixed_table(700, seed=4), mixed_table(400, seed=5)
    cols = aligned_columns(real, other)
    r, q = encode(cols, "real"), encode(cols, "synthetic")
    # repeats on both sides, a constant column, values outside the reference's range
    r = Encoded(np.vstack([r.numbers, r.numbers[:50]]), np.vstack([r.codes, r.codes[:50]]))
    r.numbers[:, 0] = 3.0
    q.numbers[::9, 0] = 4.0
    q.numbers[::7, 1] *= 3
    q = Encoded(np.vstack([q.numbers, q.numbers[:30], r.numbers[100:120]]), np.vstack([q.codes, q.codes[:30], r.codes[100:120]]))
    return q, r


@pytest.mark.parametrize("all_pairs", [True, False], ids=["all pairs", "level search"])
def test_both_searches_give_the_exact_two_nearest_with_repeats_on_either_side(monkeypatch, all_pairs):
    q, r = _tables()
    monkeypatch.setattr(nearest_rows, "ALL_PAIRS_MAX", 10**12 if all_pairs else 0)
    best, index = two_nearest(q, r)
    full = _brute(q, r, _ranges(r))
    expected = np.sort(full, axis=1)[:, :2]
    np.testing.assert_array_equal(best, expected)  # the same floats, not only close ones
    rows = np.arange(len(index))
    np.testing.assert_array_equal(full[rows, index[:, 0]], best[:, 0])
    np.testing.assert_array_equal(full[rows, index[:, 1]], best[:, 1])
    assert (index[:, 0] != index[:, 1]).all()  # two rows, even where a repeated row is both nearest
    assert (best[-20:, 0] == 0).all()  # the copies of reference rows 100-119, each held once
    assert (best[-20:, 1] > 0).all() and (best[:50, 1] >= best[:50, 0]).all()


def test_a_reference_row_held_twice_is_its_own_second_nearest():
    r = Encoded(np.array([[0.0], [1.0], [0.0], [5.0]]), np.zeros((4, 0), dtype=np.int64))
    q = Encoded(np.array([[0.1], [0.9], [0.1]]), np.zeros((3, 0), dtype=np.int64))
    best, index = two_nearest(q, r)
    np.testing.assert_allclose(best, [[0.02, 0.02], [0.02, 0.18], [0.02, 0.02]])
    assert index.tolist() == [[0, 2], [1, 0], [0, 2]]
