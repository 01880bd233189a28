"""One API for every synthesizer: fit on a table, sample rows (optionally conditioned or
rebalanced), save and load. Subclasses only learn and sample the prepared columns."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import TableMeta, TabularSpec
from synthloom.data.frames import like_input, to_arrow
from synthloom.tabular.constraints import ConstraintSet
from synthloom.data.metadata import from_numpy, infer_metadata, to_numpy
from synthloom.tabular.no_copies import CopyGuard, guarded
from synthloom.tabular.public_domain import public_domains, public_metadata

Columns = dict[str, np.ndarray]
MAX_CANDIDATES = 5_000_000  # conditional / constrained sampling gives up past this many draws
FORMAT_VERSION = 1
MAX_MODEL_BYTES = 128 << 20  # the JSON a model file may unpack to: a gzip bomb stops here


class Synthesizer:
    name: ClassVar[str] = "base"
    registry: ClassVar[dict[str, type["Synthesizer"]]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.name != "base":
            Synthesizer.registry[cls.name] = cls

    def __init__(self, seed: int = 0, allow_copies: bool = False, min_group: int = 1):
        self.seed = seed
        self.allow_copies = allow_copies  # False: rows that copy a training row are redrawn (no_copies.py)
        self.min_group = min_group  # > 1: also redraw rows whose nearest training rows are fewer people
        self._guard: CopyGuard | None = None
        self.meta: TableMeta | None = None
        self.types: dict[str, pa.DataType] = {}
        self.constraints = ConstraintSet([], TableMeta(columns={}))
        self.report: dict[str, Any] = {}
        self._calls = 0

    # ---- parameters and state, for save/load ----
    def params(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _load_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- fitting ----
    def fit(self, data: Any, metadata: TableMeta | dict[str, Any] | None = None,
            constraints: list[Any] | None = None) -> "Synthesizer":
        table = to_arrow(data)
        # under epsilon nothing is read from the values outside the budget: kinds come from the
        # schema, domains from the metadata, and the data is not checked against the constraints
        private = getattr(self, "epsilon", None) is not None
        if isinstance(metadata, TableMeta):
            meta = metadata
        else:
            meta = (public_metadata if private else infer_metadata)(table, metadata)
        self.meta = meta
        nt = to_numpy(table, meta)
        self.types = nt.types
        specs = [TabularSpec.model_validate({"constraints": [c]}).constraints[0] if isinstance(c, dict) else c
                 for c in (constraints or [])]
        self.constraints = ConstraintSet(specs, meta)
        if private:
            self.domains = public_domains(meta, self.constraints)
        else:
            self.constraints.check_data(nt.columns, nt.n_rows)
        modelled = {n: v for n, v in nt.columns.items() if meta.columns[n].kind not in ("id", "text")}
        self._text = {n: v for n, v in nt.columns.items() if meta.columns[n].kind == "text"}
        self._fit(self.constraints.forward(modelled), nt.n_rows)
        self._input = data
        self._guard = None if private or self.allow_copies else CopyGuard(modelled, self.seed, self.min_group)
        return self

    def guard_against(self, data: Any) -> "Synthesizer":
        """Check a loaded model's samples against the table it was fitted on (model files hold
        no training rows); a no-op with allow_copies=True or under epsilon."""
        if self.meta is None:
            raise SynthloomError("the synthesizer is not fitted; call fit() first (or load a saved model)")
        if not (self.allow_copies or getattr(self, "epsilon", None) is not None):
            self._guard = CopyGuard.for_table(to_arrow(data), self.meta, self.seed, self.min_group)
        return self

    def _fit(self, cols: Columns, n: int) -> None:
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator) -> Columns:
        raise NotImplementedError

    # ---- sampling ----
    def _rng(self) -> np.random.Generator:
        self._calls += 1
        return np.random.default_rng([self.seed, self._calls])

    def _draw(self, n: int, rng: np.random.Generator, conditions: dict[str, Any] | None) -> tuple[Columns, int, dict[str, int]]:
        """n rows satisfying constraints and conditions (and, by default, copying no training row)."""
        if self._guard is None:
            return self._draw_any(n, rng, conditions)
        cols, drawn, rejected, redrawn = guarded(
            lambda k: _with(self._draw_any(k, rng, conditions), self._rounded), self._guard, n)
        self._redrawn += redrawn
        return cols, drawn, rejected

    def _draw_any(self, n: int, rng: np.random.Generator, conditions: dict[str, Any] | None
                  ) -> tuple[Columns, int, dict[str, int]]:
        """n rows satisfying constraints and conditions, by rejection where needed."""
        assert self.meta is not None
        got: list[Columns] = []
        have, drawn = 0, 0
        rejected: dict[str, int] = {}
        rate = 1.0
        while have < n:
            batch = int(min(MAX_CANDIDATES, max(256, (n - have) / max(rate, 1e-4) * 1.2)))
            cols = self.constraints.backward(self._sample(batch, rng))
            keep, counts = self.constraints.reject(cols, batch)
            for k, v in counts.items():
                rejected[k] = rejected.get(k, 0) + v
            if conditions:
                keep &= _matches(cols, conditions, batch)
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
               rebalance: dict[str, dict[Any, float]] | None = None) -> Any:
        """n synthetic rows. `conditions` fixes column values for every row; `rebalance`
        sets target shares of a column's values, e.g. {"sex": {"F": 0.5, "M": 0.5}}."""
        if self.meta is None:
            raise SynthloomError("the synthesizer is not fitted; call fit() first (or load a saved model)")
        if n < 1:
            raise SynthloomError(f"asked for {n} rows; sample at least 1")
        rng = self._rng()
        self._redrawn = 0
        if conditions:
            self._check_conditions(conditions)
        if rebalance:
            parts = []
            for column, shares in rebalance.items():
                counts = _shares_to_counts(column, shares, n)
                for value, k in counts.items():
                    if k:
                        self._check_conditions({**(conditions or {}), column: value})
                        parts.append(self._draw(k, rng, {**(conditions or {}), column: value}))
            order = rng.permutation(n)
            cols = {k: np.concatenate([p[0][k] for p in parts])[order] for k in parts[0][0]}
            drawn = sum(p[1] for p in parts)
            rejected = {}
            for p in parts:
                for k, v in p[2].items():
                    rejected[k] = rejected.get(k, 0) + v
        else:
            cols, drawn, rejected = self._draw(n, rng, conditions)
        self.report["last_sample"] = {
            "rows": n, "candidates": drawn, "rejection_rate": round(1 - n / drawn, 6),
            "rejected_by_constraint": rejected, "copies": self._copy_report(),
        }
        return like_input(self._finish(cols, n, rng), getattr(self, "_input", None))

    def _copy_report(self) -> dict[str, Any]:
        if self._guard is not None:
            return {"guard": "on", "rule": self._guard.rule, "redrawn_rows": self._redrawn}
        why = ("allow_copies=True" if self.allow_copies else
               "off under epsilon: the budget bounds what rows reveal" if getattr(self, "epsilon", None) is not None
               else "off: a loaded model holds no training rows; give them with guard_against(data) / --data")
        return {"guard": why}

    def _finish(self, cols: Columns, n: int, rng: np.random.Generator) -> pa.Table:
        assert self.meta is not None
        out = self._rounded(cols)
        for name, cm in self.meta.columns.items():
            if cm.kind == "id":
                out[name] = _new_ids(self.types.get(name), n, rng)
            elif cm.kind == "text":
                out[name] = _placeholder_text(n, rng)
        return from_numpy(out, self.meta, self.types)

    def _rounded(self, cols: Columns) -> Columns:
        """Numbers as they are written out: clipped to the metadata's bounds and rounded."""
        assert self.meta is not None
        out = dict(cols)
        for name, cm in self.meta.columns.items():
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

    def _check_conditions(self, conditions: dict[str, Any]) -> None:
        assert self.meta is not None
        for column, value in conditions.items():
            cm = self.meta.columns.get(column)
            if cm is None:
                raise SynthloomError(
                    f"condition on '{column}': no such column (columns: {', '.join(self.meta.columns)})"
                )
            if cm.kind in ("id", "text"):
                raise SynthloomError(f"condition on '{column}': {cm.kind} columns cannot be conditioned on")
            known = self._known_values(column)
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

    def _known_values(self, column: str) -> set[Any] | None:
        """Values a categorical/boolean/integer column can take, if the model knows them."""
        return None

    # ---- persistence ----
    def save(self, path: str | Path) -> Path:
        if self.meta is None:
            raise SynthloomError("the synthesizer is not fitted; nothing to save")
        path = Path(path)
        doc = {
            "format": FORMAT_VERSION,
            "synthesizer": self.name,
            "params": self.params(),
            "meta": self.meta.model_dump(mode="json"),
            "types": {k: str(v) for k, v in self.types.items()},
            "constraints": [c.model_dump(mode="json") for c in self.constraints.specs],
            "report": self.report,
            "state": self._state(),
        }
        from synthloom.data.atomic import write_atomic

        write_atomic(path, lambda tmp: tmp.write_bytes(gzip.compress(json.dumps(doc).encode())))
        return path

    @staticmethod
    def load(path: str | Path) -> "Synthesizer":
        """A saved model; a damaged, foreign or oversized file is a one-sentence SynthloomError."""
        path = Path(path)
        try:
            chunks, size = [], 0
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):  # a gzip bomb stops at the cap, not at the memory limit
                    size += len(chunk)
                    if size > MAX_MODEL_BYTES:
                        raise SynthloomError(f"{path} unpacks to more than {MAX_MODEL_BYTES >> 20} MiB; it is not "
                                             "a model file synthloom wrote, refit the model")
                    chunks.append(chunk)
            doc = json.loads(b"".join(chunks))
        except FileNotFoundError:
            raise SynthloomError(f"model file {path} does not exist") from None
        except (OSError, ValueError, EOFError, zlib.error, RecursionError, MemoryError):
            raise SynthloomError(f"{path} is not a synthloom tabular model") from None
        if not isinstance(doc, dict):
            raise SynthloomError(f"{path} is not a synthloom tabular model")
        cls = Synthesizer.registry.get(doc.get("synthesizer", "")) if isinstance(doc.get("synthesizer"), str) else None
        if cls is None or doc.get("format") != FORMAT_VERSION:
            raise SynthloomError(f"{path} was saved by an unknown synthesizer or format version")
        try:
            return Synthesizer._from_doc(cls, doc)
        except KeyError as exc:
            raise SynthloomError(f"{path} lacks the field {exc}; the file is damaged, refit the model") from None
        except (TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError) as exc:
            what = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise SynthloomError(f"{path} is damaged ({what}); refit the model") from None

    @staticmethod
    def _from_doc(cls: type["Synthesizer"], doc: dict[str, Any]) -> "Synthesizer":
        synth = cls(**doc["params"])
        synth.meta = TableMeta.model_validate(doc["meta"])
        synth.types = {k: _parse_type(v) for k, v in doc["types"].items()}
        specs = TabularSpec.model_validate({"constraints": doc["constraints"]}).constraints
        synth.constraints = ConstraintSet(specs, synth.meta)
        synth.report = doc["report"]
        synth._load_state(doc["state"])
        return synth


def _with(drawn: tuple[Columns, int, dict[str, int]], transform: Any) -> tuple[Columns, int, dict[str, int]]:
    return transform(drawn[0]), drawn[1], drawn[2]


def _matches(cols: Columns, conditions: dict[str, Any], n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    for column, value in conditions.items():
        x = cols[column]
        if x.dtype == object:
            keep &= np.array([v == value for v in x], dtype=bool)
        else:
            keep &= np.isclose(x, float(value))
    return keep


def _shares_to_counts(column: str, shares: dict[Any, float], n: int) -> dict[Any, int]:
    total = sum(shares.values())
    if total <= 0 or any(s < 0 for s in shares.values()):
        raise SynthloomError(f"rebalance of '{column}': shares must be non-negative with a positive sum")
    raw = {v: n * s / total for v, s in shares.items()}
    counts = {v: int(np.floor(x)) for v, x in raw.items()}
    for v in sorted(raw, key=lambda v: raw[v] - counts[v], reverse=True)[: n - sum(counts.values())]:
        counts[v] += 1
    return counts


def _new_ids(original: pa.DataType | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """Fresh identifiers: never one of the training ids (they may point at a person)."""
    if original is not None and pa.types.is_integer(original):
        return np.arange(1, n + 1).astype(object)
    return np.array([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)], dtype=object)


def _placeholder_text(n: int, rng: np.random.Generator) -> np.ndarray:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(int(rng.integers(2**31)))
    return np.array([fake.sentence(nb_words=8) for _ in range(n)], dtype=object)


def _parse_type(text: str) -> pa.DataType:
    simple = {"int64": pa.int64(), "int32": pa.int32(), "double": pa.float64(), "float": pa.float32(),
              "string": pa.string(), "large_string": pa.large_string(), "bool": pa.bool_(), "date32[day]": pa.date32(),
              "int8": pa.int8(), "int16": pa.int16(), "uint8": pa.uint8()}
    if text in simple:
        return simple[text]
    if text.startswith("timestamp["):
        unit = text[len("timestamp["):].split(",")[0].rstrip("]")
        return pa.timestamp(unit)
    return pa.string()
