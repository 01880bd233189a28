"""Near-duplicate detection at scale: synthloom's MinHash-LSH against datasketch's MinHashLSH
(at its default setting and at its best setting for this job) and text-dedup's MinHash (when its
venv exists), same corpus, same run, same 2 cores.

Corpus: --docs synthetic documents of 80-120 words drawn from a 50,000-word Zipfian
vocabulary (seed 0). Planted near-duplicates: --planted base documents each get a variant with
m words replaced at random positions (m uniform in 0..12), written over a random other document,
so the pair's Jaccard on word 5-gram shingles spreads from ~0.2 to 1. The true Jaccard of every
planted pair is computed exactly; the truth is every planted pair with Jaccard >= 0.8 (random
documents share no 5-gram). A reported pair counts as right when its exact Jaccard is >= 0.8.

All tools: word 5-gram shingles of lower-cased words, 128 permutations, threshold 0.8 (synthloom
and datasketch split \\w+ tokens, text-dedup splits on every \\W character, which gives the same
tokens on this corpus: see peers/textdedup_dedup.py). Each runs in its own process reading the
corpus from Parquet, timed from the texts in memory (text-dedup: its dataset saved with
save_to_disk, which it memory-maps) to the result; peak memory is the process's peak RSS (corpus
included; for text-dedup, which forks 2 workers, the largest of it and its children).
synthloom reports pairs it has verified with the exact Jaccard; datasketch at its default
setting reports the LSH candidates, as its API returns them; text-dedup reports clusters
(union-find over LSH band collisions, one document kept per cluster), which it hands over as
(smallest index, member) pairs.

datasketch is run twice (see peers/datasketch_dedup.py): "datasketch" is MinHashLSH(threshold)
as its documentation shows it, whose equal-weight banding (9 x 13) catches a pair at exactly 0.8
with probability 0.40 and has no verification; "datasketch tuned" is its best setting here,
MinHashLSH(params=(21, 6)), banding chosen for recall (a pair at 0.8 is a candidate with
probability 0.998, the same layout synthloom uses), plus exact-Jaccard verification of every
candidate pair (pairs below the threshold dropped), timed with the rest.

Pair level (first table): each tool's pairs as reported; text-dedup's clusters are scored as
every pair within a cluster, the level it reports at. Cluster level (second table, when
text-dedup ran): every tool's pairs are closed into connected components and every pair within
a component is scored, so a chain a~b~c counts (a, c) for all three tools alike.

    .venv/bin/python benchmarks/dedup_vs_peers.py [--docs 1000000] [--planted 20000]

The peers' venvs (git-ignored), made once (text-dedup brings datasets and pyarrow with it):

    python3.11 -m venv benchmarks/.venv-datasketch
    benchmarks/.venv-datasketch/bin/pip install -c constraints.txt datasketch pyarrow
    python3.11 -m venv benchmarks/.venv-textdedup
    benchmarks/.venv-textdedup/bin/pip install -c constraints.txt text-dedup==0.4.0
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASKETCH = HERE / ".venv-datasketch" / "bin" / "python"
TEXTDEDUP = HERE / ".venv-textdedup" / "bin" / "python"
THRESHOLD, NUM_PERM, N = 0.8, 128, 5
WORD = re.compile(r"\w+")


def corpus(docs: int, planted: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """The texts and the planted (base, variant) pairs."""
    rng = np.random.default_rng(seed)
    syllables = np.array(["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "dra", "gu", "fen", "sol", "ti", "bar"])
    vocab_size = 50_000
    parts = rng.integers(0, len(syllables), (vocab_size, 4))
    lengths = rng.integers(2, 5, vocab_size)
    vocab = np.array(["".join(syllables[p[:n]]) + str(i % 97) for i, (p, n) in enumerate(zip(parts, lengths))])
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.05
    cdf = np.cumsum(p / p.sum())
    doc_len = rng.integers(80, 121, docs)
    ids = np.searchsorted(cdf, rng.random(int(doc_len.sum())))
    ids = np.minimum(ids, vocab_size - 1)
    starts = np.concatenate([[0], np.cumsum(doc_len)])
    words = vocab[ids]
    texts = [" ".join(words[starts[i]:starts[i + 1]]) for i in range(docs)]
    chosen = rng.choice(docs, 2 * planted, replace=False)
    bases, variants = chosen[:planted], chosen[planted:]
    for b, v in zip(bases, variants):
        w = texts[b].split()
        m = int(rng.integers(0, 13))
        for pos in rng.choice(len(w), min(m, len(w)), replace=False):
            w[pos] = str(vocab[rng.integers(0, vocab_size)])
        texts[v] = " ".join(w)
    return texts, np.sort(np.stack([bases, variants], axis=1), axis=1)


def shingle_set(text: str) -> set[str]:
    w = WORD.findall(text.lower())
    return {" ".join(w[i:i + N]) for i in range(max(len(w) - N + 1, 1))} if w else set()


def exact_jaccard(texts: list[str], pairs: np.ndarray) -> np.ndarray:
    out = np.empty(len(pairs))
    for k, (i, j) in enumerate(pairs):
        a, b = shingle_set(texts[i]), shingle_set(texts[j])
        out[k] = len(a & b) / len(a | b) if a | b else 1.0
    return out


def within_clusters(pairs: np.ndarray, limit: int = 20_000_000) -> np.ndarray:
    """Every pair (i < j) inside the connected components of `pairs` (the clusters they imply)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent.get(x, x)
        return root

    for i, j in pairs.tolist():
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = {}
    for x in {x for p in pairs.tolist() for x in p}:
        members.setdefault(find(x), []).append(x)
    size = sum(len(m) * (len(m) - 1) // 2 for m in members.values())
    if size > limit:
        raise SystemExit(f"clusters imply {size:,} pairs (largest cluster {max(map(len, members.values())):,})")
    out = [(a, b) for m in map(sorted, members.values()) for k, a in enumerate(m) for b in m[k + 1:]]
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def score(texts: list[str], found: np.ndarray, truth: set[tuple[int, int]], known: dict,
          clusters: bool = False) -> dict:
    """Precision, recall, F1 of `found` pairs; with clusters=True, of every pair within the
    connected components of `found` (the level a clustering tool reports at)."""
    if clusters:
        found = within_clusters(found)
    found_set = {(int(i), int(j)) for i, j in found}
    unknown = np.array([p for p in found_set if p not in known], dtype=np.int64).reshape(-1, 2)
    extra = dict(zip(map(tuple, unknown.tolist()), exact_jaccard(texts, unknown)))
    right = sum((known.get(p, extra.get(p, 0.0)) >= THRESHOLD) for p in found_set)
    hit = len(found_set & truth)
    precision = right / len(found_set) if found_set else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(found_set), "precision": precision, "recall": recall, "f1": f1}


def run_ours(corpus_path: str, out: str) -> None:
    from synthloom.data.text.minhash import near_pairs

    texts = pq.read_table(corpus_path, columns=["text"]).column("text").to_pylist()
    t0 = time.perf_counter()
    result = near_pairs(texts, THRESHOLD, NUM_PERM, "word", N)
    seconds = time.perf_counter() - t0
    np.save(out, result.pairs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "pairs": len(result.pairs),
                      "candidates": result.candidates}))


def child(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{cmd[1]} failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--planted", type=int, default=20_000)
    ap.add_argument("--run-ours", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_ours:
        return run_ours(*args.run_ours)
    if not DATASKETCH.exists():
        print("datasketch's venv is missing; see this script's docstring", file=sys.stderr)
        raise SystemExit(2)
    t0 = time.perf_counter()
    texts, planted = corpus(args.docs, args.planted)
    planted_j = exact_jaccard(texts, planted)
    known = {(int(i), int(j)): float(s) for (i, j), s in zip(planted, planted_j)}
    truth = {p for p, s in known.items() if s >= THRESHOLD}
    words = sum(len(t.split()) for t in texts[:10_000]) / min(len(texts), 10_000)
    print(f"{len(texts):,} documents (~{words:.0f} words), {len(planted):,} planted pairs, {len(truth):,} at "
          f"Jaccard >= {THRESHOLD}; made in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "corpus.parquet")
        pq.write_table(pa.table({"text": texts}), path)
        runs = {}
        ours = child([sys.executable, __file__, "--run-ours", path, str(Path(tmp) / "ours.npy")])
        runs["synthloom"] = (ours, np.load(Path(tmp) / "ours.npy"))
        for name, setting in (("datasketch", "default"), ("datasketch tuned", "recall")):
            npy = Path(tmp) / f"datasketch-{setting}.npy"
            theirs = child([str(DATASKETCH), str(HERE / "peers" / "datasketch_dedup.py"), path, str(npy),
                            str(THRESHOLD), str(NUM_PERM), setting])
            runs[name] = (theirs, np.load(npy))
        if TEXTDEDUP.exists():
            td = child([str(TEXTDEDUP), str(HERE / "peers" / "textdedup_dedup.py"), path,
                        str(Path(tmp) / "textdedup.npy"), str(THRESHOLD), str(NUM_PERM)])
            runs["text-dedup"] = (td, np.load(Path(tmp) / "textdedup.npy"))
        else:
            print(f"text-dedup skipped: no {TEXTDEDUP.relative_to(ROOT)} (see this script's docstring)")
    results, clustered = {}, {}
    for name, (timing, pairs) in runs.items():
        results[name] = {**timing, **score(texts, pairs, truth, known, clusters=name == "text-dedup")}
        r = results[name]
        note = ""
        if name.startswith("datasketch"):
            note = (f"\n{'':17s} bands x rows {r['bands']} x {r['rows']} (a pair at {THRESHOLD} is a candidate with "
                    f"probability {r['p_candidate_at_threshold']:.3f}), {r['candidates']:,} candidates"
                    + (f", verified in {r['verify_seconds']:.1f} s" if r["setting"] == "recall" else ", unverified"))
        if name == "text-dedup":
            phases = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items() if k != "Total")
            note = (f"\n{'':17s} {r['clusters']:,} clusters, bands x rows {r['bands']} x {r['rows']}, tree PSS peak "
                    f"{r['tree_pss_peak_gib']:.2f} GiB; its phases (s): {phases}")
        print(f"{name:17s} {r['seconds']:8.1f} s  peak {r['peak_gib']:.2f} GiB  pairs {r['pairs']:,}  "
              f"precision {r['precision']:.4f}  recall {r['recall']:.4f}  F1 {r['f1']:.4f}{note}")
    if "text-dedup" in runs:
        print("cluster level (each tool's pairs -> connected components -> every pair within one):")
        for name, (_, pairs) in runs.items():
            clustered[name] = c = score(texts, pairs, truth, known, clusters=True)
            print(f"{name:17s} pairs {c['pairs']:,}  precision {c['precision']:.4f}  recall {c['recall']:.4f}  "
                  f"F1 {c['f1']:.4f}")
    ours, peer, tuned = results["synthloom"], results["datasketch"], results["datasketch tuned"]
    line = (f"RESULT dedup_vs_peers docs={len(texts)} ours_s={ours['seconds']:.1f} datasketch_s={peer['seconds']:.1f} "
            f"speedup={peer['seconds'] / ours['seconds']:.1f} ours_peak_gib={ours['peak_gib']:.2f} "
            f"datasketch_peak_gib={peer['peak_gib']:.2f} ours_f1={ours['f1']:.4f} datasketch_f1={peer['f1']:.4f} "
            f"ours_precision={ours['precision']:.4f} ours_recall={ours['recall']:.4f} "
            f"datasketch_precision={peer['precision']:.4f} datasketch_recall={peer['recall']:.4f} "
            f"datasketch_tuned_s={tuned['seconds']:.1f} speedup_vs_datasketch_tuned={tuned['seconds'] / ours['seconds']:.1f} "
            f"datasketch_tuned_bands={tuned['bands']}x{tuned['rows']} datasketch_tuned_f1={tuned['f1']:.4f} "
            f"datasketch_tuned_precision={tuned['precision']:.4f} datasketch_tuned_recall={tuned['recall']:.4f} "
            f"datasketch_tuned_peak_gib={tuned['peak_gib']:.2f}")
    if "text-dedup" in results:
        td = results["text-dedup"]
        line += (f" textdedup_s={td['seconds']:.1f} speedup_vs_textdedup={td['seconds'] / ours['seconds']:.1f} "
                 f"textdedup_f1={td['f1']:.4f} textdedup_peak_gib={td['peak_gib']:.2f} "
                 f"ours_cluster_f1={clustered['synthloom']['f1']:.4f} "
                 f"datasketch_cluster_f1={clustered['datasketch']['f1']:.4f} "
                 f"datasketch_tuned_cluster_f1={clustered['datasketch tuned']['f1']:.4f}")
    print(line)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
