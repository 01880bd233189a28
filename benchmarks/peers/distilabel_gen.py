"""The engine_vs_peers workload as a distilabel 1.5.3 pipeline (the peer side).

Runs under benchmarks/.venv-distilabel/bin/python, started by benchmarks/engine_vs_peers.py:

    .venv-distilabel/bin/python distilabel_gen.py --url http://127.0.0.1:PORT/v1 --rows N --concurrency C [--judge]

    LoadDataFromDicts (N rows, `topic` sampled from engine_vs_peers.CATEGORIES)
      -> TextGeneration "question"  "Ask a question about {{ topic }}."
      -> TextGeneration "score"     "Topic: {{ topic }}. Question: {{ question }}" + a JSON score request  (--judge)

Settings, and why:
- distilabel has no cap on requests in flight. An LLM step takes `input_batch_size` rows at a
  time and sends them all at once (asyncio.gather over the batch); each step, and each replica of
  a step, is its own process with its own batches. What is in flight is the sum over the LLM
  steps' replicas of their `input_batch_size`. So: without the judge, the question step has
  `input_batch_size=C` (one replica); with it, the two steps run side by side (the judge takes
  the question step's finished batches), each with `input_batch_size=C//2`, so together they
  never exceed C. One replica each: a replica is a process, the machine has 2 cores, and the
  earlier engine_vs_distilabel runs showed distilabel's per-batch bookkeeping (it re-serialises
  the pipeline and batch manager to its cache directory after every batch, whatever `use_cache`
  says) already keeps a core busy; more, smaller batches only add to it. (200 rows, C=32, 0.2 s
  latency: 1 x 32 took 5.6-5.7 s, 2 replicas x 16 took 6.3 s.)
- `LoadDataFromDicts(batch_size=N)`: the rows leave the loader as one batch, so the question
  step's batches are never held up by the loader and the bookkeeping is per LLM batch only
  (same run with the loader's batch = the step's batch: 7.3 s; with the judge 11.4 s vs 9.3 s).
- `OpenAILLM(base_url=--url, model="latency", api_key="dummy")` with its defaults (6 retries
  in the openai client, which honours Retry-After), `use_cache=False`, no raw input/output kept.
- The judge: distilabel's `structured_output` for OpenAILLM goes through `instructor` (not
  installed here) and its judge tasks (UltraFeedback, QualityScorer, ...) parse free text with
  their own formats. So the judge is a TextGeneration whose request carries
  `extra_body={"response_format": {"type": "json_schema", ...}}` (a score 1-5, as the thread-pool
  baseline sends); the latency server answers a valid instance and this script checks that every
  judge output parses as JSON with a score.
- Offline: HF_HUB_OFFLINE / HF_DATASETS_OFFLINE / HF_HUB_DISABLE_TELEMETRY, DO_NOT_TRACK=1,
  DISTILABEL_TELEMETRY=0, distilabel's cache dir in a temp dir; the only traffic is to --url.

Timing: `pipeline.run()` alone (imports, pipeline construction and interpreter start are not
timed; the ~3 s distilabel spends inside `run()` starting and loading its step processes is, and
is also reported apart as `startup_s`). The last stdout line is JSON: {"wall_s", "rows",
"settings", ...}; rows = rows with a non-empty question (and, with --judge, a parsed score).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from typing import Any

from peer_common import LoadedMark, runner_args  # this folder is the script's own, so it is on the path

CATEGORIES = ["birds", "rivers", "stars", "code", "law", "ships", "tea", "glass"]  # engine_vs_peers.CATEGORIES
SCORE_SCHEMA = {"type": "object", "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
                "required": ["score"]}
JUDGE_TEMPLATE = ("Topic: {{ topic }}. Question: {{ question }}\n"
                  'Rate how clear and on-topic the question is, from 1 to 5. Answer with JSON: {"score": <1-5>}.')


def parsed_score(value: Any) -> bool:
    try:
        obj = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        return False
    return isinstance(obj, dict) and obj.get("score") in (1, 2, 3, 4, 5)


def main() -> None:
    args = runner_args()
    per_step = max(1, args.concurrency // 2) if args.judge else args.concurrency

    for name, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                        "DO_NOT_TRACK": "1", "DISTILABEL_TELEMETRY": "0", "OPENAI_API_KEY": "dummy"}.items():
        os.environ[name] = value
    os.environ.pop("OPENAI_BASE_URL", None)
    cache = tempfile.TemporaryDirectory(prefix="distilabel-bench-")
    os.environ["DISTILABEL_CACHE_DIR"] = cache.name

    from distilabel.models import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration
    from distilabel.utils import logging as dl_logging

    # distilabel silences "httpx" (an INFO line per request otherwise); the openai client here
    # sends through its fork "httpx2", so silence that too. Step processes inherit the list.
    dl_logging._SILENT_LOGGERS.extend(["httpx2", "httpcore2"])

    rng = random.Random(args.seed)
    data = [{"topic": rng.choice(CATEGORIES)} for _ in range(args.rows)]

    def step(name: str, template: str, columns: list[str], **generation: Any) -> TextGeneration:
        return TextGeneration(
            name=name,
            llm=OpenAILLM(base_url=args.url, model="latency", api_key="dummy",
                          generation_kwargs=generation or {}),
            template=template,
            columns=columns,
            output_mappings={"generation": name},
            input_batch_size=per_step,
            add_raw_output=False,
            add_raw_input=False,
        )

    with Pipeline(name="engine-vs-peers") as pipeline:
        load = LoadDataFromDicts(name="topics", data=data, batch_size=args.rows)
        question = step("question", "Ask a question about {{ topic }}.", ["topic"])
        load >> question
        if args.judge:
            response_format = {"type": "json_schema", "json_schema": {"name": "score", "schema": SCORE_SCHEMA}}
            judge = step("score", JUDGE_TEMPLATE, ["topic", "question"], extra_body={"response_format": response_format})
            question >> judge

    loaded = LoadedMark()
    wall0, start = time.time(), time.perf_counter()
    distiset = pipeline.run(use_cache=False, logging_handlers=[loaded])
    wall = time.perf_counter() - start

    ds = distiset["default"]["train"]
    questions = ds["question"] if "question" in ds.column_names else [None] * ds.num_rows
    scores = ds["score"] if "score" in ds.column_names else [None] * ds.num_rows
    ok = sum(1 for i, q in enumerate(questions)
             if isinstance(q, str) and q.strip() and (not args.judge or parsed_score(scores[i])))
    steps = "question" + (" + score" if args.judge else "")
    settings = (f"input_batch_size={per_step} per LLM step ({steps}), 1 replica each, "
                f"<= {per_step * (2 if args.judge else 1)} in flight; loader batch_size={args.rows}; use_cache=False"
                + ("; judge: TextGeneration + extra_body response_format json_schema" if args.judge else ""))
    print(json.dumps({"wall_s": wall, "rows": ok, "settings": settings, "records": ds.num_rows,
                      "startup_s": (loaded.at - wall0) if loaded.at else None}), flush=True)
    cache.cleanup()
    sys.exit(0)


if __name__ == "__main__":
    main()
