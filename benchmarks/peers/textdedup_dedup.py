"""Runs in text-dedup's venv (benchmarks/.venv-textdedup): near-duplicate clusters of a corpus with
text-dedup 0.4.0's MinHash (`text_dedup.minhash`, the module behind `python -m text_dedup.minhash`),
turned into pairs of row indices. Writes the pairs (i < j) as .npy and prints one JSON line:
seconds, peak RSS, pair and cluster counts, text-dedup's own phase timings.

    python textdedup_dedup.py CORPUS.parquet PAIRS.npy THRESHOLD NUM_PERM

How it is called. The Parquet corpus is turned into a `datasets` directory (Dataset +
save_to_disk, untimed: the equivalent of the other tools' "texts in memory"), then text-dedup's
click command runs in this process, as its CLI would run it:

    text_dedup.minhash.main(["--local", "--path", DIR, "--output", OUT, "--column", "text",
                             "--ngram", "5", "--num_perm", "128", "--threshold", "0.8",
                             "--num_proc", "2"], standalone_mode=False)

Everything else is its CLI default: bands x rows from `optimal_param(0.8, 128)` (equal
false-positive and false-negative weights, the same rule datasketch's MinHashLSH uses),
sha1 hashes truncated to 32 bits in uint64 arithmetic, min_length 5 tokens (shorter documents
are dropped before hashing; none is that short here), permutations drawn from its fixed seed 42,
clean_cache on (its faster `--hash_func xxh3` is not the default and is not used; in one
20k-document try it cut the MinHashing phase by about a third). The timed span is that whole
call: load_from_disk (memory-mapped), adding its index column, the length filter,
fingerprinting, LSH bucketing + union-find, and writing the deduplicated dataset (one document
per cluster) to disk, which the other tools don't do; the JSON's `phases` gives text-dedup's own
split (Loading, MinHashing, Clustering, Filtering, Saving, Cleaning), so the saving can be
subtracted if wanted. The conversion of its clusters to pairs (below) is timed too.

Tokens. text-dedup shingles `re.split(r"\\W", text.lower())` word 5-grams (joined by a space),
where synthloom and datasketch shingle `re.findall(r"\\w+", text.lower())`. Both lower-case and
use the same Unicode `\\w`, but the split yields an empty token for every extra separator (two
spaces, ", ", a leading or trailing punctuation mark), so on real text its shingles differ
slightly; the benchmark's synthetic corpus is single-space-separated [a-z0-9] words, where the
two token lists are identical (checked), so the shingle sets and exact Jaccard are the same.

What "pairs" means here. text-dedup reports no pairs: every document sharing an LSH band with
another is union-found into a cluster and one document per cluster is kept. Its union-find
(`text_dedup.minhash.uf`, a module global that `main` fills; `--debug` pickles the same object to
uf.pkl) is read after the call: for every cluster of size > 1 we emit (min index in the cluster,
each other member). So a pair here is "same cluster", not "these two collided in a band": two
members may be linked only through a third document (a chain a~b~c gives (a, c) even if a and
c share no band), and members other than the minimum are not paired with each other. Like
datasketch's, these are unverified LSH candidates (text-dedup never computes an exact Jaccard).
On the benchmark's corpus the planted pairs are disjoint and random documents share no 5-gram,
so almost all clusters have two members and a star pair is the band collision itself. To score
it at the level it reports anyway, dedup_vs_peers.py expands these pairs back into clusters and
scores every pair within a cluster (so b~c in a cluster {a, b, c} counts too); it also scores
synthloom's and datasketch's pairs the same way (connected components -> every pair within one)
in a second table, for a like-for-like comparison.

Memory. text-dedup's `datasets.map`/`filter` calls with num_proc=2 fork worker processes
(text_dedup.minhash sets the fork start method). `peak_gib` is max(ru_maxrss of this process,
ru_maxrss over its waited-for children): the largest single process, as the other tools report
(they have no children). Forked workers share the parent's pages copy-on-write, so the tree's
real footprint lies between that and the sum; `tree_pss_peak_gib` samples the summed PSS
(proportional set size, shared pages split between the processes sharing them) of this process
and all its descendants every 0.1 s, an estimate of the whole tree's peak (a spike shorter than
that can be missed).

Offline: HF_DATASETS_OFFLINE, HF_HUB_OFFLINE and HF_HUB_DISABLE_TELEMETRY are set and HF_HOME
points into a temporary directory before `datasets` is imported; with --local nothing is
fetched (MinHash uses no tokenizer model).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

HF_HOME = tempfile.TemporaryDirectory(prefix="hf-home-")
os.environ.update({
    "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
    "HF_HOME": HF_HOME.name, "TQDM_DISABLE": "1", "TOKENIZERS_PARALLELISM": "false",
})

import datasets  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from text_dedup import minhash  # noqa: E402

datasets.disable_progress_bars()


class Phases(logging.Handler):
    """Collects text-dedup's log lines (its Timer report among them) and echoes them to stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        print(f"text-dedup: {record.getMessage()}", file=sys.stderr)

    def timings(self) -> dict[str, float]:
        out = {}
        for line in self.lines:
            name, sep, value = line.partition(":")
            if sep and value.strip().endswith("s"):
                try:
                    out[name.strip()] = float(value.strip()[:-1])
                except ValueError:
                    pass
        return out


class TreePss(threading.Thread):
    """Peak of the summed PSS of this process and its descendants, sampled every `every` seconds."""

    def __init__(self, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.every, self.peak, self.done = every, 0, threading.Event()
        self.me = psutil.Process()

    def sample(self) -> None:
        total = 0
        for p in [self.me, *self.me.children(recursive=True)]:
            try:
                total += p.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                pass
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.every)

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.sample()


def cluster_pairs(uf) -> tuple[np.ndarray, int]:
    """(min member, other member) for every cluster of size > 1 of text-dedup's union-find."""
    clusters: dict[int, list[int]] = {}
    for x in list(uf.parent):
        clusters.setdefault(uf.find(x), []).append(int(x))
    pairs = []
    multi = 0
    for members in clusters.values():
        if len(members) > 1:
            multi += 1
            root = min(members)
            pairs += [(root, x) for x in members if x != root]
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2), multi


def main() -> None:
    corpus, out, threshold, num_perm = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    log = logging.getLogger("text_dedup")
    log.handlers.clear()
    phases = Phases()
    log.addHandler(phases)
    with tempfile.TemporaryDirectory(dir=Path(out).resolve().parent, prefix="textdedup-") as tmp:
        data_dir, out_dir = str(Path(tmp) / "corpus"), str(Path(tmp) / "deduplicated")
        table = pq.read_table(corpus, columns=["text"])
        docs = table.num_rows
        datasets.Dataset(table).save_to_disk(data_dir)
        del table
        args = ["--local", "--path", data_dir, "--output", out_dir, "--column", "text",
                "--ngram", "5", "--num_perm", num_perm, "--threshold", threshold, "--num_proc", "2"]
        memory = TreePss()
        memory.start()
        t0 = time.perf_counter()
        minhash.main.main(args=args, standalone_mode=False)
        pairs, clusters = cluster_pairs(minhash.uf)
        seconds = time.perf_counter() - t0
        memory.stop()
        kept = datasets.load_from_disk(out_dir).num_rows
    np.save(out, pairs)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 2**20
    bands, rows = minhash.optimal_param(float(threshold), int(num_perm), 0.5, 0.5)
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "tree_pss_peak_gib": memory.peak / 2**30,
                      "pairs": len(pairs), "clusters": clusters, "kept": kept, "docs": docs,
                      "bands": bands, "rows": rows, "phases": phases.timings()}))


if __name__ == "__main__":
    main()
    HF_HOME.cleanup()
