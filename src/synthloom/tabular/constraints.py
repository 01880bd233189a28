"""Constraints on synthetic rows. Transformable ones are built into the data the model learns
(so every sampled row satisfies them); the rest are enforced by rejection, and the rejection
rate is reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import FixedCombinations, Inequality, Predicate, Range, TableMeta
from synthloom.config.templates import template_env

Columns = dict[str, np.ndarray]
SEP = "\x1f"  # joins the values of fixed combinations into one category


def _label(c: Any) -> str:
    if isinstance(c, Inequality):
        return f"{c.low} {'<' if c.strict else '<='} {c.high}"
    if isinstance(c, Range):
        return f"{c.low} <= {c.column} <= {c.high}"
    if isinstance(c, FixedCombinations):
        return f"fixed combinations of {', '.join(c.columns)}"
    return c.name or c.expr


def _number(value: Any, kind: str) -> float:
    if value is None:
        return np.nan
    if kind == "datetime" and isinstance(value, str):
        return float(np.datetime64(value, "ns").astype(np.int64))
    return float(value)


@dataclass
class ConstraintSet:
    specs: list[Any]
    meta: TableMeta

    def __post_init__(self) -> None:
        env = template_env()
        self.predicates = [(s, env.compile_expression(s.expr, undefined_to_none=False))
                           for s in self.specs if isinstance(s, Predicate)]
        for s in self.specs:
            self._check_spec(s)

    def _kind(self, column: str, spec: Any) -> str:
        if column not in self.meta.columns:
            raise SynthloomError(f"constraint '{_label(spec)}' names column '{column}', which the table does not have")
        return self.meta.columns[column].kind

    def _check_spec(self, s: Any) -> None:
        if isinstance(s, Inequality):
            kinds = {self._kind(s.low, s), self._kind(s.high, s)}
            if not kinds <= {"numerical", "datetime"} or len(kinds) != 1:
                raise SynthloomError(f"constraint '{_label(s)}' needs two numerical (or two datetime) columns")
            if s.low == s.high:
                raise SynthloomError(f"constraint '{_label(s)}' compares a column with itself; it can never hold strictly")
        elif isinstance(s, Range):
            kind = self._kind(s.column, s)
            if kind not in ("numerical", "datetime"):
                raise SynthloomError(f"constraint '{_label(s)}' needs a numerical or datetime column")
            lo, hi = _number(s.low, kind), _number(s.high, kind)
            if not np.isnan(lo) and not np.isnan(hi) and lo > hi:
                raise SynthloomError(f"constraint '{_label(s)}' is impossible: low is above high")
        elif isinstance(s, FixedCombinations):
            for c in s.columns:
                if self._kind(c, s) not in ("categorical", "boolean"):
                    raise SynthloomError(f"constraint '{_label(s)}': column '{c}' must be categorical or boolean")

    # ---- checking data ----
    def violations(self, cols: Columns, n: int) -> dict[str, np.ndarray]:
        """Per constraint, a boolean mask of rows that break it."""
        out: dict[str, np.ndarray] = {}
        for s in self.specs:
            if isinstance(s, Inequality):
                lo, hi = cols[s.low], cols[s.high]
                with np.errstate(invalid="ignore"):
                    bad = (lo >= hi) if s.strict else (lo > hi)
                out[_label(s)] = bad & ~np.isnan(lo) & ~np.isnan(hi)
            elif isinstance(s, Range):
                kind = self.meta.columns[s.column].kind
                x, lo, hi = cols[s.column], _number(s.low, kind), _number(s.high, kind)
                with np.errstate(invalid="ignore"):
                    bad = np.zeros(n, dtype=bool)
                    if not np.isnan(lo):
                        bad |= x < lo
                    if not np.isnan(hi):
                        bad |= x > hi
                out[_label(s)] = bad
        for s, check in self.predicates:
            out[_label(s)] = ~self._predicate_mask(s, check, cols, n)
        return out

    def _predicate_mask(self, s: Predicate, check: Any, cols: Columns, n: int) -> np.ndarray:
        names = list(cols)
        mask = np.empty(n, dtype=bool)
        for i in range(n):
            row = {k: _py(cols[k][i]) for k in names}
            try:
                mask[i] = bool(check(**row))
            except (jinja2.TemplateError, TypeError, ValueError) as exc:
                raise SynthloomError(f"constraint '{_label(s)}' cannot be evaluated on a row ({exc})") from None
        return mask

    def check_data(self, cols: Columns, n: int) -> None:
        for label, bad in self.violations(cols, n).items():
            if bad.any():
                first = int(np.argmax(bad))
                raise SynthloomError(
                    f"constraint '{label}' does not hold on {int(bad.sum())} of {n} rows of the data "
                    f"(first: row {first}); fix the data or the constraint"
                )

    # ---- transforms the model learns through ----
    def forward(self, cols: Columns) -> Columns:
        cols = dict(cols)
        for s in self.specs:
            if isinstance(s, Inequality):
                cols[s.high] = cols[s.high] - cols[s.low]  # the model learns the gap, always >= 0
            elif isinstance(s, FixedCombinations):
                parts = [cols.pop(c) for c in s.columns]
                cols[self._combo(s)] = np.array([SEP.join(map(_token, vals)) for vals in zip(*parts)], dtype=object)
        return cols

    def backward(self, cols: Columns) -> Columns:
        cols = dict(cols)
        for s in reversed(self.specs):
            if isinstance(s, Inequality):
                gap = np.maximum(cols[s.high], 0.0)
                cols[s.high] = cols[s.low] + gap
            elif isinstance(s, FixedCombinations):
                combos = cols.pop(self._combo(s))
                split = [str(v).split(SEP) if v is not None else [None] * len(s.columns) for v in combos]
                for j, c in enumerate(s.columns):
                    cols[c] = np.array([_untoken(parts[j]) for parts in split], dtype=object)
        return cols

    @staticmethod
    def _combo(s: FixedCombinations) -> str:
        return "__combo__" + "__".join(s.columns)

    def reject(self, cols: Columns, n: int) -> tuple[np.ndarray, dict[str, int]]:
        """Rows that satisfy every constraint, and how many each constraint rejected."""
        keep = np.ones(n, dtype=bool)
        counts: dict[str, int] = {}
        for label, bad in self.violations(cols, n).items():
            counts[label] = int((bad & keep).sum())
            keep &= ~bad
        return keep, counts


def _token(v: Any) -> str:
    return "\x00" if v is None else f"{type(v).__name__}:{v}"


def _untoken(t: str | None) -> Any:
    if t is None or t == "\x00":
        return None
    kind, _, value = t.partition(":")
    return {"bool": lambda s: s == "True", "int": int, "float": float}.get(kind, str)(value)


def _py(v: Any) -> Any:
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v
