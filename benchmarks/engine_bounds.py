"""What any client could reach on engine_vs_peers' workloads: the two references its tables
are read against.

- `ideal_efficiency`: a simulated client with no cost at all. Every slot is refilled the instant
  it frees; a 500 is retried at once; a 429 is retried exactly when its Retry-After ends, as
  the server asked; every row must be made (the run ends when the last one is). Faults are
  drawn per request at the scenario's rates, as the latency server draws them. What is left
  below 1.0 is the workload's own: the last partial wave, slots given to requests that failed,
  and rows whose last attempt waits out a Retry-After near the end.
- `run_bare_aiohttp`: a real client with no per-row work: one coroutine per slot posting the
  same requests through one aiohttp session, honouring Retry-After. It shows what this machine
  and this server allow a Python asyncio client before any engine does anything.

Both are used by engine_vs_peers.py (tools `ideal` and `bare_aiohttp`)."""

from __future__ import annotations

import asyncio
import heapq
import json
import random
import time
from typing import Any

import aiohttp


def ideal_efficiency(concurrency: int, rows: int, latency: float, *, stages: int = 1, fail_rate: float = 0.0,
                     throttle_rate: float = 0.0, retry_after: float = 1.0, trials: int = 200,
                     seed: int = 0) -> float:
    """The mean efficiency (answered requests x latency / concurrency / wall) of the cost-free
    client over `trials` draws of the faults; `stages` requests per row, one after the other."""
    rng = random.Random(seed)
    total = 0.0
    for _ in range(trials):
        wall = _one_run(rng, concurrency, rows, latency, stages, fail_rate, throttle_rate, retry_after)
        total += rows * stages * latency / concurrency / wall
    return total / trials


def _one_run(rng: random.Random, slots: int, rows: int, latency: float, stages: int, fail_rate: float,
             throttle_rate: float, retry_after: float) -> float:
    now, free, next_row, done_at = 0.0, slots, 0, 0.0
    ready: list[tuple[float, int, int]] = []  # (ready at, row, stage): retries and next stages
    busy: list[tuple[float, int, int, bool]] = []  # (ends at, row, stage, answered)
    remaining = rows
    while remaining:
        # fill every free slot: waiting work that is ready first (the oldest rows), then new rows
        while free:
            if ready and ready[0][0] <= now:
                _, row, stage = heapq.heappop(ready)
            elif next_row < rows:
                row, stage, next_row = next_row, 0, next_row + 1
            else:
                break
            draw = rng.random()
            if draw < throttle_rate:  # refused at once: the slot is free again, the row waits
                heapq.heappush(ready, (now + retry_after, row, stage))
                continue
            free -= 1
            heapq.heappush(busy, (now + latency, row, stage, draw >= throttle_rate + fail_rate))
        # advance to the next answer or the next retry that becomes ready
        candidates = [busy[0][0]] if busy else []
        if ready and free:
            candidates.append(ready[0][0])
        now = max(now, min(candidates))
        while busy and busy[0][0] <= now:
            ends, row, stage, answered = heapq.heappop(busy)
            free += 1
            if not answered:
                heapq.heappush(ready, (ends, row, stage))
            elif stage + 1 < stages:
                heapq.heappush(ready, (ends, row, stage + 1))
            else:
                remaining -= 1
                done_at = max(done_at, ends)
    return done_at


async def _bare(url: str, rows: int, concurrency: int, judge: bool) -> int:
    todo = iter(range(rows))
    made = 0
    body = {"model": "latency", "messages": [{"role": "user", "content": "Ask a question about tea."}]}
    score = {"type": "json_schema", "json_schema": {"name": "score", "schema": {
        "type": "object", "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}}}}}

    async def post(session: aiohttp.ClientSession, payload: dict[str, Any]) -> str:
        data = json.dumps(payload).encode()
        for _ in range(20):
            async with session.post(url + "/chat/completions", data=data,
                                    headers={"Content-Type": "application/json"}) as resp:
                answer = await resp.read()
                if resp.status == 200:
                    return json.loads(answer)["choices"][0]["message"]["content"]
                await asyncio.sleep(float(resp.headers.get("retry-after", 0)))
        raise RuntimeError("gave up")

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal made
        for _ in todo:
            question = await post(session, body)
            if judge:
                await post(session, {"model": "latency", "response_format": score,
                                     "messages": [{"role": "user", "content": f"Question: {question}"}]})
            made += 1

    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return made


def run_bare(url: str, rows: int, concurrency: int, judge: bool) -> tuple[float, int]:
    """(wall seconds, rows made) of the bare client."""
    start = time.perf_counter()
    made = asyncio.run(_bare(url, rows, concurrency, judge))
    return time.perf_counter() - start, made
