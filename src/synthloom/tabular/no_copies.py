"""Private by default: a sampled row that copies a training row, or points at too few real
people, is drawn again.

Rows are compared with the training rows on the columns the model learns (ids and free text
are regenerated anyway), after the rounding the output gets, under evaluate's record distance
(SDMetrics' mean per-column distance: |a - b| / training range for numbers, 0/1 for
categories, missing equals missing). "Equal to a training row" means distance 0: every such
column holds the same value, or both are missing. Such rows are always redrawn.

Near copies are redrawn too: rows closer to a training row than NEAR_QUANTILE of the
training rows lie to their nearest other distinct row. With `min_group=k` (k > 1) a row is
also redrawn unless the training rows nearest to it are at least k people (k-anonymity of the
nearest-record link), for discrete tables such as randhie where many people share a row, at
a real cost in fidelity (README, Tables). It is not the default: with the two sides compared
at equal size (evaluate's holdout share), the defaults already score ~0.5, as unseen real
people do.

The guard reads the private rows, so it is off under `epsilon` (there the budget bounds what
a sample can reveal), and a model loaded from a file holds no training rows to check against."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta
from synthloom.data.table_analysis.metadata import to_numpy
from synthloom.data.table_analysis.unique_rows import unique_rows
from synthloom.data.table_analysis.nearest_rows import Encoded, PreparedReference, _ranges, two_nearest

Columns = dict[str, np.ndarray]
NEAR_QUANTILE = 0.05  # distinct-row tables: closer than 95% of real rows are to their neighbour is a near copy
CALIBRATION_ROWS = 4_000
MAX_CANDIDATES = 50  # times the rows asked for, before the guard gives up and says why


class CopyGuard:
    def __init__(self, training: Columns, seed: int, min_group: int = 1):
        self.min_group = min_group
        self.names = list(training)
        self._numeric = [n for n in self.names if training[n].dtype != object]
        self._categorical = [n for n in self.names if training[n].dtype == object]
        self._codes: dict[str, dict[Any, int]] = {n: {} for n in self._categorical}
        rows = self._encode(training, learn=True)
        self.ranges = _ranges(rows)
        # distinct training rows and how many people share each
        key = np.hstack([np.nan_to_num(rows.numbers, nan=-np.inf), rows.codes.astype(float)])
        _, first, _, counts = unique_rows(key)
        self.distinct = Encoded(rows.numbers[first], rows.codes[first])
        self.people = counts
        if 2 * counts.max() < min_group:  # too_close counts the people of at most two distinct rows
            raise SynthloomError(
                f"min_group={min_group} cannot hold: no training row is shared by more than {counts.max()} people, "
                "so no sampled row has that many nearest people; use min_group=1 on a table of distinct rows"
            )
        self._prepared: PreparedReference | None = None
        self.threshold = self._near_distance(rows, seed)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_prepared": None}  # rebuilt where the guard is used, not shipped

    @classmethod
    def for_table(cls, table: pa.Table, meta: TableMeta, seed: int, min_group: int = 1) -> "CopyGuard":
        """The guard for a training table, on the columns a synthesizer with this metadata learns."""
        missing = [n for n in meta.columns if n not in table.column_names]
        if missing:
            raise SynthloomError(f"the training table lacks column(s) {', '.join(missing)} the model was fitted on")
        nt = to_numpy(table, meta)
        learnt = {n: v for n, v in nt.columns.items() if meta.columns[n].kind not in ("id", "text")}
        return cls(learnt, seed, min_group)

    @property
    def rule(self) -> str:
        group = f"; the nearest training rows must be at least {self.min_group} people" if self.min_group > 1 else ""
        return f"no exact copies; no row nearer than {self.threshold:.4g} to a training row{group}"

    def _encode(self, cols: Columns, learn: bool = False) -> Encoded:
        n = len(cols[self.names[0]])
        numbers = np.column_stack([cols[c].astype(float) for c in self._numeric]) if self._numeric else np.zeros((n, 0))
        codes = np.zeros((n, len(self._categorical)), dtype=np.int64)
        for j, c in enumerate(self._categorical):
            index = self._codes[c]
            if learn:
                for v in cols[c]:
                    index.setdefault(_key(v), len(index))
            unseen = len(index)  # a value no training row has: differs from all of them
            codes[:, j] = [index.get(_key(v), unseen) for v in cols[c]]
        return Encoded(numbers, codes)

    def _near_distance(self, rows: Encoded, seed: int) -> float:
        """NEAR_QUANTILE of the distance from a training row to its nearest other distinct row.
        Rows of another signature are at least 1 / n_cols away: when enough rows have their
        nearest other row closer than that within their own signature, those distances are the
        lowest ones and exact, and the quantile needs no wider search."""
        rng = np.random.default_rng([seed, 99])
        pick = rng.choice(len(rows.codes), min(CALIBRATION_ROWS, len(rows.codes)), replace=False)
        sample = Encoded(rows.numbers[pick], rows.codes[pick])
        other = self.prepared().nearest_in_signature(sample)[:, 1]  # [:, 0] is the row itself
        n_cols = rows.numbers.shape[1] + rows.codes.shape[1]
        # np.quantile interpolates between the order statistics floor(h) and floor(h) + 1
        exact = other < 1 / n_cols
        if exact.sum() >= np.floor(NEAR_QUANTILE * (len(other) - 1)) + 2:
            return float(np.quantile(np.where(exact, other, 1 / n_cols), NEAR_QUANTILE))
        best, _ = two_nearest(sample, self.distinct, ranges=self.ranges)
        return float(np.quantile(best[:, 1], NEAR_QUANTILE))

    def prepared(self) -> PreparedReference:
        """The distinct training rows grouped for the searches, built on first use."""
        if self._prepared is None:
            self._prepared = PreparedReference.of(self.distinct, self.ranges)
        return self._prepared

    def too_close(self, cols: Columns) -> np.ndarray:
        if self.min_group == 1:  # only "is a training row that close?", not the nearest two
            return self.prepared().closer_than(self._encode(cols), self.threshold)
        best, index = two_nearest(self._encode(cols), self.distinct, ranges=self.ranges)
        d1, d2 = best[:, 0], best[:, 1]
        bad = (d1 == 0) | (d1 < self.threshold)
        if self.min_group > 1:  # people at the nearest distance (a lower bound past two distinct rows)
            people = self.people[index[:, 0]] + np.where(d2 == d1, self.people[np.maximum(index[:, 1], 0)], 0)
            bad |= people < self.min_group
        return bad


def guarded(draw: Any, guard: CopyGuard, n: int) -> tuple[Columns, int, dict[str, int], int]:
    """n rows from draw(k) (rows already rounded as output) none of which the guard rejects;
    returns them, the candidates drawn, rejections by constraint and how many were redrawn."""
    cols, drawn, rejected = draw(n)
    todo = np.flatnonzero(guard.too_close(cols))
    redrawn, checked, kept = int(todo.size), n, n - int(todo.size)
    while todo.size:
        if checked >= MAX_CANDIDATES * n + 10_000:
            group = (f" or had nearest training rows of fewer than {guard.min_group} people (on a table of distinct "
                     "rows that is nearly every row: use min_group=1)") if guard.min_group > 1 else ""
            raise SynthloomError(
                f"{todo.size} of {n} rows still copied or nearly copied a training row{group} after {checked:,} "
                "candidates; the table or the conditions leave too few such rows - pass allow_copies=True "
                "(--allow-copies) to accept copies"
            )
        rate = max(kept / checked, 0.01)
        extra, more, rej = draw(int(min(200_000, max(256, 1.2 * todo.size / rate))))
        drawn += more
        for k, v in rej.items():
            rejected[k] = rejected.get(k, 0) + v
        fine = np.flatnonzero(~guard.too_close(extra))
        checked, kept = checked + len(extra[guard.names[0]]), kept + fine.size
        fine = fine[: todo.size]
        for name in cols:
            cols[name][todo[: fine.size]] = extra[name][fine]
        todo = todo[fine.size:]
    return cols, drawn, rejected, redrawn


def _key(v: Any) -> Any:
    return ("__none__",) if v is None else (type(v).__name__, v)
