"""What a curation of Parquet shards writes, whichever executor ran it: per input shard
`kept/NAME.parquet` (the rows kept, as rewritten, in input order) and `removed/NAME.parquet` (the
rows removed, step by step, each with `_curation`: its step, reason and match as JSON), plus
`curation.json` (the counts per step). A shard nothing is left of still gets its (empty) file,
with the input's columns, so the output lists every input shard."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthloom.curate.pipeline import StepCount
from synthloom.curate.shards import rows_of
from synthloom.data.files.atomic import write_atomic, write_text_atomic


@dataclass(frozen=True)
class ShardOutput:
    folder: Path
    names: tuple[str, ...]  # each input shard's file name
    schemas: tuple[pa.Schema, ...]  # and its columns, for an empty output

    @classmethod
    def of(cls, folder: Path, paths: tuple[Path, ...]) -> "ShardOutput":
        return cls(Path(folder), tuple(p.name for p in paths), tuple(pq.read_schema(p) for p in paths))

    def write_kept(self, shard: int, rows: list[dict[str, Any]]) -> None:
        self._write(self.folder / "kept" / self.names[shard], rows, self.schemas[shard])

    def write_removed(self, shard: int, rows: list[dict[str, Any]]) -> None:
        """`rows`: each removed row with `_curation` as a dict (Removal.record())."""
        rows = [{**r, "_curation": json.dumps(r["_curation"])} for r in rows]
        self._write(self.folder / "removed" / self.names[shard], rows,
                    self.schemas[shard].append(pa.field("_curation", pa.string())))

    def write_removed_table(self, shard: int, table: pa.Table | None) -> None:
        """Removed rows as shards.marked leaves them (pickled rows, `_curation` as JSON)."""
        rows = [] if table is None else [
            {**row, "_curation": json.loads(c)} for row, c in zip(rows_of(table), table.column("_curation").to_pylist())]
        self.write_removed(shard, rows)

    def write_counts(self, counts: list[StepCount], source: Path, executor: str) -> Path:
        kept = counts[-1].rows_in - counts[-1].removed if counts else 0
        rows_in = counts[0].rows_in if counts else 0
        path = self.folder / "curation.json"
        write_text_atomic(path, json.dumps({"rows_in": rows_in, "kept": kept, "removed": rows_in - kept,
                                            "steps": [asdict(c) for c in counts], "source": str(source),
                                            "executor": executor, "shards": len(self.names)}, indent=2))
        return path

    @staticmethod
    def _write(path: Path, rows: list[dict[str, Any]], like: pa.Schema) -> None:
        table = pa.Table.from_pylist(rows) if rows else like.empty_table()
        write_atomic(path, lambda tmp: pq.write_table(table, tmp))
