"""Encoding of aligned evaluation columns for the record distance; the exact nearest-neighbour
search itself lives in synthloom.data.table_analysis.nearest_rows (the tabular synthesizers use it too)."""

from __future__ import annotations

import numpy as np

from synthloom.data.table_analysis.nearest_rows import (  # noqa: F401  (re-exported for evaluate's modules)
    BLOCK_CELLS, TREE_MIN, Encoded, _merge_two_smallest, _numeric_part, _ranges, _tree_distances, nearest,
    nearest_with_index,
)
from synthloom.evaluate.fidelity import Column


def encode(columns: list[Column], which: str) -> Encoded:
    nums = [getattr(c, which) for c in columns if c.kind == "numerical"]
    cats = [getattr(c, which) for c in columns if c.kind == "categorical"]
    n = len(getattr(columns[0], which))
    return Encoded(
        np.column_stack(nums).astype(float) if nums else np.zeros((n, 0)),
        np.column_stack(cats).astype(np.int64) if cats else np.zeros((n, 0), dtype=np.int64),
    )
