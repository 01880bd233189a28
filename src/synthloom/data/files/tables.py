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
from synthloom.data.files.atomic import write_atomic

READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


CSV_DELIMITERS = ",;\t|"
MAX_JSON_DEPTH = 64  # Arrow's JSON reader recurses without a limit: deeper lines go through Python
MAX_ARROW_METADATA = 64 << 20  # bytes of one IPC message header


def read_table(path: str | Path) -> pa.Table:
    """A table from a CSV, Parquet or JSONL file or a Hugging Face `save_to_disk` folder; anything
    malformed is a one-sentence SynthloomError naming the file (and the line when there is one)."""
    path = Path(path)
    if path.is_dir() and sorted(path.glob("*.arrow")):  # a Hugging Face `save_to_disk` directory
        try:
            return _checked(_read_arrow_dir(path), path, "ARROW")
        except UnicodeDecodeError:
            raise SynthloomError(f"{path}: its column names are not UTF-8; save the dataset again") from None
    fmt = READERS.get(path.suffix.lower())
    if fmt is None:
        raise SynthloomError(
            f"{path}: unknown file type '{path.suffix}'; use one of {', '.join(sorted(READERS))}"
        )
    if not path.is_file():
        raise SynthloomError(f"{path} does not exist; check the path (one written in a recipe, curation or mix "
                             "file is relative to that file's folder)")
    try:
        if fmt == "csv":
            table = _read_csv(path)
        elif fmt == "parquet":
            table = pq.read_table(path)
        else:
            table = _read_jsonl(path)
        return _checked(table, path, fmt.upper())
    except SynthloomError:
        raise
    except UnicodeDecodeError:
        raise SynthloomError(f"{path} holds text that is not UTF-8 (in its header or data); save it as UTF-8") from None
    except (pa.ArrowException, OSError, ValueError, RecursionError, MemoryError) as exc:
        raise SynthloomError(f"{path} cannot be read as {fmt.upper()} ({_first_line(exc)}); check the file") from None


def _first_line(exc: BaseException, width: int = 160) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= width else first[: width - 1] + "…"


def _checked(table: pa.Table, path: Path, fmt: str) -> pa.Table:
    """Refuse what every later step would trip on: repeated column names, text that is not UTF-8."""
    names = table.column_names
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SynthloomError(f"{path}: column name(s) {', '.join(map(repr, repeated))} appear more than once; "
                             "give every column its own name")
    for name, column in zip(names, table.columns):
        if fmt != "PARQUET" and pa.types.is_binary(column.type):
            raise SynthloomError(f"{path}: column {name!r} holds bytes that are not UTF-8 text; save the file as UTF-8")
    try:
        table.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise SynthloomError(f"{path} holds data that is not valid ({_first_line(exc)}); save the file as UTF-8 "
                             "and check it") from None
    return table


def _read_arrow_dir(path: Path) -> pa.Table:
    import pyarrow.ipc as ipc

    tables = []
    for f in sorted(path.glob("*.arrow")):
        with open(f, "rb") as fh:
            head = fh.read(8)
        size = int.from_bytes(head[4:8], "little", signed=True) if head[:4] == b"\xff\xff\xff\xff" else 0
        if size < 0 or size > MAX_ARROW_METADATA:
            raise SynthloomError(f"{f}: its header claims {size:,} bytes of metadata (at most {MAX_ARROW_METADATA:,}); "
                                 "the file is damaged or not a dataset, save it again")
        try:
            tables.append(ipc.open_stream(pa.memory_map(str(f))).read_all())
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise SynthloomError(f"{f} cannot be read as an Arrow stream ({_first_line(exc)}); save the dataset again") from None
    try:
        return pa.concat_tables(tables)
    except pa.ArrowInvalid as exc:
        raise SynthloomError(f"{path}: its .arrow files hold different columns ({_first_line(exc)})") from None


def _sniff_delimiter(head: bytes) -> str:
    """The delimiter of a CSV's header line: the most frequent of , ; tab | outside quotes."""
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            break
        elif ch in counts and not quoted:
            counts[ch] += 1
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path) -> pa.Table:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    delimiter = _sniff_delimiter(head)
    try:  # Arrow skips a UTF-8 byte-order mark itself
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except pa.ArrowInvalid:
        where = _csv_fault(path, delimiter)
        if where:
            raise SynthloomError(f"{path}: {where}") from None
        raise


def _csv_fault(path: Path, delimiter: str) -> str | None:
    """The line of the first record Python's csv reader cannot take, said in words."""
    import csv

    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        start, width = 1, None
        try:
            for row in reader:
                if width is None:
                    width = len(row)
                elif row and len(row) != width:
                    return (f"line {start} has {len(row)} fields where the header has {width}; "
                            "check its delimiters and quotes")
                start = reader.line_num + 1
        except csv.Error as exc:
            if "field larger" in str(exc) or "end of data" in str(exc) or reader.line_num > start:
                return (f"line {start} opens a quote (\") that is never closed, so the rest of the file reads "
                        "as one field; close or remove that quote")
            return f"line {reader.line_num} is not valid CSV ({exc}); fix that line"
        if reader.line_num > start:  # the last record ran over several lines to the end of the file
            return (f"line {start} opens a quote (\") that is never closed, so the rest of the file reads "
                    "as one field; close or remove that quote")
    return None


def _json_depth(path: Path) -> int:
    """An upper bound of how deeply the file's JSON nests (brackets inside strings count too)."""
    import numpy as np

    depth, deepest = 0, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            b = np.frombuffer(chunk, dtype=np.uint8)
            step = (np.isin(b, (ord("["), ord("{"))).astype(np.int32)
                    - np.isin(b, (ord("]"), ord("}"))).astype(np.int32))
            running = np.cumsum(step) + depth
            if running.size:
                deepest = max(deepest, int(running.max()))
                depth = int(running[-1])
    return deepest


_JSON_KINDS = {int: "number", float: "number", str: "string", list: "array", bool: "true/false", type(None): "null"}


def _objects_only(path: Path) -> bool:
    """Every non-blank line looks like one JSON object. Arrow's JSON reader dies of a segmentation
    fault on some other shapes (a file holding just `null`), so it only sees these."""
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.strip()
            if line and not (line.startswith(b"{") and line.endswith(b"}")):
                return False
    return True


def _read_jsonl(path: Path) -> pa.Table:
    if _objects_only(path) and _json_depth(path) <= MAX_JSON_DEPTH:
        try:
            return pajson.read_json(path)
        except pa.ArrowInvalid:
            pass  # Arrow's reader wants one schema; rows with differing shapes still load via Python.
    rows = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise SynthloomError(f"{path}:{lineno}: not UTF-8 text; save the file as UTF-8") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SynthloomError(f"{path}:{lineno}: not valid JSON ({exc.msg}); fix that line") from None
            except RecursionError:
                raise SynthloomError(f"{path}:{lineno}: JSON nested too deeply; flatten that line") from None
            if not isinstance(row, dict):
                kind = _JSON_KINDS.get(type(row), type(row).__name__)
                raise SynthloomError(f"{path}:{lineno}: a JSON {kind} where a JSON object (one row) "
                                     "is expected; write each row as {\"column\": value, ...}") from None
            rows.append(row)
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
