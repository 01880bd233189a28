"""Engine throughput against a scripted OpenAI-compatible server with fixed latency.

1,000 rows, two LLM columns and one judge (3 calls per row), endpoint concurrency 32,
50 ms per request. The ideal is calls x latency / concurrency; we report achieved / ideal.
The server runs in its own process so it does not share the engine's interpreter.

    .venv/bin/python benchmarks/engine_throughput.py [--rows 1000] [--latency 0.05] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator

from synthloom.config import parse_recipe
from synthloom.generate import generate_run
from synthloom.testing.latency_server import started


@contextlib.contextmanager
def scripted_server(latency: float) -> Iterator[str]:
    """The scripted server in its own process, polled until /v1/models answers; yields its URL."""
    with started("--latency", str(latency), module="synthloom.testing.openai_server") as url:
        yield url


def recipe_yaml(url: str, out: str, rows: int, concurrency: int, batch: int) -> str:
    return f"""
name: bench
target_rows: {rows}
batch_size: {batch}
concurrent_batches: 2
output_dir: {out}
models:
  teacher:
    provider: openai
    model: scripted
    endpoints: [{{url: "{url}", max_concurrency: {concurrency}}}]
columns:
  - {{name: topic, kind: sampler, type: category, values: [birds, rivers, stars, code, law]}}
  - {{name: question, kind: llm_text, model: teacher, prompt: "Ask a question about {{{{ topic }}}}."}}
  - {{name: answer, kind: llm_text, model: teacher, prompt: "Answer: {{{{ question }}}}"}}
  - {{name: score, kind: judge, model: teacher, prompt: "Q: {{{{ question }}}} A: {{{{ answer }}}}"}}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    with scripted_server(args.latency) as url, tempfile.TemporaryDirectory() as out:
        recipe = parse_recipe(recipe_yaml(url, out, args.rows, args.concurrency, args.batch))
        t0 = time.perf_counter()
        summary = asyncio.run(generate_run(recipe))
        elapsed = time.perf_counter() - t0
    calls = sum(u.calls for u in summary.usage)
    ideal = calls * args.latency / args.concurrency
    print(f"rows accepted {summary.accepted}, model calls {calls}, elapsed {elapsed:.2f}s, ideal {ideal:.2f}s")
    print(
        f"RESULT engine_throughput rows={summary.accepted} calls={calls} concurrency={args.concurrency} "
        f"latency_ms={args.latency * 1000:.0f} achieved_s={elapsed:.2f} ideal_s={ideal:.2f} "
        f"ratio={elapsed / ideal:.2f}"
    )


if __name__ == "__main__":
    main()
