"""Near-duplicate removal over Parquet shards on Ray Data against the local executor, same corpus,
same run (issue 19: "1M-document dedup on Ray vs local, same F1, time ratio reported").

Corpus: dedup_vs_peers.py's (documents of 80-120 Zipfian words, planted near-duplicate pairs
spread over Jaccard ~0.2-1), written as --shards Parquet files with an `id` column. Both executors
run `synthloom curate SHARDS -c near_dedup.yaml` (word 5-grams, 128 permutations, threshold 0.8,
keep the first row) through `curate_shards`: the local one reads every shard into this process
and runs the step as `synthloom curate` does on one file; Ray Data runs the plan of
curate/ray_curation.py on a Ray started before the clock (as a run joining a cluster with
--address), with the machine's CPUs. Each removed row names the row it duplicates; a pair (the
removed row, that row) counts as right when its exact Jaccard is >= 0.8, and recall is over the
planted pairs at or above 0.8. `identical` says whether every output file holds the same rows.

    .venv/bin/python benchmarks/ray_dedup.py [--docs 1000000] [--planted 20000] [--shards 16]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dedup_vs_peers import THRESHOLD, corpus, exact_jaccard, score

from synthloom.config.loader import load_curation
from synthloom.curate.run_curation import curate_shards


def write_shards(texts: list[str], folder: Path, shards: int) -> None:
    folder.mkdir(parents=True)
    bounds = np.linspace(0, len(texts), shards + 1).astype(int)
    for s in range(shards):
        lo, hi = bounds[s], bounds[s + 1]
        pq.write_table(pa.table({"id": np.arange(lo, hi), "text": texts[lo:hi]}), folder / f"part-{s:04d}.parquet")


def found_pairs(out: Path) -> np.ndarray:
    pairs = []
    for path in sorted((out / "removed").glob("*.parquet")):
        table = pq.read_table(path, columns=["id", "_curation"])
        for i, record in zip(table.column("id").to_pylist(), table.column("_curation").to_pylist()):
            j = json.loads(record)["matched_row"]
            pairs.append((min(i, j), max(i, j)))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.relative_to(a) for p in a.glob("*/*.parquet"))
    return names == sorted(p.relative_to(b) for p in b.glob("*/*.parquet")) and all(
        pq.read_table(a / n).equals(pq.read_table(b / n)) for n in names)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--planted", type=int, default=20_000)
    ap.add_argument("--shards", type=int, default=16)
    args = ap.parse_args()

    import ray

    texts, planted = corpus(args.docs, args.planted)
    sims = exact_jaccard(texts, planted)
    truth = {(int(i), int(j)) for (i, j), s in zip(planted, sims) if s >= THRESHOLD}
    known = {(int(i), int(j)): s for (i, j), s in zip(planted, sims)}
    with tempfile.TemporaryDirectory(prefix="ray-dedup-") as tmp:
        root = Path(tmp)
        write_shards(texts, root / "shards", args.shards)
        del texts
        spec_path = root / "near_dedup.yaml"
        spec_path.write_text(f"text: [text]\nsteps:\n  - kind: near_dedup\n    threshold: {THRESHOLD}\n")
        spec = load_curation(spec_path)

        t0 = time.perf_counter()
        curate_shards(root / "shards", spec, root / "local")
        local_s = time.perf_counter() - t0
        local_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

        ray.init(address="local", include_dashboard=False, log_to_driver=False, configure_logging=False)
        t0 = time.perf_counter()
        curate_shards(root / "shards", spec, root / "ray", executor="ray")
        ray_s = time.perf_counter() - t0
        ray.shutdown()

        texts, _ = corpus(args.docs, args.planted)  # for scoring pairs that were not planted
        local, on_ray = (score(texts, found_pairs(root / name), truth, known) for name in ("local", "ray"))
        identical = same_files(root / "local", root / "ray")
    print(f"local: {local_s:.1f} s, F1 {local['f1']:.4f}; ray: {ray_s:.1f} s, F1 {on_ray['f1']:.4f}; "
          f"identical files: {identical}")
    print(f"RESULT ray_dedup docs={args.docs} shards={args.shards} planted={args.planted} local_s={local_s:.1f} "
          f"ray_s={ray_s:.1f} ratio={ray_s / local_s:.2f} local_f1={local['f1']:.4f} ray_f1={on_ray['f1']:.4f} "
          f"local_precision={local['precision']:.4f} local_recall={local['recall']:.4f} "
          f"removed={local['pairs']} identical={str(identical).lower()} local_peak_gib={local_peak:.2f}")


if __name__ == "__main__":
    main()
