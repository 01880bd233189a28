"""Read and write tables (CSV, Parquet, JSONL) as Arrow; convert rows of Python values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from synthloom.config.errors import SynthloomError
from synthloom.data.atomic import write_atomic

READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_table(path: str | Path) -> pa.Table:
    path = Path(path)
    if path.is_dir() and sorted(path.glob("*.arrow")):  # a Hugging Face `save_to_disk` directory
        import pyarrow.ipc as ipc

        return pa.concat_tables(ipc.open_stream(pa.memory_map(str(f))).read_all() for f in sorted(path.glob("*.arrow")))
    fmt = READERS.get(path.suffix.lower())
    if fmt is None:
        raise SynthloomError(
            f"{path}: unknown file type '{path.suffix}'; use one of {', '.join(sorted(READERS))}"
        )
    if not path.is_file():
        raise SynthloomError(f"{path} does not exist; check the path (relative paths start at the recipe's folder)")
    try:
        if fmt == "csv":
            return pacsv.read_csv(path)
        if fmt == "parquet":
            return pq.read_table(path)
        return _read_jsonl(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, json.JSONDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SynthloomError(f"{path} cannot be read as {fmt.upper()} ({first}); check the file") from None


def _read_jsonl(path: Path) -> pa.Table:
    try:
        return pajson.read_json(path)
    except pa.ArrowInvalid:
        # Arrow's reader wants one schema; rows with differing shapes still load via Python.
        rows = []
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise SynthloomError(f"{path}:{lineno}: not valid JSON ({exc.msg}); fix that line") from None
        return rows_to_table(rows)


def rows_to_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pa.Table:
    """Arrow table from Python rows. A column whose values Arrow cannot unify (say, dicts of
    different shapes from a model) is stored as JSON text rather than failing the write."""
    if columns is None:
        columns = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays[name] = pa.array(
                [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values],
                type=pa.string(),
            )
    if not arrays:
        return pa.table({})
    return pa.table(arrays)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    tables = [t for t in tables if t.num_columns]
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="permissive")
