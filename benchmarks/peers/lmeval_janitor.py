"""Runs in lm-evaluation-harness's venv (benchmarks/.venv-lmeval): 13-gram decontamination with
its `Janitor` (lm_eval.decontamination.janitor), the way its docstrings describe: every benchmark
item is registered as a contaminant, then each document is cleaned. A document counts as
contaminated when cleaning changed it (Janitor cut a window around a matching 13-gram, or dropped
the whole document as too dirty). Janitor runs in its pure-Python mode: its C++ helper is not in
the package (it must be compiled from the repository by hand).

    python lmeval_janitor.py CORPUS.jsonl ITEMS.jsonl OUT.json

Prints one JSON line: seconds, documents per second, peak RSS."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time


def main(corpus: str, items: str, out: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from lm_eval.decontamination.janitor import Janitor  # warns that its C++ helper is missing
    texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    bench = [json.loads(line)["text"] for line in open(items, encoding="utf-8")]
    t0 = time.perf_counter()
    janitor = Janitor(ngram_n=13)
    for item in bench:
        janitor.register_contaminant_python(item)
    contaminated = [i for i, t in enumerate(texts) if janitor.clean_python(t) != [t]]
    seconds = time.perf_counter() - t0
    with open(out, "w", encoding="utf-8") as f:
        json.dump(contaminated, f)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"seconds": seconds, "docs_per_s": len(texts) / seconds, "peak_gib": peak,
                      "found": len(contaminated)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
