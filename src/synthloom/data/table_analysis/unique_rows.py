"""The distinct rows of a 2-D array, as np.unique(axis=0) gives them but several times faster:
each row is compared as one block of bytes (a sort on one key) instead of column by column.
The rows come out in byte order, not numeric order; callers need only a fixed order."""

from __future__ import annotations

import numpy as np


def unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(distinct rows, index of each one's first occurrence, each row's distinct row, counts)."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        a = a + 0.0  # -0.0 and 0.0 are one value, and must be one key
    n = len(a)
    if a.ndim != 2 or a.shape[1] == 0 or n == 0:
        first = np.zeros(min(n, 1), dtype=np.int64)
        return a[first], first, np.zeros(n, dtype=np.int64), np.array([n] * min(n, 1), dtype=np.int64)
    keys = a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    return a[first], first, inverse.ravel(), counts
