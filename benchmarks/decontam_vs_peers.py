"""Decontamination throughput and recall: synthloom's n-gram stage against the 13-gram `Janitor`
of lm-evaluation-harness, same corpus, same benchmark items, same run, same 2 cores.

Corpus: --docs synthetic documents of 80-120 words (the generator of dedup_vs_peers.py).
Benchmark: --items items of 30-60 words from the same vocabulary. Planted, --planted of each:
  copies       a run of 13-25 consecutive words of an item written into the middle of a document
  near copies  a whole item with every 11th word replaced (so no 13 words in a row survive,
               but 10-word runs do), followed by 20 words of filler: a light rewrite
synthloom's default rules should remove both kinds (a shared 13-gram; a shared 10-gram plus a
difflib ratio >= 0.5); a 13-gram rule alone can only find the copies. Random documents share no
13-gram with the items, so anything else reported is a false positive.

Each tool runs in its own process, timed from the texts in memory to the set of contaminated
documents (building its n-gram index included). synthloom is timed twice: with its default
rules, and with the 13-gram rule alone (the same rule as Janitor).

    .venv/bin/python benchmarks/decontam_vs_peers.py [--docs 500000] [--items 5000] [--planted 1000]

lm-evaluation-harness's venv (git-ignored), made once; Janitor needs only the standard library:

    python3.11 -m venv benchmarks/.venv-lmeval
    benchmarks/.venv-lmeval/bin/pip install --no-deps lm-eval
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from dedup_vs_peers import child, corpus  # this script's folder is on the path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LMEVAL = HERE / ".venv-lmeval" / "bin" / "python"


def planted_corpus(docs: int, items: int, planted: int, seed: int = 0) -> tuple[list[str], list[str], dict]:
    texts, _ = corpus(docs, 0, seed)
    rng = np.random.default_rng(seed + 1)
    bench = [" ".join(t.split()[: int(rng.integers(30, 61))]) for t in corpus(items, 0, seed + 2)[0]]
    chosen = rng.choice(docs, 2 * planted, replace=False)
    truth: dict[str, set[int]] = {"copies": set(), "near_copies": set()}
    for k, d in enumerate(chosen.tolist()):
        item = bench[int(rng.integers(0, items))].split()
        if k < planted:
            run = int(rng.integers(13, 26))
            start = int(rng.integers(0, len(item) - run + 1))
            w = texts[d].split()
            texts[d] = " ".join(w[:40] + item[start:start + run] + w[40:])
            truth["copies"].add(d)
        else:
            for pos in range(5, len(item), 11):
                item[pos] = "zzedit" + str(pos)
            texts[d] = " ".join(item + texts[d].split()[:20])
            truth["near_copies"].add(d)
    return texts, bench, truth


def run_ours(corpus_path: str, items_path: str, out: str) -> None:
    from synthloom.config.curation import Decontaminate
    from synthloom.curate.decontaminate import ngram_matches

    texts = [json.loads(line)["text"] for line in open(corpus_path, encoding="utf-8")]
    items = [json.loads(line)["text"] for line in open(items_path, encoding="utf-8")]
    timings = {}
    for name, ratio_ngram in (("default", 10), ("13gram", None)):
        step = Decontaminate.model_validate({"kind": "decontaminate", "benchmarks": [{"path": items_path}],
                                             "ratio_ngram": ratio_ngram})
        t0 = time.perf_counter()
        found = ngram_matches(step, texts, items)
        timings[name] = {"seconds": time.perf_counter() - t0, "found": sorted(found)}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(timings, f)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"peak_gib": peak, **{k: v["seconds"] for k, v in timings.items()}}))


def score(found: set[int], truth: dict[str, set[int]]) -> dict:
    every = set().union(*truth.values())
    return {**{f"recall_{k}": len(found & v) / len(v) for k, v in truth.items()},
            "false_positives": len(found - every)}


def write_jsonl(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t}) + "\n" for t in texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=500_000)
    ap.add_argument("--items", type=int, default=5_000)
    ap.add_argument("--planted", type=int, default=1_000)
    ap.add_argument("--run-ours", nargs=3, metavar=("CORPUS", "ITEMS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_ours:
        return run_ours(*args.run_ours)
    if not LMEVAL.exists():
        print("lm-evaluation-harness's venv is missing; see this script's docstring", file=sys.stderr)
        raise SystemExit(2)
    t0 = time.perf_counter()
    texts, bench, truth = planted_corpus(args.docs, args.items, args.planted)
    print(f"{len(texts):,} documents, {len(bench):,} benchmark items, {args.planted:,} copies and "
          f"{args.planted:,} near copies planted; made in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        corpus_path, items_path = Path(tmp) / "corpus.jsonl", Path(tmp) / "items.jsonl"
        write_jsonl(corpus_path, texts)
        write_jsonl(items_path, bench)
        ours = child([sys.executable, __file__, "--run-ours", str(corpus_path), str(items_path), f"{tmp}/ours.json"])
        ours_found = json.loads(Path(f"{tmp}/ours.json").read_text())
        theirs = child([str(LMEVAL), str(HERE / "peers" / "lmeval_janitor.py"), str(corpus_path), str(items_path),
                        f"{tmp}/janitor.json"])
        janitor_found = set(json.loads(Path(f"{tmp}/janitor.json").read_text()))
    n = len(texts)
    rows = {"synthloom": (ours["default"], set(ours_found["default"]["found"])),
            "synthloom 13-gram": (ours["13gram"], set(ours_found["13gram"]["found"])),
            "lm-eval Janitor": (theirs["seconds"], janitor_found)}
    scores = {}
    for name, (seconds, found) in rows.items():
        scores[name] = s = {"seconds": seconds, "docs_per_s": n / seconds, **score(found, truth)}
        print(f"{name:18s} {seconds:7.2f} s  {s['docs_per_s']:>10,.0f} docs/s  recall copies "
              f"{s['recall_copies']:.3f}  near copies {s['recall_near_copies']:.3f}  "
              f"false positives {s['false_positives']}")
    ours_s, same_rule, peer = scores["synthloom"], scores["synthloom 13-gram"], scores["lm-eval Janitor"]
    print(f"RESULT decontam_vs_peers docs={n} items={len(bench)} ours_docs_per_s={ours_s['docs_per_s']:.0f} "
          f"ours_13gram_docs_per_s={same_rule['docs_per_s']:.0f} janitor_docs_per_s={peer['docs_per_s']:.0f} "
          f"speedup={peer['seconds'] / ours_s['seconds']:.1f} "
          f"speedup_same_rule={peer['seconds'] / same_rule['seconds']:.1f} "
          f"ours_recall_copies={ours_s['recall_copies']:.3f} ours_recall_near={ours_s['recall_near_copies']:.3f} "
          f"janitor_recall_copies={peer['recall_copies']:.3f} janitor_recall_near={peer['recall_near_copies']:.3f} "
          f"ours_false_positives={ours_s['false_positives']} janitor_false_positives={peer['false_positives']} "
          f"ours_peak_gib={ours['peak_gib']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    main()
