"""A lean OpenAI-compatible server that models what a client's scheduler meets: a fixed time per
request, a capacity (requests served at once) with a waiting queue behind it, refusals when the
queue is full, and injected faults. Plain asyncio HTTP/1.1 with keep-alive, so at hundreds of
requests a second it leaves the cores to the client being measured.

    python -m synthloom.testing.latency_server --port 8000 --latency 0.2 \
        [--capacity 16 --queue 32] [--fail-rate 0.05] [--throttle-rate 0.05 --retry-after 1]

- `--capacity C`: at most C requests are served at once; the next ones wait in arrival order,
  so their latency grows (as a saturated vLLM or TGI server's does). 0: no limit.
- `--queue Q`: with a capacity, at most Q requests wait; one more is answered 429 at once with
  `Retry-After` (as a server that sheds load does).
- `--throttle-rate p`: that share of requests (seeded) is answered 429 at once, with
  `Retry-After: --retry-after`; `--fail-rate p`: that share is answered 500 after its service;
  `--throttle-first N`: the first N requests are answered 429 (a deterministic refusal).
- `--slow-word W --slow-latency S`: a request whose messages contain W takes S seconds.

Answers: chat completions whose content is a short text, or, when the request carries a JSON
schema (`response_format`), a JSON instance of it; `usage` is always reported.
`GET /stats` tells what the server saw: requests, answers by status, the most in flight and
in service at once, `busy_s`: the seconds of service time given (latency x served), and the
first EVENT_LOG answers as (seconds since the first request, status, slow or not)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

from synthloom.testing.schema_instance import instance_for

HEAD_LIMIT = 64 * 1024
EVENT_LOG = 10_000


class LatencyModel:
    def __init__(self, latency: float, capacity: int = 0, queue: int | None = None, fail_rate: float = 0.0,
                 throttle_rate: float = 0.0, retry_after: float = 1.0, seed: int = 0, throttle_first: int = 0,
                 slow_word: str | None = None, slow_latency: float = 0.0):
        self.latency, self.capacity, self.queue = latency, capacity, queue
        self.fail_rate, self.throttle_rate, self.retry_after = fail_rate, throttle_rate, retry_after
        self.rng = random.Random(seed)
        self.throttle_first, self.slow_word, self.slow_latency = throttle_first, slow_word, slow_latency
        self.events: list[tuple[float, int, bool]] = []
        self.slow_in_service = 0
        self.max_in_flight_while_slow = 0  # how full the client kept the server during a slow request
        self.service = asyncio.Semaphore(capacity) if capacity else None
        self.waiting = 0
        self.in_flight = self.max_in_flight = 0
        self.in_service = self.max_in_service = 0
        self.statuses: Counter[int] = Counter()
        self.requests = 0
        self.busy_s = 0.0
        self.first = self.last = 0.0
        self.changes: list[tuple[float, int]] = []  # (time, requests in flight from then on)

    def stats(self) -> dict[str, Any]:
        return {"requests": self.requests, "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "max_in_flight": self.max_in_flight, "max_in_service": self.max_in_service,
                "busy_s": round(self.busy_s, 6), "span_s": round(self.last - self.first, 6),
                "first_at": self.first, "last_at": self.last,  # time.monotonic(): one clock per machine
                "late_in_flight_avg": self.late_in_flight_avg(), "events": self.events,
                "max_in_flight_while_slow": self.max_in_flight_while_slow}

    def late_in_flight_avg(self) -> float | None:
        """Requests in flight, averaged over time across the second half of the server's busy
        span: where a client's concurrency has settled."""
        if len(self.changes) < 2:
            return None
        start = (self.first + self.last) / 2
        area = 0.0
        for (t0, n), (t1, _) in zip(self.changes, self.changes[1:]):
            lo, hi = max(t0, start), min(t1, self.last)
            if hi > lo:
                area += n * (hi - lo)
        return round(area / (self.last - start), 3) if self.last > start else None

    def _count(self, delta: int) -> None:
        self.in_flight += delta
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.slow_in_service:
            self.max_in_flight_while_slow = max(self.max_in_flight_while_slow, self.in_flight)
        self.changes.append((time.monotonic(), self.in_flight))

    async def handle(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        slow = bool(self.slow_word) and self.slow_word in json.dumps(body.get("messages"))
        status, payload, headers = await self._handle(body, slow)
        if len(self.events) < EVENT_LOG:
            self.events.append((round(time.monotonic() - self.first, 6), status, slow))
        return status, payload, headers

    async def _handle(self, body: dict[str, Any], slow: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.requests += 1
        self.first = self.first or time.monotonic()
        self._count(+1)
        try:
            if self.requests <= self.throttle_first:
                return 429, {"error": {"message": "rate limited"}}, {"retry-after": f"{self.retry_after:g}"}
            if self.service is not None and self.service.locked() and self.queue is not None \
                    and self.waiting >= self.queue:
                return 429, {"error": {"message": "server overloaded, queue full"}}, \
                    {"retry-after": f"{self.retry_after:g}"}
            draw = self.rng.random()
            if draw < self.throttle_rate:  # a rate limiter answers before any work is done
                return 429, {"error": {"message": "rate limited"}}, {"retry-after": f"{self.retry_after:g}"}
            failing = draw < self.throttle_rate + self.fail_rate
            if self.service is None:
                return await self._serve(body, failing, slow)
            self.waiting += 1
            try:
                await self.service.acquire()
            finally:
                self.waiting -= 1
            try:
                return await self._serve(body, failing, slow)
            finally:
                self.service.release()
        finally:
            self._count(-1)
            self.last = time.monotonic()

    async def _serve(self, body: dict[str, Any], failing: bool, slow: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.in_service += 1
        self.max_in_service = max(self.max_in_service, self.in_service)
        try:
            latency = self.slow_latency if slow else self.latency
            self.slow_in_service += slow
            if slow:
                self.max_in_flight_while_slow = max(self.max_in_flight_while_slow, self.in_flight)
            try:
                await asyncio.sleep(latency)
            finally:
                self.slow_in_service -= slow
            self.busy_s += latency
        finally:
            self.in_service -= 1
        if failing:
            return 500, {"error": {"message": "injected server error"}}, {}
        return 200, _completion(body, self.requests), {}


def _completion(body: dict[str, Any], n: int) -> dict[str, Any]:
    schema = _schema(body)
    text = json.dumps(instance_for(schema, random.Random(n), enum_choice="max")) if schema else \
        f"answer {n}: the river carries silt to the delta every spring"
    prompt_tokens = max(1, len(json.dumps(body.get("messages") or body.get("prompt") or "")) // 4)
    return {"id": f"cmpl-{n}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "latency"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, len(text) // 4),
                      "total_tokens": prompt_tokens + max(1, len(text) // 4)}}


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        schema = fmt["json_schema"].get("schema")
        return schema if isinstance(schema, dict) else None
    if isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict):
        return fmt["schema"]
    return None


def _response(status: int, payload: dict[str, Any], headers: dict[str, str]) -> bytes:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "")
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(data)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, *_ = lines[0].split(" ")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return method, path.split("?")[0], body


async def serve(model: LatencyModel, host: str, port: int) -> asyncio.base_events.Server:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await _read_request(reader)) is not None:
                method, path, raw = request
                if method == "GET" and path.endswith("/models"):
                    out = _response(200, {"object": "list", "data": [{"id": "latency", "object": "model"}]}, {})
                elif method == "GET" and path == "/stats":
                    out = _response(200, model.stats(), {})
                elif method == "POST" and path.endswith("/chat/completions"):
                    status, payload, headers = await model.handle(json.loads(raw or b"{}"))
                    model.statuses[status] += 1
                    out = _response(status, payload, headers)
                else:
                    out = _response(404, {"error": {"message": f"no route {path}"}}, {})
                writer.write(out)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(connection, host, port, limit=HEAD_LIMIT, backlog=1024)


@contextlib.contextmanager
def started(*options: str, module: str = "synthloom.testing.latency_server") -> Iterator[str]:
    """This server (or another of synthloom.testing's, by `module`) in its own process on a free
    port, options as on its command line; yields its base URL once it answers, and stops it after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *options], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(url + "/models", timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("the latency server exited at start") from None
                time.sleep(0.05)
        else:
            raise RuntimeError("the latency server did not start")
        yield url
    finally:
        server.terminate()
        server.wait()


def stats_of(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as answer:
        return json.loads(answer.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--capacity", type=int, default=0)
    ap.add_argument("--queue", type=int, default=None)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--throttle-rate", type=float, default=0.0)
    ap.add_argument("--retry-after", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--throttle-first", type=int, default=0)
    ap.add_argument("--slow-word", default=None)
    ap.add_argument("--slow-latency", type=float, default=0.0)
    args = ap.parse_args()

    async def run() -> None:
        model = LatencyModel(args.latency, args.capacity, args.queue, args.fail_rate, args.throttle_rate,
                             args.retry_after, args.seed, args.throttle_first, args.slow_word, args.slow_latency)
        server = await serve(model, args.host, args.port)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
