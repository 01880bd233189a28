"""Curation of a folder of Parquet shards in this process: the shards read as one dataset, the
steps run by `pipeline.curate` (every step kind), and the result written shard by shard as the
Ray executor writes it (shards_write.py), so the two are compared file for file."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from synthloom.config.curation import CurationSpec
from synthloom.curate.pipeline import StepCount, curate
from synthloom.curate.shards import ShardSet
from synthloom.curate.shards_write import ShardOutput


def curate_shards_local(folder: Path, spec: CurationSpec, out: ShardOutput) -> list[StepCount]:
    shards = ShardSet.of(folder)
    rows: list[dict[str, Any]] = []
    for path in shards.paths:
        rows += pq.read_table(path).to_pylist()
    result = curate(rows, spec, where=str(folder))

    def shard_of(n: int) -> int:
        return bisect.bisect_right(shards.offsets, n) - 1

    kept: dict[int, list[dict[str, Any]]] = {}
    kept_numbers = [n for n in range(len(rows)) if n not in result.removals]
    for n, row in zip(kept_numbers, result.kept):
        kept.setdefault(shard_of(n), []).append(row)
    removed: dict[int, list[dict[str, Any]]] = {}
    for n, row in zip(result.removals, result.removed):  # both in step order, then row order
        removed.setdefault(shard_of(n), []).append(row)
    for shard in range(len(shards.paths)):
        out.write_kept(shard, kept.get(shard, []))
        out.write_removed(shard, removed.get(shard, []))
    return result.steps
