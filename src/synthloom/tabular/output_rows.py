"""Drawn columns turned into the rows a synthesizer gives out: numbers clipped and rounded as
they are written, fresh identifiers and placeholder text, the input's Arrow types; and the row
selection conditional sampling and rebalancing need."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta
from synthloom.data.table_analysis.metadata import from_numpy

if TYPE_CHECKING:
    from synthloom.tabular.base import Columns, Fitted


def rounded_draw(drawn: tuple[Columns, int, dict[str, int]], meta: TableMeta) -> tuple[Columns, int, dict[str, int]]:
    return rounded(drawn[0], meta), drawn[1], drawn[2]


def finish_table(fitted: Fitted, cols: Columns, n: int, rng: np.random.Generator, first: int = 0) -> pa.Table:
    """The output table: rounded numbers, fresh ids, placeholder text, the input's Arrow types.
    `first`: how many rows come before these in the sample (whole-number ids go on from there)."""
    out = rounded(cols, fitted.meta)
    for name, cm in fitted.meta.columns.items():
        if cm.kind == "id":
            out[name] = new_ids(fitted.types.get(name), n, rng, first)
        elif cm.kind == "text":
            out[name] = placeholder_text(n, rng)
    return from_numpy(out, fitted.meta, fitted.types)


def rounded(cols: Columns, meta: TableMeta) -> Columns:
    """Numbers as they are written out: clipped to the metadata's bounds and rounded."""
    out = dict(cols)
    for name, cm in meta.columns.items():
        if cm.kind in ("numerical", "datetime") and name in out:
            x = out[name].astype(float)
            lo = cm.min if cm.min is not None else None
            hi = cm.max if cm.max is not None else None
            if lo is not None or hi is not None:
                x = np.clip(x, lo, hi)
            if cm.integer or cm.kind == "datetime":
                x = np.round(x)
            elif cm.decimals is not None:
                x = np.round(x, cm.decimals)
            out[name] = x
    return out


def matching_rows(cols: Columns, conditions: dict[str, Any], n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    for column, value in conditions.items():
        x = cols[column]
        if x.dtype == object:
            keep &= np.array([v == value for v in x], dtype=bool)
        else:
            keep &= np.isclose(x, float(value))
    return keep


def shares_to_counts(column: str, shares: dict[Any, float], n: int) -> dict[Any, int]:
    total = sum(shares.values())
    if total <= 0 or any(s < 0 for s in shares.values()):
        raise SynthloomError(f"rebalance of '{column}': shares must be non-negative with a positive sum")
    raw = {v: n * s / total for v, s in shares.items()}
    counts = {v: int(np.floor(x)) for v, x in raw.items()}
    for v in sorted(raw, key=lambda v: raw[v] - counts[v], reverse=True)[: n - sum(counts.values())]:
        counts[v] += 1
    return counts


def new_ids(original: pa.DataType | None, n: int, rng: np.random.Generator, first: int = 0) -> np.ndarray:
    """Fresh identifiers: never one of the training ids (they may point at a person)."""
    if original is not None and pa.types.is_integer(original):
        return np.arange(first + 1, first + n + 1).astype(object)
    return np.array([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)], dtype=object)


def placeholder_text(n: int, rng: np.random.Generator) -> np.ndarray:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(int(rng.integers(2**31)))
    return np.array([fake.sentence(nb_words=8) for _ in range(n)], dtype=object)
