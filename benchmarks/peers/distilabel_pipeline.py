"""The engine_vs_distilabel workload as a distilabel 1.5.3 pipeline (the peer side).

Runs under benchmarks/.venv-distilabel/bin/python, started by benchmarks/engine_vs_distilabel.py:

    LoadDataFromDicts (N sampled topics)
      -> TextGeneration "question"  prompt "Ask a question about {{ topic }}."
      -> TextGeneration "answer"    prompt "Answer: {{ question }}"
      -> TextGeneration "judge"     prompt "Q: {{ question }} A: {{ answer }}"

3 chat calls per row through OpenAILLM(base_url=..., model="scripted", api_key="dummy"),
caching off (`use_cache=False`). distilabel has no global cap on requests in flight: each
LLM step sends one batch of `input_batch_size` rows at a time (asyncio.gather over the batch)
and every step runs in its own process, so the cap is per step, set with --input-batch-size
(one value, or three comma-separated values for question,answer,judge).

Where distilabel's time goes here (2 cores, shared with the server): ~2.8 s loading one
process per step, then its coordinating thread re-serialises the pipeline and batch manager
to its cache directory after every batch (`BasePipeline._cache`, whatever `use_cache` says),
which keeps a core busy; larger batches amortise that but exceed the 32-in-flight cap.

The pipeline run alone is timed (imports, pipeline construction and interpreter start are
not). The last stdout line is `DISTILABEL_JSON {...}` with the elapsed seconds, row count,
columns and empty generations, for the caller to check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

from peer_common import LoadedMark  # this folder is the script's own, so it is on the path

TOPICS = ["birds", "rivers", "stars", "code", "law"]  # the synthloom recipe's sampler values


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--input-batch-size", default="32", help="N or Nq,Na,Nj: rows (= requests) per LLM step batch")
    ap.add_argument("--load-batch-size", type=int, default=50, help="rows per batch out of LoadDataFromDicts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sizes = [int(x) for x in args.input_batch_size.split(",")]
    if len(sizes) == 1:
        sizes *= 3
    if len(sizes) != 3:
        sys.exit("--input-batch-size takes N or three comma-separated values")

    # Nothing leaves the machine but the calls to --base-url; distilabel's cache goes to a temp dir.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("OPENAI_API_KEY", "dummy")
    cache = tempfile.TemporaryDirectory(prefix="distilabel-bench-")
    os.environ["DISTILABEL_CACHE_DIR"] = cache.name

    from distilabel.models import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration
    from distilabel.utils import logging as dl_logging

    # distilabel silences "httpx" (one INFO line per request otherwise), but the openai
    # client installed here sends through its renamed fork "httpx2"; silence that the same
    # way. Step processes are forked after this, so they inherit the list.
    dl_logging._SILENT_LOGGERS.extend(["httpx2", "httpcore2"])

    rng = random.Random(args.seed)
    data = [{"topic": rng.choice(TOPICS)} for _ in range(args.rows)]

    def llm() -> OpenAILLM:
        # max_retries as distilabel's default (6); the scripted server injects no faults here.
        return OpenAILLM(base_url=args.base_url, model="scripted", api_key="dummy")

    with Pipeline(name="engine-vs-distilabel") as pipeline:
        load = LoadDataFromDicts(name="topics", data=data, batch_size=args.load_batch_size)
        def step(name: str, template: str, columns: list[str], output: str, batch: int) -> TextGeneration:
            return TextGeneration(
                name=name,
                llm=llm(),
                template=template,
                columns=columns,
                output_mappings={"generation": output},
                input_batch_size=batch,
                add_raw_output=False,
                add_raw_input=False,
            )

        question = step("question", "Ask a question about {{ topic }}.", ["topic"], "question", sizes[0])
        answer = step("answer", "Answer: {{ question }}", ["question"], "answer", sizes[1])
        judge = step("judge", "Q: {{ question }} A: {{ answer }}", ["question", "answer"], "score", sizes[2])
        load >> question >> answer >> judge

    loaded = LoadedMark()
    wall0, t0 = time.time(), time.perf_counter()
    distiset = pipeline.run(use_cache=False, logging_handlers=[loaded])
    elapsed = time.perf_counter() - t0
    startup = loaded.at - wall0 if loaded.at else None

    ds = distiset["default"]["train"]
    cols = list(ds.column_names)
    empty = {c: sum(1 for v in ds[c] if not v) for c in ("question", "answer", "score") if c in cols}
    print(f"distilabel pipeline.run: {elapsed:.2f}s, {ds.num_rows} rows", flush=True)
    print(
        "DISTILABEL_JSON "
        + json.dumps(
            {
                "elapsed_s": elapsed,
                "startup_s": startup,
                "rows": ds.num_rows,
                "columns": cols,
                "empty": empty,
                "input_batch_size": sizes,
            }
        ),
        flush=True,
    )
    cache.cleanup()


if __name__ == "__main__":
    main()
