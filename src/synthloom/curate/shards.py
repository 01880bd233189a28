"""Curation of a folder of Parquet shards, in pieces an executor can spread over workers.

A folder of `*.parquet` files (in name order) is one dataset: row k of the whole is its number,
as `curate` numbers the rows it is given, so removals name the same rows whoever runs them. The
steps split in two:

- **row steps** (quality, PII, decontamination by n-grams or by MiniLM) judge each row alone:
  `judge_rows` runs one on any slice of rows, with the slice's numbers;
- **dedup steps** (exact, near) compare rows with each other. They run as a plan whose every
  pass holds one slice, a bucket or the matched pairs, never the whole corpus: `dedup_keys`
  gives each row its bucket keys, `bucket_pairs` the candidate pairs of a bucket,
  `pair_shingles` and `jaccard` check near pairs exactly, and the groups are settled from the
  pairs alone (`dedup.removals_of_groups`). Row ids are the number plus the count of reference
  items, which come first, exactly as `dedup.near_dedup` lays out its corpus; so the buckets,
  pairs, groups and survivors are those of the local step.

Between passes a row travels as (shard, number, pickled row): one schema for every row,
whatever fields a step adds, and exactly the values read from Parquet."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthloom.config.curation import CurationSpec, Decontaminate, ExactDedup, NearDedup, SemanticDedup
from synthloom.config.errors import SynthloomError
from synthloom.curate.dedup import exact_key
from synthloom.curate.fields import text_of, value_at
from synthloom.curate.step import Removal, Step
from synthloom.data.text.minhash import band_keys, has_signature, lsh_params, signatures
from synthloom.data.text.shingles import shingles
from synthloom.models.embeddings import minilm_available

ROW_STEPS = ("quality", "pii", "decontaminate")
DEDUP_STEPS = ("exact_dedup", "near_dedup")


@dataclass(frozen=True)
class ShardSet:
    """The Parquet files of a folder, in name order, and the number of each one's first row."""

    paths: tuple[Path, ...]
    offsets: tuple[int, ...]  # len(paths) + 1: offsets[-1] is the number of rows

    @classmethod
    def of(cls, folder: Path) -> "ShardSet":
        paths = tuple(sorted(folder.glob("*.parquet")))
        if not paths:
            raise SynthloomError(f"{folder} holds no .parquet files; give a folder of Parquet shards")
        counts = []
        for p in paths:
            try:
                counts.append(pq.ParquetFile(p).metadata.num_rows)
            except (pa.ArrowInvalid, OSError) as e:
                raise SynthloomError(f"{p} is not a readable Parquet file ({str(e).splitlines()[0]})") from None
        return cls(paths, tuple(np.concatenate([[0], np.cumsum(counts)]).astype(int).tolist()))

    @property
    def rows(self) -> int:
        return self.offsets[-1]

    def read(self, shard: int) -> pa.Table:
        """Shard `shard` as travelling rows: _shard, _n (the row's number) and _row (pickled)."""
        rows = pq.read_table(self.paths[shard]).to_pylist()
        return travelling(shard, self.offsets[shard], rows)


def travelling(shard: int, first: int, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table({"_shard": pa.array([shard] * len(rows), pa.int64()),
                     "_n": pa.array(range(first, first + len(rows)), pa.int64()),
                     "_row": pa.array([pickle.dumps(r, protocol=5) for r in rows], pa.binary())})


def rows_of(batch: pa.Table) -> list[dict[str, Any]]:
    # our own pickles of values read from Parquet, made in an earlier pass of this run
    return [pickle.loads(b) for b in batch.column("_row").to_pylist()]


def check_spec(spec: CurationSpec) -> None:
    """One sentence for a step that cannot run on shards, before any work."""
    for config in spec.steps:
        if isinstance(config, SemanticDedup):
            raise SynthloomError(f"step '{config.label}' (semantic_dedup) compares embeddings of every pair of rows "
                                 "and runs on one machine only: curate a single file, or drop the step")
        if isinstance(config, Decontaminate) and config.embedding_threshold is not None and not (
                config.embedding == "minilm" or (config.embedding == "auto" and minilm_available())):
            raise SynthloomError(f"step '{config.label}' compares embeddings with TF-IDF, whose vocabulary is learnt "
                                 "from all rows at once; on shards set `embedding: minilm` (the embed extra)")
        if config.kind not in ROW_STEPS + DEDUP_STEPS:
            raise SynthloomError(f"step '{config.label}' ({config.kind}) does not run on shards")


# ---- row steps ----

def judge_rows(step: Step, batch: pa.Table) -> pa.Table:
    """The batch judged by a row step (marked, below)."""
    rows, numbers = rows_of(batch), batch.column("_n").to_pylist()
    result = step.apply(rows, numbers)
    return marked(batch, step.label, result.removed, result.rewritten)


def marked(batch: pa.Table, label: str, removed: dict[int, Removal],
           rewritten: dict[int, dict[str, Any]] | None = None) -> pa.Table:
    """The batch with `_curation` (the removal record as JSON, null for a row kept), `_step` and
    `_rewritten`, and each rewritten row in place; a removed row stays as it came."""
    rewritten = {p: r for p, r in (rewritten or {}).items() if p not in removed}
    rows = batch.column("_row")
    if rewritten:
        rows = pa.array([pickle.dumps(rewritten[p], protocol=5) if p in rewritten else b
                         for p, b in enumerate(rows.to_pylist())], pa.binary())
    n = len(batch)
    return pa.table({"_shard": batch.column("_shard"), "_n": batch.column("_n"), "_row": rows,
                     "_curation": pa.array([json.dumps(removed[p].record()) if p in removed else None
                                            for p in range(n)], pa.string()),
                     "_step": pa.array([label if p in removed else None for p in range(n)], pa.string()),
                     "_rewritten": pa.array([p in rewritten for p in range(n)], pa.bool_())})


# ---- dedup steps: keys, pairs, checks ----

def layout(step: NearDedup) -> tuple[int, int]:
    return (step.bands, step.rows) if step.bands and step.rows else lsh_params(step.threshold, step.num_perm)


def texts_of(step: Step, rows: list[dict[str, Any]]) -> list[str]:
    return [text_of(r, step.fields) for r in rows]


def dedup_keys(step: Step, ids: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
    """One record per (row, bucket): `band`, `key` and the row's `id`. Exact dedup has one band
    (the normalised text's hash); near dedup one per LSH band, rows without shingles in none."""
    if isinstance(step.config, ExactDedup):
        keys = np.array([int.from_bytes(exact_key(t)[:8], "little") for t in texts], dtype=np.uint64)
        # 64 bits of the 128-bit key pick the bucket; pairs are then checked on the whole key
        return {"band": np.zeros(len(ids), np.int32), "key": keys, "id": ids.astype(np.int64)}
    config: NearDedup = step.config
    bands, rows = layout(config)
    sig = signatures(shingles(texts, config.shingle, config.ngram), config.num_perm)
    valid = has_signature(sig)
    keys = band_keys(sig[valid], bands, rows)
    n = int(valid.sum())
    return {"band": np.tile(np.arange(bands, dtype=np.int32), n), "key": keys.reshape(-1),
            "id": np.repeat(ids[valid].astype(np.int64), bands)}


def pair_facts(step: Step, texts: list[str], rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """What checking a pair and settling its group need of a row: its shingle set (near) or full
    key (exact), its text length and its score."""
    config = step.config
    if isinstance(config, ExactDedup):
        check = [exact_key(t) for t in texts]
    else:
        sh = shingles(texts, config.shingle, config.ngram)
        check = [np.unique(sh.of(k)).tobytes() for k in range(len(texts))]
    score = getattr(config, "score", None)
    scores = [value_at(r, score) if score else None for r in rows]
    return {"check": check, "length": [len(t) for t in texts],
            "score": [float(s) if isinstance(s, (int, float)) else None for s in scores]}


def similarity(step: Step, a: bytes, b: bytes) -> float:
    """The exact Jaccard of two shingle sets (near), or 1.0 / 0.0 for equal / different keys."""
    if isinstance(step.config, ExactDedup):
        return 1.0 if a == b else 0.0
    x, y = np.frombuffer(a, np.uint64), np.frombuffer(b, np.uint64)
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / max(len(x) + len(y) - inter, 1)


def threshold(step: Step) -> float:
    return 1.0 if isinstance(step.config, ExactDedup) else step.config.threshold
