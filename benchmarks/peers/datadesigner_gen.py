"""The engine_vs_peers workload as a NeMo Data Designer 0.9.7 run (the peer side).

Runs under benchmarks/.venv-datadesigner/bin/python, started by benchmarks/engine_vs_peers.py:

    .venv-datadesigner/bin/python datadesigner_gen.py --url http://127.0.0.1:PORT/v1 --rows N --concurrency C [--judge]

Columns: `topic` (category sampler over engine_vs_peers.CATEGORIES), `question` (LLM text,
"Ask a question about {{ topic }}.") and with --judge `score` (an LLM judge column over both,
one 1-5 score with its reasoning).

Settings, and why (from Data Designer's performance guide and its 0.9.7 engine code):
- One OpenAI-compatible provider on --url, model id "latency"; `max_parallel_requests=C`. The
  engine's request admission keeps one AIMD limit per (provider, model id): it starts at C
  (`startup_ramp_seconds` 0, the default) and every alias on that model shares the cap, so the
  text and judge columns together never have more than C requests in flight.
- `RunConfig(buffer_size=N)`: one row group holds every row, so the async task-queue builder
  (0.9.7's only builder) can start any row's LLM cell as soon as its inputs exist; no row-group
  boundary drains the slots. `max_concurrent_row_groups` and `max_in_flight_tasks` (1024) then
  never bind below C. Early shutdown, restarts and the transport's retries stay at their defaults
  (a benchmark of a default-robust run); `progress_interval` is raised only to keep the log short.
  The Jinja renderer stays `secure` (the default): `native` measured no faster (200 rows, C=32,
  with the judge: 6.42 s vs 6.43 s); the run is bound by one core of Python, not by rendering.
- The judge: Data Designer asks for a judge's JSON in the prompt and parses the answer (a ```json
  fence or a bare JSON document); it sends no `response_format` of its own. The judge alias is the
  same provider and model id (so it shares the C cap) with `extra_body={"response_format": ...}`
  carrying the judge's output schema, inlined (no $ref), as a user would pass guided decoding to
  vLLM. The latency server then answers a valid instance, bare JSON, which the judge's parser
  accepts; the script counts the rows whose score parsed.
- Offline: NEMO_TELEMETRY_ENABLED=false before import, DATA_DESIGNER_SKIP_MODEL_HEALTH_CHECKS=1,
  DATA_DESIGNER_HOME in a temp dir, `otel_metrics_port=None`. `create()` always profiles the
  dataset after generating it, with no switch to turn that off, and the profiler counts tokens with
  tiktoken's cl100k_base, which tiktoken downloads on first use. TIKTOKEN_CACHE_DIR is an empty
  temp dir and the proxy variables point at a closed loopback port (127.0.0.1:9, with the latency
  server's host in NO_PROXY): the download fails at once on this machine and the profiler only logs
  a warning about its token statistics.

Timing: from `create()` until the profiler starts (its "Measuring dataset column statistics" log
record): generation, including writing the parquet row group. The profiler's own seconds are
reported apart as `profile_s`. Imports, interpreter start and building the config are not timed.
The last stdout line is JSON: {"wall_s", "rows", "settings", ...}; rows = rows with a non-empty
question (and, with --judge, a parsed score).
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlparse

from peer_common import runner_args  # this folder is the script's own, so it is on the path

CATEGORIES = ["birds", "rivers", "stars", "code", "law", "ships", "tea", "glass"]  # engine_vs_peers.CATEGORIES
SCORE_OPTIONS = {1: "off topic", 2: "vague", 3: "fine", 4: "clear", 5: "excellent"}


class Marks(logging.Handler):
    """Notes when the profiler starts, and keeps the warnings seen (to report them)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.profile_at: float | None = None
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.profile_at is None and "Measuring dataset column statistics" in message:
            self.profile_at = time.perf_counter()
        if record.levelno >= logging.WARNING:
            self.warnings.append(message.splitlines()[0][:200] if message else record.name)


def offline_env(url: str, home: str) -> None:
    os.environ["NEMO_TELEMETRY_ENABLED"] = "false"
    os.environ["DATA_DESIGNER_SKIP_MODEL_HEALTH_CHECKS"] = "1"
    os.environ["DATA_DESIGNER_HOME"] = home
    os.environ["DISABLE_DATA_DESIGNER_PLUGINS"] = "true"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["DO_NOT_TRACK"] = "1"
    cache = os.path.join(home, "tiktoken-cache")
    os.makedirs(cache, exist_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache  # empty: tiktoken would download cl100k_base ...
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ[name] = "http://127.0.0.1:9"  # ... through a closed loopback port, so it fails at once
    host = urlparse(url).hostname or "127.0.0.1"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = f"{host},127.0.0.1,localhost"


def judge_schema() -> dict[str, Any]:
    """The judge's output schema as Data Designer builds it for one score, without $ref."""
    return {
        "type": "object",
        "properties": {
            "quality": {
                "type": "object",
                "properties": {
                    "reasoning": {"type": "string"},
                    "score": {"type": "integer", "enum": list(SCORE_OPTIONS)},
                },
                "required": ["reasoning", "score"],
            }
        },
        "required": ["quality"],
    }


def main() -> None:
    args = runner_args()

    home = tempfile.TemporaryDirectory(prefix="datadesigner-bench-")
    offline_env(args.url, home.name)

    import data_designer.config as dd
    from data_designer.interface import DataDesigner

    random.seed(args.seed)
    params = dict(max_parallel_requests=args.concurrency, timeout=60)
    provider = dd.ModelProvider(name="latency-server", endpoint=args.url, provider_type="openai", api_key="dummy")
    models = [dd.ModelConfig(alias="teacher", model="latency", provider="latency-server",
                             inference_parameters=dd.ChatCompletionInferenceParams(**params))]
    if args.judge:
        response_format = {"type": "json_schema",
                           "json_schema": {"name": "JudgeStructuredOutput", "schema": judge_schema()}}
        models.append(dd.ModelConfig(
            alias="judge", model="latency", provider="latency-server",
            inference_parameters=dd.ChatCompletionInferenceParams(**params, extra_body={"response_format": response_format})))

    builder = dd.DataDesignerConfigBuilder(model_configs=models)
    builder.add_column(dd.SamplerColumnConfig(name="topic", sampler_type=dd.SamplerType.CATEGORY,
                                              params=dd.CategorySamplerParams(values=CATEGORIES)))
    builder.add_column(dd.LLMTextColumnConfig(name="question", model_alias="teacher",
                                              prompt="Ask a question about {{ topic }}."))
    if args.judge:
        builder.add_column(dd.LLMJudgeColumnConfig(
            name="score", model_alias="judge", prompt="Topic: {{ topic }}. Question: {{ question }}",
            scores=[dd.Score(name="quality", description="How clear and on-topic the question is.",
                             options=SCORE_OPTIONS)]))

    run_config = dd.RunConfig(buffer_size=args.rows, otel_metrics_port=None, progress_interval=30.0)
    designer = DataDesigner(artifact_path=os.path.join(home.name, "artifacts"), model_providers=[provider])
    designer.set_run_config(run_config)
    marks = Marks()
    logging.getLogger().addHandler(marks)
    logging.getLogger().setLevel(min(logging.getLogger().level or logging.INFO, logging.INFO))

    start = time.perf_counter()
    results = designer.create(builder, num_records=args.rows, dataset_name="bench")
    end = time.perf_counter()
    generated = (marks.profile_at or end) - start

    df = results.load_dataset()
    ok = df["question"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    if args.judge and "score" in df.columns:
        def parsed(v: Any) -> bool:
            v = json.loads(v) if isinstance(v, str) else v
            return isinstance(v, dict) and isinstance(v.get("quality"), dict) and v["quality"].get("score") in SCORE_OPTIONS
        ok &= df["score"].map(parsed)
    elif args.judge:
        ok &= False
    settings = (f"max_parallel_requests={args.concurrency} (one AIMD cap per model, shared by "
                f"{'both aliases' if args.judge else 'the alias'}), buffer_size={args.rows}, async task-queue builder"
                + (", judge: LLMJudgeColumnConfig + extra_body response_format json_schema" if args.judge else ""))
    print(json.dumps({"wall_s": generated, "rows": int(ok.sum()), "settings": settings,
                      "create_s": end - start, "profile_s": (end - marks.profile_at) if marks.profile_at else None,
                      "records": len(df), "warnings": list(dict.fromkeys(marks.warnings))[:5]}), flush=True)
    home.cleanup()
    sys.exit(0)


if __name__ == "__main__":
    main()
