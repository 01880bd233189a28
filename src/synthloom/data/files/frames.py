"""Tables in and out: pandas, polars or Arrow at the edges, Arrow inside."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError


def to_arrow(table: Any, what: str = "the table") -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    module = type(table).__module__.split(".")[0]
    try:
        if module == "pandas":
            return pa.Table.from_pandas(table, preserve_index=False)
        if module == "polars":
            return table.to_arrow()
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        column = _failing_column(table)
        where = f"column '{column}'" if column else what
        raise SynthloomError(
            f"{where} mixes value types ({str(exc).splitlines()[0]}); make each column one type "
            "(e.g. all numbers or all strings)"
        ) from None
    if isinstance(table, dict):
        try:
            return pa.table(table)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise SynthloomError(f"{what} cannot be read as a table ({str(exc).splitlines()[0]})") from None
    raise SynthloomError(f"{what} must be a pandas or polars DataFrame or a pyarrow Table, not {type(table).__name__}")


def _failing_column(frame: Any) -> str | None:
    for name in frame.columns:
        try:
            pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return str(name)
    return None


def frame_kind(table: Any) -> str:
    """Which kind of table a caller passed in, to answer in kind: "pandas", "polars" or "arrow"."""
    module = type(table).__module__.split(".")[0]
    return module if module in ("pandas", "polars") else "arrow"


def as_kind(result: pa.Table, kind: str) -> Any:
    """An Arrow table as the kind `frame_kind` named."""
    if kind == "pandas":
        return result.to_pandas()
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(result)
    return result
