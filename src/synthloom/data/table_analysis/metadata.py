"""Column kinds inferred from the data (numerical, categorical, boolean, datetime, id, text),
overridable by the user, and the table as numpy columns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import ColumnMeta, TableMeta

ID_NAME = re.compile(r"(^id$|_id$|^id_|uuid|^key$)", re.I)


def infer_metadata(table: pa.Table, overrides: dict[str, Any] | None = None) -> TableMeta:
    if table.num_rows == 0:
        raise SynthloomError("the table is empty; a synthesizer needs at least 2 rows to learn from")
    if table.num_rows < 2:
        raise SynthloomError("the table has a single row; a synthesizer needs at least 2 rows to learn from")
    given = dict((overrides or {}).get("columns") or {})
    unknown = sorted(set(given) - set(table.column_names))
    if unknown:
        raise SynthloomError(f"metadata names column(s) {', '.join(unknown)}, which the table does not have")
    columns: dict[str, ColumnMeta] = {}
    for name in table.column_names:
        col = table.column(name)
        if col.null_count == len(col):
            raise SynthloomError(f"column '{name}' has no values (all missing); drop it before fitting")
        meta = given.get(name)
        columns[name] = ColumnMeta.model_validate(meta) if isinstance(meta, dict) else (meta or _infer(name, col))
    key = (overrides or {}).get("primary_key") or _primary_key(table, columns)
    if key:
        columns[key] = columns[key].model_copy(update={"kind": "id"})
    return TableMeta(columns=columns, primary_key=key)


def _infer(name: str, col: pa.ChunkedArray) -> ColumnMeta:
    t = col.type
    if pa.types.is_boolean(t):
        return ColumnMeta(kind="boolean")
    if pa.types.is_integer(t):
        return ColumnMeta(kind="numerical", integer=True)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = col.drop_null().to_numpy(zero_copy_only=False).astype(float)
        finite = values[np.isfinite(values)]
        if finite.size and np.all(finite == np.round(finite)):
            return ColumnMeta(kind="numerical", integer=True)
        return ColumnMeta(kind="numerical", decimals=_decimals(finite))
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return ColumnMeta(kind="datetime")
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        values = col.drop_null()
        n_unique = pc.count_distinct(values).as_py()
        mean_len = pc.mean(pc.utf8_length(values.cast(pa.string()))).as_py() or 0
        if n_unique == len(values) and (ID_NAME.search(name) or mean_len >= 8 and " " not in str(values[0])):
            return ColumnMeta(kind="id")
        if mean_len > 40 and n_unique > 0.5 * len(values):
            return ColumnMeta(kind="text")
        return ColumnMeta(kind="categorical")
    if pa.types.is_null(t):
        raise SynthloomError(f"column '{name}' has no values (all missing); drop it before fitting")
    raise SynthloomError(f"column '{name}' has type {t}, which is not supported; convert it to numbers or strings")


def _decimals(x: np.ndarray) -> int | None:
    """The fewest decimals (up to 6) that represent every value, else None."""
    sample = x[: 10_000]
    for d in range(1, 7):
        if np.allclose(np.round(sample, d), sample, rtol=0, atol=1e-9):
            return d
    return None


def _primary_key(table: pa.Table, columns: dict[str, ColumnMeta]) -> str | None:
    for name, meta in columns.items():
        col = table.column(name)
        if ID_NAME.search(name) and col.null_count == 0 and pc.count_distinct(col).as_py() == table.num_rows:
            return name
        if meta.kind == "id":
            return name
    return None


@dataclass
class NumpyTable:
    """Columns as numpy: numbers (and datetimes as epoch ns) in float64 with NaN for missing;
    everything else as object arrays with None for missing."""

    columns: dict[str, np.ndarray]
    types: dict[str, pa.DataType]
    n_rows: int


def to_numpy(table: pa.Table, meta: TableMeta) -> NumpyTable:
    columns: dict[str, np.ndarray] = {}
    for name, cm in meta.columns.items():
        col = table.column(name)
        if cm.kind in ("numerical", "datetime"):
            if cm.kind == "datetime" or pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
                col = _as_epoch_ns(name, col)
            try:
                columns[name] = col.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False).astype(float)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise SynthloomError(
                    f"column '{name}' is declared {cm.kind} but holds values that are not numbers; fix its kind"
                ) from None
        else:
            columns[name] = np.array(col.to_pylist(), dtype=object)
    return NumpyTable(columns, {n: table.column(n).type for n in meta.columns}, table.num_rows)


def _as_epoch_ns(name: str, col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            col = pc.strptime(col, format="%Y-%m-%d", unit="ns", error_is_null=False)
        except pa.ArrowInvalid:
            try:
                col = col.cast(pa.timestamp("ns"))
            except pa.ArrowInvalid:
                raise SynthloomError(f"column '{name}' is declared datetime but its values are not ISO dates") from None
    if pa.types.is_date(col.type):
        col = col.cast(pa.timestamp("ns"))
    return col.cast(pa.timestamp("ns")).cast(pa.int64())


def from_numpy(columns: dict[str, np.ndarray], meta: TableMeta, types: dict[str, pa.DataType]) -> pa.Table:
    arrays = {}
    for name, cm in meta.columns.items():
        values = columns[name]
        original = types.get(name)
        if cm.kind in ("numerical", "datetime"):
            mask = np.isnan(values)
            if cm.kind == "datetime":
                ints = np.where(mask, 0, np.round(values)).astype(np.int64)
                arr = pa.array(ints, mask=mask, type=pa.int64()).cast(pa.timestamp("ns"))
                if original is not None and (pa.types.is_timestamp(original) or pa.types.is_date(original)):
                    arr = arr.cast(original, safe=False)
                elif original is not None and pa.types.is_string(original):
                    arr = pc.strftime(arr, format="%Y-%m-%d")
            elif cm.integer or (original is not None and pa.types.is_integer(original)):
                ints = np.where(mask, 0, np.round(values)).astype(np.int64)
                arr = pa.array(ints, mask=mask)
                if original is not None and pa.types.is_integer(original):
                    arr = arr.cast(original, safe=False)
            else:
                arr = pa.array(values, mask=mask, type=pa.float64())
        else:
            arr = pa.array(list(values))
            if original is not None and not pa.types.is_null(arr.type) and arr.type != original:
                try:
                    arr = arr.cast(original)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass
        arrays[name] = arr
    return pa.table(arrays)
