"""What kernel confinement costs a python validator, on the engine benchmark's workload.

engine_throughput.py's run (1,000 rows, two LLM columns and a judge, 50 ms scripted server,
concurrency 32) plus one `type: python` validator column over the answer, run with the confined
runner (today's sandbox.py) and with the audit-hook runner it replaced (sandbox.py and
sandbox_runner.py of commit a80f589, checked out into a temp folder with `git show`), alternating,
in the same process and against the same server. Also the run without the validator, as the
floor. The figure is the extra wall time of the confined runner over the old one.

    .venv/bin/python benchmarks/validator_overhead.py [--rows 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_throughput as bench  # noqa: E402

from synthloom.config import parse_recipe  # noqa: E402
from synthloom.generate import generate_run  # noqa: E402
from synthloom.generate import sandbox as confined  # noqa: E402
from synthloom.generate.columns import validators  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "a80f589"
VALIDATOR = """
  - name: answer_ok
    kind: validator
    type: python
    target: answer
    code: |
      def validate(value, row):
          words = value.split()
          return len(words) > 0 and row["topic"] in ("birds", "rivers", "stars", "code", "law") or "empty answer"
"""


def old_worker_class(folder: Path) -> type:
    """SandboxWorker as of OLD_COMMIT, loaded from files checked out into `folder`."""
    for name in ("sandbox.py", "sandbox_runner.py"):
        text = subprocess.run(["git", "show", f"{OLD_COMMIT}:src/synthloom/generate/{name}"], cwd=ROOT,
                              check=True, capture_output=True, text=True).stdout
        (folder / name).write_text(text)
    spec = importlib.util.spec_from_file_location("old_sandbox", folder / "sandbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SandboxWorker


def one_run(url: str, rows: int, with_validator: bool) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as out:
        text = bench.recipe_yaml(url, out, rows, 32, 64) + (VALIDATOR if with_validator else "")
        recipe = parse_recipe(text)
        t0 = time.perf_counter()
        summary = asyncio.run(generate_run(recipe))
        elapsed = time.perf_counter() - t0
    checked = sum(n for col, _, n in summary.rejections if col == "answer_ok")
    return elapsed, summary.accepted, checked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"none": [], "old": [], "confined": []}
    with tempfile.TemporaryDirectory() as old_dir, bench.scripted_server(0.05) as url:
        workers = {"old": old_worker_class(Path(old_dir)), "confined": confined.SandboxWorker}
        one_run(url, 64, False)  # warm-up: imports, server, page cache
        for _ in range(args.repeats):
            for name in ("none", "old", "confined"):
                if name != "none":
                    validators.SandboxWorker = workers[name]
                elapsed, accepted, rejected = one_run(url, args.rows, name != "none")
                times[name].append(elapsed)
                print(f"{name:9s} {elapsed:6.2f}s accepted={accepted} rejected_by_validator={rejected}", flush=True)
        validators.SandboxWorker = confined.SandboxWorker
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    extra = best["confined"] / best["old"] - 1
    print(
        f"RESULT validator_overhead rows={args.rows} repeats={args.repeats} none_s={best['none']:.2f} "
        f"old_s={best['old']:.2f} confined_s={best['confined']:.2f} median_old_s={median['old']:.2f} "
        f"median_confined_s={median['confined']:.2f} extra_vs_old={extra * 100:+.1f}% "
        f"extra_vs_none={(best['confined'] / best['none'] - 1) * 100:+.1f}%"
    )


if __name__ == "__main__":
    main()
