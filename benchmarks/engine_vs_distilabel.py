"""synthloom's engine against distilabel 1.5.3 on the same workload, same run, same machine.

The workload is engine_throughput.py's: 1,000 rows, per row a sampled topic, an LLM question
(prompt uses the topic), an LLM answer (prompt uses the question) and a judge call (prompt uses
both) -- 3 chat calls per row against the scripted OpenAI-compatible server with a fixed 50 ms
latency, at most 32 requests in flight. Each tool gets a fresh server process (same code, same
latency, started the same way), so the server's /stats (requests, max in flight) are per tool.

synthloom runs in this interpreter through `generate_run` (engine_throughput.py's recipe, with
batch_size 50 so it makes exactly 3,000 calls like the peer). distilabel runs in its own venv
as a subprocess, benchmarks/peers/distilabel_pipeline.py; that helper times `pipeline.run`
alone. ideal = 3 x rows x latency / concurrency.

The peer venv is made once, from the repository root (nothing is installed at run time):

    python3.11 -m venv benchmarks/.venv-distilabel
    benchmarks/.venv-distilabel/bin/pip install -c constraints.txt distilabel==1.5.3 openai requests

(`requests` because distilabel 1.5.3 imports it and nothing else there pulls it in; if
anything tries to pull torch, constraints.txt pins the local CPU build.) Then, from the
repository root:

    .venv/bin/python benchmarks/engine_vs_distilabel.py [--rows 1000] [--distilabel-batch 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine_throughput import recipe_yaml, scripted_server  # noqa: E402

from synthloom.config import parse_recipe  # noqa: E402
from synthloom.data.runs.run_store import open_existing  # noqa: E402
from synthloom.generate import generate_run  # noqa: E402

PEER_VENV = HERE / ".venv-distilabel"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PEER_HELPER = HERE / "peers" / "distilabel_pipeline.py"
PEER_VERSION = "1.5.3"
COLUMNS = ("topic", "question", "answer", "score")
CALLS_PER_ROW = 3
# No hub, no telemetry, no real key: the only traffic is to the local scripted server.
PEER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "OPENAI_API_KEY": "dummy",
}


def server_stats(url: str) -> dict:
    return httpx.get(url.removesuffix("/v1") + "/stats", timeout=5).json()


def peer_installed() -> bool:
    site = list(PEER_VENV.glob(f"lib/python3*/site-packages/distilabel-{PEER_VERSION}.dist-info"))
    return PEER_PYTHON.exists() and bool(site)


def run_synthloom(args: argparse.Namespace) -> dict:
    with scripted_server(args.latency) as url, tempfile.TemporaryDirectory() as out:
        recipe = parse_recipe(recipe_yaml(url, out, args.rows, args.concurrency, args.synthloom_batch))
        t0 = time.perf_counter()
        summary = asyncio.run(generate_run(recipe))
        elapsed = time.perf_counter() - t0
        table = open_existing(summary.run_dir).read_accepted()
        stats = server_stats(url)
    empty = {
        c: sum(1 for v in table.column(c).to_pylist() if v in (None, "", {}))
        for c in COLUMNS
        if c in table.column_names
    }
    return {
        "elapsed_s": elapsed,
        "rows": table.num_rows,
        "columns": table.column_names,
        "empty": empty,
        "calls": sum(u.calls for u in summary.usage),
        "cached_calls": sum(u.cached_calls for u in summary.usage),
        "requests": stats["requests"],
        "max_in_flight": stats["max_in_flight"],
    }


def run_distilabel(args: argparse.Namespace) -> dict:
    env = {**os.environ, **PEER_ENV}
    env.pop("OPENAI_BASE_URL", None)
    with scripted_server(args.latency) as url, tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "distilabel.log"
        cmd = [str(PEER_PYTHON), str(PEER_HELPER), "--base-url", url, "--rows", str(args.rows)]
        cmd += ["--input-batch-size", args.distilabel_batch, "--seed", str(args.seed)]
        with log.open("w") as fh:
            proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=tmp)
        stats = server_stats(url)
        text = log.read_text(errors="replace")
    lines = text.splitlines()
    found = [ln for ln in lines if ln.startswith("DISTILABEL_JSON ")]
    if proc.returncode != 0 or not found:
        print("\n".join(lines[-40:]), file=sys.stderr)
        raise SystemExit(f"the distilabel helper failed (exit {proc.returncode}); its output's tail is above")
    result = json.loads(found[-1].removeprefix("DISTILABEL_JSON "))
    result["requests"] = stats["requests"]
    result["max_in_flight"] = stats["max_in_flight"]
    # Anything the peer said that looks like a problem, shown once each (not counted as failure).
    noisy = ("UnsupportedFieldAttributeWarning", "warnings.warn(")
    odd = [
        ln.strip()
        for ln in lines
        if any(k in ln.lower() for k in ("error", "warning")) and not any(n in ln for n in noisy)
    ]
    result["odd"] = list(dict.fromkeys(odd))[:5]
    result["pydantic_warnings"] = sum("UnsupportedFieldAttributeWarning" in ln for ln in lines)
    return result


def check(name: str, res: dict, rows: int) -> list[str]:
    problems = []
    if res["rows"] != rows:
        problems.append(f"{name}: {res['rows']} rows, expected {rows}")
    missing = [c for c in COLUMNS if c not in res["columns"]]
    if missing:
        problems.append(f"{name}: missing columns {missing}")
    if any(res["empty"].values()):
        problems.append(f"{name}: empty values {res['empty']}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=32, help="synthloom's endpoint max_concurrency")
    ap.add_argument("--synthloom-batch", type=int, default=50, help="50 divides 1,000: exactly 3 calls per row")
    ap.add_argument(
        "--distilabel-batch",
        default="32",
        help="input_batch_size of each distilabel LLM step (N, or Nq,Na,Nj); each step has that many in flight",
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    if not peer_installed():
        print(
            f"distilabel {PEER_VERSION} is not installed in {PEER_VENV}; create it once with "
            f"`python3.11 -m venv benchmarks/.venv-distilabel && benchmarks/.venv-distilabel/bin/pip install "
            f"-c constraints.txt distilabel=={PEER_VERSION} openai requests` (see this file's docstring).",
            file=sys.stderr,
        )
        sys.exit(2)

    ideal = CALLS_PER_ROW * args.rows * args.latency / args.concurrency
    print(f"workload: {args.rows} rows x {CALLS_PER_ROW} chat calls, {args.latency * 1000:.0f} ms latency, "
          f"cap {args.concurrency} in flight; one fresh scripted server per tool; ideal {ideal:.2f}s")

    sl = run_synthloom(args)
    print(f"synthloom:  {sl['elapsed_s']:.2f}s  rows {sl['rows']}  calls {sl['calls']} (cached {sl['cached_calls']})  "
          f"server requests {sl['requests']}  max in flight {sl['max_in_flight']}  "
          f"(max_concurrency {args.concurrency}, batch_size {args.synthloom_batch})")

    dl = run_distilabel(args)
    startup = f"{dl['startup_s']:.2f}s" if dl.get("startup_s") is not None else "?"
    print(f"distilabel: {dl['elapsed_s']:.2f}s  rows {dl['rows']}  server requests {dl['requests']}  "
          f"max in flight {dl['max_in_flight']}  (input_batch_size {dl['input_batch_size']} per LLM step, "
          f"use_cache=False; {startup} of the run is loading its step processes)")
    for line in dl["odd"]:
        print(f"  distilabel said: {line}")
    if dl["pydantic_warnings"]:
        print(f"  distilabel import printed {dl['pydantic_warnings']} pydantic UnsupportedFieldAttributeWarning(s)")

    problems = check("synthloom", sl, args.rows) + check("distilabel", dl, args.rows)
    if sl["requests"] != sl["calls"]:
        problems.append(f"synthloom: server saw {sl['requests']} requests, engine counted {sl['calls']} calls")
    if dl["requests"] != CALLS_PER_ROW * args.rows:
        problems.append(f"distilabel: server saw {dl['requests']} requests, expected {CALLS_PER_ROW * args.rows}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)

    print(
        f"RESULT engine_vs_distilabel rows={args.rows} synthloom_s={sl['elapsed_s']:.2f} "
        f"distilabel_s={dl['elapsed_s']:.2f} speedup={dl['elapsed_s'] / sl['elapsed_s']:.2f} ideal_s={ideal:.2f}"
    )


if __name__ == "__main__":
    main()
