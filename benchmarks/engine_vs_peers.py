"""How busy each generator keeps a latency-bound server: synthloom with default settings, a plain
thread pool, and (when their venvs exist) NeMo Data Designer and distilabel, in the same run;
beside two references (engine_bounds.py): a bare aiohttp client with no per-row work, and the
simulated efficiency of a client that costs nothing (tool `ideal`, skipped with --no-ideal).

The workload (issue 16): N rows, one sampled category and one LLM text column whose prompt uses
it (`--judge` adds an LLM judge column that reads both), against synthloom.testing.latency_server
in its own process: a fixed time per request, optionally a capacity with a queue, and injected
500s or 429s with Retry-After. Each tool gets a fresh server process. synthloom's recipe is
written as the README writes one: only the endpoint's `max_concurrency`, no batch settings.

    efficiency = answered requests x latency / concurrency / wall time

where wall time is the tool's own generation time and answered requests are the server's 200s
(a refused or failed request does no useful work). 1.0 means every slot was busy all the time.
For a server whose capacity is below the configured concurrency, the efficiency is taken
against the capacity, and the report adds the concurrency the client settled at (the server's
time-averaged requests in flight over the second half of the run) and the share refused.

    .venv/bin/python benchmarks/engine_vs_peers.py [--rows 1000] [--scenario c32 ...] [--tools synthloom threads]

Peer venvs are made once, from the repository root (nothing is installed at run time); a tool
whose venv is missing is simply not offered:

    python3.11 -m venv benchmarks/.venv-datadesigner
    benchmarks/.venv-datadesigner/bin/pip install -c constraints.txt data-designer==0.9.7 httpx
    python3.11 -m venv benchmarks/.venv-distilabel
    benchmarks/.venv-distilabel/bin/pip install -c constraints.txt distilabel==1.5.3 openai requests httpx

Each peer runs in its venv's interpreter as a subprocess (benchmarks/peers/datadesigner_gen.py,
benchmarks/peers/distilabel_gen.py; their docstrings give the settings used and why), offline
(telemetry off, no hub, no downloads), and times its own generation call; the server's /stats
are read here as for the others.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from engine_bounds import ideal_efficiency, run_bare
from synthloom.testing.latency_server import started, stats_of

HERE = Path(__file__).resolve().parent
CATEGORIES = ["birds", "rivers", "stars", "code", "law", "ships", "tea", "glass"]


@dataclass(frozen=True)
class Scenario:
    name: str
    concurrency: int = 32
    judge: bool = False
    fail_rate: float = 0.0
    throttle_rate: float = 0.0
    capacity: int = 0  # the server's real capacity, 0 = as many as are sent
    queue: int | None = None
    retry_after: float = 1.0

    @property
    def slots(self) -> int:
        """What the efficiency is measured against: the server's capacity when it is lower."""
        return min(self.concurrency, self.capacity) if self.capacity else self.concurrency


SCENARIOS = {s.name: s for s in [
    Scenario("c32"),
    Scenario("c64", concurrency=64),
    Scenario("c128", concurrency=128),
    Scenario("c32_judge", judge=True),
    Scenario("c32_500s", fail_rate=0.05),
    Scenario("c32_429s", throttle_rate=0.05),
    Scenario("capacity16_cap64", concurrency=64, capacity=16, queue=32),
]}


@dataclass
class Outcome:
    wall_s: float
    stats: dict[str, Any]
    rows: int
    notes: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def latency_server(scenario: Scenario, latency: float) -> Iterator[str]:
    options = ["--latency", str(latency), "--fail-rate", str(scenario.fail_rate), "--throttle-rate",
               str(scenario.throttle_rate), "--retry-after", str(scenario.retry_after), "--capacity", str(scenario.capacity)]
    if scenario.queue is not None:
        options += ["--queue", str(scenario.queue)]
    with started(*options) as url:
        yield url


# ---- synthloom, as the README writes a recipe ----

def synthloom_recipe(url: str, out: str, rows: int, scenario: Scenario) -> str:
    judge = """
  - {name: score, kind: judge, model: teacher, prompt: "Topic: {{ topic }}. Question: {{ question }}"}""" \
        if scenario.judge else ""
    return f"""
name: bench
target_rows: {rows}
output_dir: {out}
models:
  teacher:
    provider: openai
    model: latency
    endpoints: [{{url: "{url}", max_concurrency: {scenario.concurrency}}}]
columns:
  - {{name: topic, kind: sampler, type: category, values: {json.dumps(CATEGORIES)}}}
  - {{name: question, kind: llm_text, model: teacher, prompt: "Ask a question about {{{{ topic }}}}."}}{judge}
"""


def run_synthloom(url: str, rows: int, scenario: Scenario) -> Outcome:
    from synthloom.config import parse_recipe
    from synthloom.generate import generate_run
    import synthloom.models.openai_http  # noqa: F401  imports before the clock, as the peers' runners do

    with tempfile.TemporaryDirectory() as out:
        recipe = parse_recipe(synthloom_recipe(url, out, rows, scenario))
        start = time.perf_counter()
        summary = asyncio.run(generate_run(recipe, resume=False, overwrite=True))
        wall = time.perf_counter() - start
        return Outcome(wall, stats_of(url), summary.accepted, {"status": summary.status})


# ---- a plain pool of threads, one request at a time each ----

def run_threads(url: str, rows: int, scenario: Scenario) -> Outcome:
    todo = list(range(rows))
    lock = threading.Lock()
    done = [0]

    def post(client: httpx.Client, content: str, schema: dict[str, Any] | None = None) -> str:
        body: dict[str, Any] = {"model": "latency", "messages": [{"role": "user", "content": content}]}
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "score", "schema": schema}}
        for _ in range(10):
            resp = client.post(url + "/chat/completions", json=body)
            if resp.status_code == 200:
                return resp.json()["choices"][0]["message"]["content"]
            time.sleep(float(resp.headers.get("retry-after", 0.5)))
        raise RuntimeError("gave up")

    def worker() -> None:
        rng = random.Random(threading.get_ident())
        with httpx.Client(timeout=60) as client:
            while True:
                with lock:
                    if not todo:
                        return
                    todo.pop()
                topic = rng.choice(CATEGORIES)
                question = post(client, f"Ask a question about {topic}.")
                if scenario.judge:
                    post(client, f"Topic: {topic}. Question: {question}",
                         {"type": "object", "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}}})
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(scenario.concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Outcome(time.perf_counter() - start, stats_of(url), done[0])


def run_bare_aiohttp(url: str, rows: int, scenario: Scenario) -> Outcome:
    wall, made = run_bare(url, rows, scenario.concurrency, scenario.judge)
    return Outcome(wall, stats_of(url), made)


def ideal_line(scenario: Scenario, rows: int, latency: float) -> str | None:
    """The cost-free client's mean efficiency (engine_bounds.py); none for a capacity below the
    cap, where the figure of merit is where the client settles."""
    if scenario.capacity:
        return None
    eff = ideal_efficiency(scenario.concurrency, rows, latency, stages=2 if scenario.judge else 1,
                           fail_rate=scenario.fail_rate, throttle_rate=scenario.throttle_rate,
                           retry_after=scenario.retry_after)
    return (f"RESULT engine_vs_peers scenario={scenario.name} tool=ideal rows={rows} "
            f"concurrency={scenario.concurrency} latency_s={latency} efficiency={eff:.3f} simulated=true")


# ---- peers in their own venvs: NeMo Data Designer and distilabel ----

DATA_DESIGNER_PYTHON = HERE / ".venv-datadesigner" / "bin" / "python"
DISTILABEL_PYTHON = HERE / ".venv-distilabel" / "bin" / "python"
# Nothing but the latency server is reached: telemetry off, no hub, no model health check, no
# downloads (the runners also set these before importing the tool; see their docstrings).
DATA_DESIGNER_ENV = {"NEMO_TELEMETRY_ENABLED": "false", "DATA_DESIGNER_SKIP_MODEL_HEALTH_CHECKS": "1",
                     "DISABLE_DATA_DESIGNER_PLUGINS": "true", "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1"}
DISTILABEL_ENV = {"DISTILABEL_TELEMETRY": "0", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                  "HF_HUB_DISABLE_TELEMETRY": "1", "OPENAI_API_KEY": "dummy"}


def run_peer(python: Path, runner: str, env: dict[str, str], url: str, rows: int, scenario: Scenario) -> dict[str, Any]:
    """The runner's last stdout line (JSON: wall_s, rows, settings, ...); its output's tail on failure."""
    cmd = [str(python), str(HERE / "peers" / runner), "--url", url, "--rows", str(rows),
           "--concurrency", str(scenario.concurrency)] + (["--judge"] if scenario.judge else [])
    full_env = {**os.environ, **env}
    full_env.pop("OPENAI_BASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        if python == DATA_DESIGNER_PYTHON:
            full_env["DATA_DESIGNER_HOME"] = tmp
            os.makedirs(os.path.join(tmp, "tiktoken"), exist_ok=True)
            full_env["TIKTOKEN_CACHE_DIR"] = os.path.join(tmp, "tiktoken")  # empty: see datadesigner_gen.py
        proc = subprocess.run(cmd, env=full_env, cwd=tmp, capture_output=True, text=True, timeout=3600)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not lines[-1].startswith("{"):
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise RuntimeError(f"{runner} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(lines[-1])


def run_data_designer(url: str, rows: int, scenario: Scenario) -> Outcome:
    out = run_peer(DATA_DESIGNER_PYTHON, "datadesigner_gen.py", DATA_DESIGNER_ENV, url, rows, scenario)
    return Outcome(out["wall_s"], stats_of(url), out["rows"], {"settings": out["settings"]})


def run_distilabel(url: str, rows: int, scenario: Scenario) -> Outcome:
    out = run_peer(DISTILABEL_PYTHON, "distilabel_gen.py", DISTILABEL_ENV, url, rows, scenario)
    notes = {"settings": out["settings"]}
    if out.get("startup_s") is not None:
        notes["startup_s"] = round(out["startup_s"], 2)  # inside wall_s: loading its step processes
    return Outcome(out["wall_s"], stats_of(url), out["rows"], notes)


TOOLS = {"synthloom": run_synthloom, "threads": run_threads, "bare_aiohttp": run_bare_aiohttp}
if DATA_DESIGNER_PYTHON.exists():
    TOOLS["data_designer"] = run_data_designer
if DISTILABEL_PYTHON.exists():
    TOOLS["distilabel"] = run_distilabel


def measure(tool: str, scenario: Scenario, rows: int, latency: float) -> str:
    with latency_server(scenario, latency) as url:
        outcome = TOOLS[tool](url, rows, scenario)
    stats = outcome.stats
    ok = stats["statuses"].get("200", 0)
    refused = stats["statuses"].get("429", 0)
    efficiency = ok * latency / scenario.slots / outcome.wall_s
    fields = {"scenario": scenario.name, "tool": tool, "rows": outcome.rows, "concurrency": scenario.concurrency,
              "latency_s": latency, "requests": stats["requests"], "ok": ok, "wall_s": round(outcome.wall_s, 2),
              "efficiency": round(efficiency, 3), "max_in_flight": stats["max_in_flight"],
              # answers beyond what the rows needed (rows made past the target): paid for, not kept
              "surplus_share": round(max(0, ok - rows * (2 if scenario.judge else 1)) / max(ok, 1), 4)}
    if scenario.capacity:
        fields["capacity"] = scenario.capacity
        fields["settled_in_flight"] = stats.get("late_in_flight_avg")
        fields["refused_share"] = round(refused / max(stats["requests"], 1), 4)
    fields.update(outcome.notes)
    return "RESULT engine_vs_peers " + " ".join(
        f"{k}={json.dumps(v) if isinstance(v, str) and ' ' in v else v}" for k, v in fields.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--scenario", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    ap.add_argument("--tools", nargs="*", default=list(TOOLS), choices=list(TOOLS))
    ap.add_argument("--no-ideal", dest="ideal", action="store_false", help="skip the simulated cost-free client")
    args = ap.parse_args()
    for name in args.scenario:
        if args.ideal and (line := ideal_line(SCENARIOS[name], args.rows, args.latency)):
            print(line, flush=True)
        for tool in args.tools:
            print(measure(tool, SCENARIOS[name], args.rows, args.latency), flush=True)


if __name__ == "__main__":
    main()
