"""One API for every synthesizer: fit on a table, sample rows (optionally conditioned or
rebalanced), save and load.

Parameters and fitted state are kept apart, as in scikit-learn. A synthesizer's parameters are
its constructor's keyword arguments, each kept under its own name: `get_params()` reads them by
the signature, `check_params()` checks a user's values against the signature's annotations
(names, types, bounds; `epsilon` only where `supports_dp`), and they are all a model file keeps
of the constructor. What `fit` learns lives in `fitted_` (a `Fitted`): the metadata, Arrow types
and constraints, which kind of table came in (pandas, polars or Arrow; `sample` answers in kind),
the subclass's learnt `Model`, and the copy guard, which alone holds training rows (the distinct
learnt rows, only while it is on: no_copies.py). A subclass declares its parameters in
`__init__`, learns a Model from the prepared columns in `_fit`, and is registered by `name`."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticCustomError

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import SYNTHESIZERS, TableMeta, TabularSpec
from synthloom.data.files.frames import as_kind, frame_kind, to_arrow
from synthloom.data.table_analysis.metadata import infer_metadata, to_numpy
from synthloom.tabular.constraints import ConstraintSet
from synthloom.tabular.no_copies import CopyGuard, guarded
from synthloom.tabular.output_rows import (
    finish_table,
    matching_rows,
    rounded_draw,
    shares_to_counts,
)
from synthloom.tabular.public_domain import Domain, public_domains, public_metadata

Columns = dict[str, np.ndarray]
MAX_CANDIDATES = 5_000_000  # conditional / constrained sampling gives up past this many draws
SHARD_ROWS = 100_000  # rows a sampling shard draws: the unit one worker draws, with its own seed


def shard_sizes(n: int) -> tuple[int, ...]:
    """n rows as shards of SHARD_ROWS, the last one the rest."""
    return tuple(min(SHARD_ROWS, n - start) for start in range(0, n, SHARD_ROWS))


@dataclass(frozen=True)
class SamplePlan:
    """One call of `sample`: its number (the seeds of its shards derive from it), the shards'
    sizes and what every shard is asked for."""

    call: int
    sizes: tuple[int, ...]
    conditions: dict[str, Any] | None = None
    rebalance: dict[str, dict[Any, float]] | None = None

# Parameters every synthesizer takes (a subclass's own sit beside it); the descriptions are what
# `synthloom tabular synthesizers` prints.
Seed = Annotated[int, Field(ge=0, le=2**63 - 1, description="seeds every draw: the same seed, table and "
                                                              "parameters give the same rows")]
AllowCopies = Annotated[bool, Field(description="keep sampled rows that copy or nearly copy a training row "
                                                "(by default they are drawn again)")]
MinGroup = Annotated[int, Field(ge=1, le=1_000_000, description="also redraw rows whose nearest training rows "
                                                                "are fewer people than this")]
Epsilon = Annotated[float | None, Field(gt=0, allow_inf_nan=False, description="differential-privacy budget; "
                                        "needs public metadata for every column (null: not private)")]


class Model(Protocol):
    """What a synthesizer learnt: it samples the prepared columns and saves as JSON."""

    def sample(self, n: int, rng: np.random.Generator) -> Columns: ...

    def known_values(self, column: str) -> set[Any] | None:
        """Values a categorical/boolean/integer column can take, if the model knows them."""

    def to_state(self) -> dict[str, Any]: ...

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Model": ...


@dataclass
class Fitted:
    """What fit() learnt, apart from the parameters; a loaded model has no guard."""

    meta: TableMeta
    types: dict[str, pa.DataType]
    constraints: ConstraintSet
    model: Model
    input_kind: str = "arrow"  # what sample() returns: "pandas", "polars" or "arrow"
    guard: CopyGuard | None = None  # the only training rows kept, and only while the copy guard is on


class Synthesizer:
    name: ClassVar[str] = "base"
    supports_dp: ClassVar[bool] = False  # True: takes `epsilon` (the CLI and the spec read this flag)
    model_class: ClassVar[type[Model]]
    registry: ClassVar[dict[str, type["Synthesizer"]]] = SYNTHESIZERS

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        odd = [p.name for p in params if p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if odd:
            raise TypeError(f"{cls.__name__}.__init__: every parameter needs a name and a default ({', '.join(odd)})")
        if cls.supports_dp != any(p.name == "epsilon" for p in params):
            raise TypeError(f"{cls.__name__}: supports_dp must be True exactly when __init__ takes epsilon")
        if cls.name != "base":
            SYNTHESIZERS[cls.name] = cls

    def __init__(self, seed: Seed = 0, allow_copies: AllowCopies = False, min_group: MinGroup = 1):
        self.seed = seed
        self.allow_copies = allow_copies  # False: rows that copy a training row are redrawn (no_copies.py)
        self.min_group = min_group  # > 1: also redraw rows whose nearest training rows are fewer people
        self.fitted_: Fitted | None = None
        self.report: dict[str, Any] = {}
        self._calls = 0

    # ---- parameters ----
    @classmethod
    def param_names(cls) -> list[str]:
        return list(inspect.signature(cls.__init__).parameters)[1:]

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments: `type(s)(**s.get_params())` is an unfitted twin."""
        return {name: getattr(self, name) for name in self.param_names()}

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` checked against the constructor (names, types, bounds) and returned as it
        takes them; raises pydantic's ValidationError located at the parameter."""
        names = cls.param_names()
        unknown = [key for key in values if key not in names]
        if unknown:
            key = unknown[0]
            if key == "epsilon":  # supports_dp is False: a private synthesizer has the parameter
                dp = [n for n, c in SYNTHESIZERS.items() if c.supports_dp]
                either = " or ".join([", ".join(dp[:-1]), dp[-1]] if len(dp) > 1 else dp)
                why = f"{cls.name} does not support differential privacy, so it takes no epsilon; use {either}"
            else:
                why = f"{cls.name} has no parameter '{{key}}'; its parameters are {', '.join(names)}"
            error = PydanticCustomError("unknown_parameter", why, {"key": str(key)})
            raise ValidationError.from_exception_data(cls.__name__, [{"type": error, "loc": (key,), "input": values[key]}])
        checked = _params_model(cls).model_validate(dict(values))
        return {key: getattr(checked, key) for key in values}

    @classmethod
    def checked_params(cls, values: Mapping[str, Any], label: str = "{name}") -> dict[str, Any]:
        """check_params with a one-sentence SynthloomError; `label` says where a parameter was
        given, e.g. "--param {name}"."""
        try:
            return cls.check_params(values)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = label.replace("{name}", ".".join(str(part) for part in err["loc"]))
            raise SynthloomError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None

    @classmethod
    def param_docs(cls) -> list[tuple[str, Any, str]]:
        """(name, default, description) of each parameter, from the constructor's signature."""
        return [(name, f.default, f.description or "") for name, f in _params_model(cls).model_fields.items()]

    @property
    def private(self) -> bool:
        """Fitted under a differential-privacy budget."""
        return self.supports_dp and getattr(self, "epsilon", None) is not None

    # ---- fitting ----
    def fit(self, data: Any, metadata: TableMeta | dict[str, Any] | None = None,
            constraints: list[Any] | None = None) -> "Synthesizer":
        self.checked_params(self.get_params(), f"{type(self).__name__} parameter {{name}}")
        table = to_arrow(data)
        # under epsilon nothing is read from the values outside the budget: kinds come from the
        # schema, domains from the metadata, and the data is not checked against the constraints
        private = self.private
        if isinstance(metadata, TableMeta):
            meta = metadata
        else:
            meta = (public_metadata if private else infer_metadata)(table, metadata)
        nt = to_numpy(table, meta)
        specs = [TabularSpec.model_validate({"constraints": [c]}).constraints[0] if isinstance(c, dict) else c
                 for c in (constraints or [])]
        rules = ConstraintSet(specs, meta)
        if not private:
            rules.check_data(nt.columns, nt.n_rows)
        modelled = {n: v for n, v in nt.columns.items() if meta.columns[n].kind not in ("id", "text")}
        self.report = {}
        model = self._fit(rules.forward(modelled), nt.n_rows, meta, public_domains(meta, rules) if private else None)
        guard = None if private or self.allow_copies else CopyGuard(modelled, self.seed, self.min_group)
        self.fitted_ = Fitted(meta, nt.types, rules, model, frame_kind(data), guard)
        self._calls = 0
        return self

    def _fitted(self) -> Fitted:
        if self.fitted_ is None:
            raise SynthloomError("the synthesizer is not fitted; call fit() first (or load a saved model)")
        return self.fitted_

    def guard_against(self, data: Any) -> "Synthesizer":
        """Check a loaded model's samples against the table it was fitted on (model files hold
        no training rows); a no-op with allow_copies=True or under epsilon."""
        fitted = self._fitted()
        if not (self.allow_copies or self.private):
            fitted.guard = CopyGuard.for_table(to_arrow(data), fitted.meta, self.seed, self.min_group)
        return self

    def _fit(self, cols: Columns, n: int, meta: TableMeta, domains: dict[str, Domain] | None) -> Model:
        """Learn from the prepared columns (ids and text left out, constraints built in);
        `domains` are the public domains under epsilon. May add to self.report["fit"]."""
        raise NotImplementedError

    # ---- sampling ----

    def _draw(self, fitted: Fitted, n: int, rng: np.random.Generator, conditions: dict[str, Any] | None
              ) -> tuple[Columns, int, dict[str, int], int]:
        """n rows satisfying constraints and conditions (and, by default, copying no training row);
        also the candidates drawn, rejections by constraint and rows redrawn as copies."""
        if fitted.guard is None:
            return (*self._draw_any(fitted, n, rng, conditions), 0)
        return guarded(lambda k: rounded_draw(self._draw_any(fitted, k, rng, conditions), fitted.meta), fitted.guard, n)

    def _draw_any(self, fitted: Fitted, n: int, rng: np.random.Generator, conditions: dict[str, Any] | None
                  ) -> tuple[Columns, int, dict[str, int]]:
        """n rows satisfying constraints and conditions, by rejection where needed."""
        got: list[Columns] = []
        have, drawn = 0, 0
        rejected: dict[str, int] = {}
        rate = 1.0
        while have < n:
            batch = int(min(MAX_CANDIDATES, max(256, (n - have) / max(rate, 1e-4) * 1.2)))
            cols = fitted.constraints.backward(fitted.model.sample(batch, rng))
            keep, counts = fitted.constraints.reject(cols, batch)
            for k, v in counts.items():
                rejected[k] = rejected.get(k, 0) + v
            if conditions:
                keep &= matching_rows(cols, conditions, batch)
            drawn += batch
            if keep.any():
                got.append({k: v[keep] for k, v in cols.items()})
                have += int(keep.sum())
            rate = max(have / drawn, 1e-6)
            if drawn >= MAX_CANDIDATES and have < n:
                what = f"conditions {conditions}" if conditions else "the constraints"
                raise SynthloomError(
                    f"only {have} of {drawn:,} sampled rows met {what}; the combination is too rare or impossible "
                    "for this model - relax it"
                )
        out = {k: np.concatenate([g[k] for g in got])[:n] for k in got[0]}
        return out, drawn, rejected

    def sample(self, n: int, conditions: dict[str, Any] | None = None,
               rebalance: dict[str, dict[Any, float]] | None = None, *, executor: str = "local",
               address: str | None = None) -> Any:
        """n synthetic rows. `conditions` fixes column values for every row; `rebalance`
        sets target shares of a column's values, e.g. {"sex": {"F": 0.5, "M": 0.5}}.

        Rows are drawn in shards of SHARD_ROWS, shard k with its own seed (the synthesizer's
        seed, the sample's number, k), so the rows are the same whoever draws each shard:
        `executor="ray"` draws them on Ray workers (at `address`, or a Ray started here)."""
        fitted = self._fitted()
        if n < 1:
            raise SynthloomError(f"asked for {n} rows; sample at least 1")
        if conditions:
            self._check_conditions(fitted, conditions)
        if executor not in ("local", "ray"):
            raise SynthloomError(f"executor is local or ray, not {executor!r}")
        self._calls += 1
        plan = SamplePlan(self._calls, shard_sizes(n), conditions, rebalance)
        if executor == "ray":
            from synthloom.tabular.ray_sampling import sample_shards_on_ray

            shards = sample_shards_on_ray(self, plan, address=address)
        else:
            shards = [self.sample_shard(plan, k) for k in range(len(plan.sizes))]
        drawn = sum(r["candidates"] for _, r in shards)
        rejected: dict[str, int] = {}
        for _, r in shards:
            for k, v in r["rejected"].items():
                rejected[k] = rejected.get(k, 0) + v
        self.report["last_sample"] = {
            "rows": n, "candidates": drawn, "rejection_rate": round(1 - n / drawn, 6), "shards": len(shards),
            "rejected_by_constraint": rejected,
            "copies": self._copy_report(fitted, sum(r["redrawn"] for _, r in shards)),
        }
        table = shards[0][0] if len(shards) == 1 else pa.concat_tables([t for t, _ in shards])
        return as_kind(table, fitted.input_kind)

    def sample_shard(self, plan: "SamplePlan", shard: int) -> tuple[pa.Table, dict[str, Any]]:
        """Shard `shard` of a sample, as an Arrow table, and what drawing it took. A pure function
        of the fitted synthesizer, the plan and the shard's number."""
        fitted = self._fitted()
        n, first = plan.sizes[shard], sum(plan.sizes[:shard])
        # shard 0 keeps the seed a sample had before samples were sharded, so small samples stay
        rng = np.random.default_rng([self.seed, plan.call] + ([shard] if shard else []))
        conditions, rebalance = plan.conditions, plan.rebalance
        if rebalance:
            parts = []
            for column, shares in rebalance.items():
                counts = shares_to_counts(column, shares, n)
                for value, k in counts.items():
                    if k:
                        self._check_conditions(fitted, {**(conditions or {}), column: value})
                        parts.append(self._draw(fitted, k, rng, {**(conditions or {}), column: value}))
            order = rng.permutation(n)
            cols = {k: np.concatenate([p[0][k] for p in parts])[order] for k in parts[0][0]}
            drawn, redrawn = sum(p[1] for p in parts), sum(p[3] for p in parts)
            rejected = {}
            for p in parts:
                for k, v in p[2].items():
                    rejected[k] = rejected.get(k, 0) + v
        else:
            cols, drawn, rejected, redrawn = self._draw(fitted, n, rng, conditions)
        table = finish_table(fitted, cols, n, rng, first=first)
        return table, {"candidates": drawn, "rejected": rejected, "redrawn": redrawn}

    def _copy_report(self, fitted: Fitted, redrawn: int) -> dict[str, Any]:
        if fitted.guard is not None:
            return {"guard": "on", "rule": fitted.guard.rule, "redrawn_rows": redrawn}
        why = ("allow_copies=True" if self.allow_copies else
               "off under epsilon: the budget bounds what rows reveal" if self.private
               else "off: a loaded model holds no training rows; give them with guard_against(data) / --data")
        return {"guard": why}

    def _check_conditions(self, fitted: Fitted, conditions: dict[str, Any]) -> None:
        for column, value in conditions.items():
            cm = fitted.meta.columns.get(column)
            if cm is None:
                raise SynthloomError(
                    f"condition on '{column}': no such column (columns: {', '.join(fitted.meta.columns)})"
                )
            if cm.kind in ("id", "text"):
                raise SynthloomError(f"condition on '{column}': {cm.kind} columns cannot be conditioned on")
            known = fitted.model.known_values(column)
            if known is None and cm.kind in ("numerical", "datetime"):
                raise SynthloomError(
                    f"condition on '{column}': it is a continuous column, so no sampled row equals {value!r} "
                    "exactly; condition on a categorical, boolean or whole-number column, or use a range constraint"
                )
            if known is not None and value not in known:
                shown = ", ".join(repr(v) for v in list(known)[:10])
                raise SynthloomError(
                    f"condition {column}={value!r}: that value does not occur in the training data "
                    f"(values include {shown}); the model cannot make it"
                )

    # ---- persistence (tabular/model_file.py) ----
    def save(self, path: str | Path) -> Path:
        """A gzipped JSON model file: parameters and what was learnt, no training rows."""
        from synthloom.tabular.model_file import save_model

        return save_model(self, path)

    @staticmethod
    def load(path: str | Path) -> "Synthesizer":
        """A saved model; a damaged, foreign or oversized file is a one-sentence SynthloomError.
        It samples Arrow tables, and checks copies only once given guard_against(training rows)."""
        from synthloom.tabular.model_file import load_model

        return load_model(path)


@cache
def _params_model(cls: type[Synthesizer]) -> type[BaseModel]:
    """The constructor's signature as a pydantic model: its annotations check a user's values."""
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    fields: dict[str, Any] = {name: (hints.get(name, Any), p.default)
                              for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]}
    return create_model(f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid"), **fields)
