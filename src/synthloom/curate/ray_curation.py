"""Curation of Parquet shards on Ray Data (`synthloom curate FOLDER -c C -o OUT --executor ray`).

The driver reads the curation and the reference sets, and holds what the dedup steps must settle
globally: the candidate pairs, their documents' lengths and scores, and the rows removed. The
rows themselves stay on the workers and in Ray's object store (which spills to disk), so the
corpus may be larger than any one machine's memory. The passes (curate/shards.py says what each
computes):

1. read: one task per shard gives its rows their numbers;
2. a row step: each block judged alone; the removed rows leave with their reason;
3. a dedup step: every row's bucket keys, grouped by a hash of the key into partitions (Ray
   Data's groupby); each partition gives its buckets' candidate pairs; the driver unites them;
   then the pairs are checked exactly by a join done as two groupbys (pairs meet the first
   document's shingles, then the second's); the driver settles the groups; a last pass marks the
   rows to remove;
4. write: one Parquet file of kept rows and one of removed rows per input shard, same name,
   rows in their input order.

Every pass is a function of its input rows (no state on a worker, no order from Ray), so the
files equal those of the local executor (`shards_local.py`), row for row."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthloom.config.curation import CurationSpec
from synthloom.curate.dedup import removals_of_groups, survivor_key
from synthloom.curate.pipeline import StepCount, prepared_steps
from synthloom.curate.shards import (
    DEDUP_STEPS, ShardSet, check_spec, dedup_keys, judge_rows, layout, marked, pair_facts, rows_of, similarity,
    texts_of, threshold,
)
from synthloom.curate.shards_write import ShardOutput
from synthloom.curate.step import Removal, Step
from synthloom.workers.ray_session import ray_session

RECORDS_PER_PARTITION = 2_000_000  # bucket records a groupby partition holds at most (~50 MB)
WHAT = {"exact_dedup": "exact copy", "near_dedup": "near duplicate"}



def curate_shards_ray(folder: Path, spec: CurationSpec, out: ShardOutput, *, address: str | None = None) -> list[StepCount]:
    """Curate the shards of `folder` on Ray (at `address`, or a Ray started here) into `out`."""
    check_spec(spec)
    shards = ShardSet.of(folder)
    steps = prepared_steps(spec)  # a bad reference or setting stops here, before Ray starts
    with ray_session(address) as ray, _shuffling_by_sort():
        return _run(ray, shards, steps, out)


@contextlib.contextmanager
def _shuffling_by_sort() -> Iterator[None]:
    """Ray's sort-based shuffle runs as tasks; its hash shuffle starts aggregator actors for each
    groupby, which costs seconds a pass on a small cluster and holds CPUs Ray Data needs. The
    caller's settings come back after."""
    import ray.data
    from ray.data.context import ShuffleStrategy

    context = ray.data.DataContext.get_current()
    saved = context.shuffle_strategy, context.enable_progress_bars
    context.shuffle_strategy, context.enable_progress_bars = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED, False
    try:
        yield
    finally:
        context.shuffle_strategy, context.enable_progress_bars = saved


def _run(ray: Any, shards: ShardSet, steps: list[Step], out: ShardOutput) -> list[StepCount]:
    from ray.data.expressions import col

    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    live = ray.data.from_items([{"shard": i} for i in range(len(shards.paths))], override_num_blocks=len(shards.paths))
    live = live.map_batches(lambda b: shards.read(int(b["shard"][0].as_py())), batch_size=1,
                            batch_format="pyarrow").materialize()
    counts, removed = [], []
    for k, step in enumerate(steps):
        t0 = time.perf_counter()
        rows_in = live.count()
        if step.config.kind in DEDUP_STEPS:
            judged = _mark(live, _dedup_removals(ray, live, step, rows_in, cpus), step.label)
        else:
            judged = live.map_batches(lambda b, s=step: judge_rows(s, b), batch_format="pyarrow").materialize()
        gone = judged.filter(expr=col("_curation").is_not_null()).materialize()
        removed.append((k, gone))
        live = judged.filter(expr=col("_curation").is_null()).drop_columns(
            ["_curation", "_step", "_rewritten"]).materialize()
        rewritten = sum(int(pc.sum(b.column("_rewritten")).as_py() or 0) for b in judged.select_columns(
            ["_rewritten"]).iter_batches(batch_format="pyarrow"))
        counts.append(StepCount(step.label, step.config.kind, rows_in, gone.count(), rewritten,
                                round(time.perf_counter() - t0, 3)))
    _write(shards, out, live, removed)
    return counts


def _mark(live: Any, removals: dict[int, Removal], label: str) -> Any:
    """The rows marked where `removals` (by row number) says they go."""
    def mark(batch: pa.Table) -> pa.Table:
        found = {p: removals[n] for p, n in enumerate(batch.column("_n").to_pylist()) if n in removals}
        return marked(batch, label, found)
    return live.map_batches(mark, batch_format="pyarrow").materialize()


# ---- a dedup step ----

def _dedup_removals(ray: Any, live: Any, step: Step, rows: int, cpus: int) -> dict[int, Removal]:
    refs = step.references  # read by the dedup step's prepare
    ref_texts, n_refs = refs.texts, len(refs.texts)
    bands = 1 if step.config.kind == "exact_dedup" else layout(step.config)[0]
    parts = max(2 * cpus, math.ceil((rows + n_refs) * bands / RECORDS_PER_PARTITION))

    def keys_of(batch: pa.Table) -> pa.Table:
        ids = np.asarray(batch.column("_n").to_numpy()) + n_refs
        return _with_part(dedup_keys(step, ids, texts_of(step, rows_of(batch))), parts)

    keys = live.map_batches(keys_of, batch_format="pyarrow")
    if n_refs:
        keys = keys.union(ray.data.from_arrow(_with_part(dedup_keys(step, np.arange(n_refs), ref_texts), parts)))
    pairs = _collect_pairs(keys.groupby("part", num_partitions=parts).map_groups(_bucket_pairs, batch_format="pyarrow"))
    if not len(pairs):
        return {}
    candidates = np.unique(pairs)

    def facts_of(batch: pa.Table) -> pa.Table:
        ids = np.asarray(batch.column("_n").to_numpy()) + n_refs
        wanted = np.flatnonzero(np.isin(ids, candidates))
        rows_wanted = rows_of(batch.take(pa.array(wanted, pa.int64())))
        return _facts_table(step, ids[wanted], texts_of(step, rows_wanted), rows_wanted, parts)

    facts = live.map_batches(facts_of, batch_format="pyarrow")
    ref_ids = candidates[candidates < n_refs]
    if len(ref_ids):
        facts = facts.union(ray.data.from_arrow(_facts_table(
            step, ref_ids, [ref_texts[i] for i in ref_ids], [{} for _ in ref_ids], parts)))
    facts = facts.materialize()
    sides = ray.data.from_arrow(_pair_records(pairs, parts))
    first = sides.union(facts).groupby("part", num_partitions=parts).map_groups(
        lambda g: _attach(g, parts), batch_format="pyarrow")
    checked = first.union(facts).groupby("part", num_partitions=parts).map_groups(
        lambda g: _compare(step, g), batch_format="pyarrow")
    found = [b for b in checked.iter_batches(batch_format="pyarrow") if len(b)]
    if not found:
        return {}
    found = pa.concat_tables(found)
    found = found.sort_by([("a", "ascending"), ("b", "ascending")])
    verified = np.stack([found.column("a").to_numpy(), found.column("b").to_numpy()], axis=1)
    length, score = {}, {}
    for batch in facts.select_columns(["id", "length", "score"]).iter_batches(batch_format="pyarrow"):
        for i, n, s in zip(batch.column("id").to_pylist(), batch.column("length").to_pylist(),
                           batch.column("score").to_pylist()):
            length[i - n_refs], score[i - n_refs] = n, s
    keep = survivor_key(step.config, length.__getitem__, score.__getitem__)
    return removals_of_groups(verified, found.column("sim").to_numpy(), n_refs, refs.items,
                              step.config, WHAT[step.config.kind], keep, lambda i: i)


def _with_part(keys: dict[str, np.ndarray], parts: int) -> pa.Table:
    return pa.table({**keys, "part": (keys["key"] % np.uint64(parts)).astype(np.int64)})


def _bucket_pairs(group: pa.Table) -> pa.Table:
    """A partition's candidate pairs: in each (band, key) bucket, the lowest id with each other."""
    from synthloom.data.text.minhash import bucket_pairs

    pairs = _unique_pairs(bucket_pairs(group.column("id").to_numpy(), group.column("band").to_numpy(),
                                       group.column("key").to_numpy()))
    return pa.table({"a": pairs[:, 0], "b": pairs[:, 1]})


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    return np.unique(pairs, axis=0) if len(pairs) else np.zeros((0, 2), np.int64)


def _collect_pairs(ds: Any) -> np.ndarray:
    """Every partition's pairs, each once."""
    found = [np.stack([b["a"], b["b"]], axis=1) for b in ds.iter_batches(batch_format="numpy") if len(b["a"])]
    return _unique_pairs(np.concatenate(found).astype(np.int64)) if found else np.zeros((0, 2), np.int64)


def _facts_table(step: Step, ids: np.ndarray, texts: list[str], rows: list[dict[str, Any]], parts: int) -> pa.Table:
    facts = pair_facts(step, texts, rows)
    ids = np.asarray(ids, dtype=np.int64)
    return pa.table({"part": ids % parts, "id": ids, "other": np.full(len(ids), -1, np.int64),
                     "check": pa.array(facts["check"], pa.binary()),
                     "length": pa.array(facts["length"], pa.int64()), "score": pa.array(facts["score"], pa.float64())})


def _pair_records(pairs: np.ndarray, parts: int) -> pa.Table:
    """Each pair as a record of its first document (`id`) waiting for that document's facts."""
    a, b = pairs[:, 0], pairs[:, 1]
    return pa.table({"part": a % parts, "id": a, "other": b, "check": pa.nulls(len(a), pa.binary()),
                     "length": pa.nulls(len(a), pa.int64()), "score": pa.nulls(len(a), pa.float64())})


def _split(group: pa.Table) -> tuple[dict[int, bytes], pa.Table]:
    """A partition of the join: its documents' checks by id, and the pair records waiting for one."""
    is_fact = pc.equal(group.column("other"), -1)
    facts = group.filter(is_fact)
    return dict(zip(facts.column("id").to_pylist(), facts.column("check").to_pylist())), group.filter(pc.invert(is_fact))


def _attach(group: pa.Table, parts: int) -> pa.Table:
    """Pairs meet their first document's check; each goes on as a record of the second."""
    check, waiting = _split(group)
    first, second = waiting.column("id").to_numpy(), waiting.column("other").to_numpy()
    return pa.table({"part": second % parts, "id": second, "other": first,
                     "check": pa.array([check[i] for i in first.tolist()], pa.binary()),
                     "length": pa.nulls(len(first), pa.int64()), "score": pa.nulls(len(first), pa.float64())})


def _compare(step: Step, group: pa.Table) -> pa.Table:
    """Pairs meet their second document's check: those at or above the threshold, with it."""
    check, waiting = _split(group)
    least = threshold(step)
    a, b, sims = [], [], []
    for second, first, first_check in zip(waiting.column("id").to_pylist(), waiting.column("other").to_pylist(),
                                          waiting.column("check").to_pylist()):
        sim = similarity(step, first_check, check[second])
        if sim >= least:
            a.append(first), b.append(second), sims.append(sim)
    return pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64()), "sim": pa.array(sims, pa.float64())})


# ---- writing ----

def _write(shards: ShardSet, out: ShardOutput, live: Any, removed: list[tuple[int, Any]]) -> None:
    """One kept and one removed file per input shard (empty when nothing is left of it)."""
    def write_kept(group: pa.Table) -> pa.Table:
        group = group.sort_by("_n")
        shard = group.column("_shard")[0].as_py()
        out.write_kept(shard, rows_of(group))
        return pa.table({"shard": [shard]})

    def write_removed(group: pa.Table) -> pa.Table:
        group = group.sort_by([("_k", "ascending"), ("_n", "ascending")])
        shard = group.column("_shard")[0].as_py()
        out.write_removed_table(shard, group)
        return pa.table({"shard": [shard]})

    parts = min(len(shards.paths), 64)
    written = set()
    if live.count():
        written = {r["shard"] for r in live.groupby("_shard", num_partitions=parts).map_groups(
            write_kept, batch_format="pyarrow").take_all()}
    gone = [ds.map_batches(lambda b, k=k: b.append_column("_k", pa.array([k] * len(b), pa.int64())),
                           batch_format="pyarrow") for k, ds in removed if ds.count()]
    written_removed = set()
    if gone:
        union = gone[0].union(*gone[1:]) if len(gone) > 1 else gone[0]
        written_removed = {r["shard"] for r in union.groupby("_shard", num_partitions=parts).map_groups(
            write_removed, batch_format="pyarrow").take_all()}
    for shard in range(len(shards.paths)):
        if shard not in written:
            out.write_kept(shard, [])
        if shard not in written_removed:
            out.write_removed_table(shard, None)
