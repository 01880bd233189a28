"""A real OpenAI-compatible HTTP server with scripted answers, latency and injected faults.

Answers are a deterministic function of the request (so caches and resumes can be checked);
faults are drawn per request from a seeded generator (so retries can succeed). Run it:

    python -m synthloom.testing.openai_server --port 8000 --latency 0.05 --fault-rate 0.3
"""


import argparse
import asyncio
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from synthloom.testing.schema_instance import WORDS, instance_for

FAULTS = ("500", "429", "timeout", "invalid_json")


@dataclass
class ServerScript:
    latency_s: float = 0.0
    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    timeout_sleep_s: float = 30.0  # a "timeout" fault sleeps this long; the client should give up first
    seed: int = 0
    # Substring of the last user message -> fixed answer text (checked in order).
    rules: list[tuple[str, str]] = field(default_factory=list)
    enum_choice: str = "random"  # "max": structured answers pick the last enum value (a judge's best score)


class ScriptedModel:
    def __init__(self, script: ServerScript):
        self.script = script
        self._fault_rng = random.Random(script.seed)
        self._lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults_injected: dict[str, int] = {}
        self.seen: list[tuple[str, str | None]] = []  # (URL, Authorization header) of every request

    def draw_fault(self) -> str | None:
        with self._lock:
            self.requests += 1
            if self._fault_rng.random() < self.script.fault_rate:
                kind = self._fault_rng.choice(self.script.faults)
                self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1
                return kind
        return None

    def answer(self, body: dict[str, Any], index: int) -> str:
        key = json.dumps(body, sort_keys=True) + f"#{index}"
        rng = random.Random(hashlib.sha256(key.encode()).hexdigest())
        text = _last_user_text(body)
        for needle, reply in self.script.rules:
            if needle in text:
                return reply
        schema = _schema_of(body)
        if schema is not None:
            return json.dumps(instance_for(schema, rng, enum_choice=self.script.enum_choice))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        if "question" in text.lower():
            return f"What does the {words}?"
        return words.capitalize() + "."


def _last_user_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        users = [m.get("content", "") for m in body["messages"] if m.get("role") == "user"]
        return str(users[-1]) if users else ""
    return str(body.get("prompt", ""))


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object":
        return fmt.get("schema") or {"type": "object"}
    return None


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def build_app(model: ScriptedModel) -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse

    app = FastAPI()

    async def _fault_response(kind: str | None) -> Any:
        if kind == "500":
            return JSONResponse({"error": {"message": "injected server error"}}, status_code=500)
        if kind == "429":
            return JSONResponse({"error": {"message": "rate limited"}}, status_code=429, headers={"retry-after": "0"})
        if kind == "timeout":
            await asyncio.sleep(model.script.timeout_sleep_s)
        return None

    async def _complete(request: Request, chat: bool) -> Any:
        model.seen.append((str(request.url), request.headers.get("authorization")))
        model.in_flight += 1
        model.max_in_flight = max(model.max_in_flight, model.in_flight)
        try:
            return await _answer(request, chat)
        finally:
            model.in_flight -= 1

    async def _answer(request: Request, chat: bool) -> Any:
        body = await request.json()
        kind = model.draw_fault()
        if model.script.latency_s:
            await asyncio.sleep(model.script.latency_s)
        early = await _fault_response(kind)
        if early is not None:
            return early
        n = int(body.get("n", 1))
        texts = [model.answer(body, i) for i in range(n)]
        if kind == "invalid_json":
            if _schema_of(body) is not None:
                texts = [t[: max(1, len(t) // 2)] for t in texts]  # truncated JSON: the repair path
            else:
                return PlainTextResponse("{not json", status_code=200, media_type="application/json")
        prompt_tokens = _tokens(json.dumps(body.get("messages") or body.get("prompt")))
        if chat:
            choices = [
                {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
                for i, t in enumerate(texts)
            ]
        else:
            choices = [{"index": i, "text": t, "finish_reason": "stop"} for i, t in enumerate(texts)]
        return {
            "id": f"cmpl-{model.requests}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": sum(_tokens(t) for t in texts),
                "total_tokens": prompt_tokens + sum(_tokens(t) for t in texts),
            },
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        return await _complete(request, chat=True)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Any:
        return await _complete(request, chat=False)

    @app.get("/v1/models")
    async def models(request: Request) -> Any:
        model.seen.append((str(request.url), request.headers.get("authorization")))
        return {"object": "list", "data": [{"id": "scripted", "object": "model"}]}

    @app.get("/stats")
    async def stats() -> Any:
        return {"requests": model.requests, "faults": model.faults_injected, "max_in_flight": model.max_in_flight}

    return app


class RunningServer:
    """A uvicorn server on 127.0.0.1 in a background thread; `url` ends with /v1."""

    def __init__(self, script: ServerScript, port: int = 0):
        import socket

        import uvicorn

        self.model = ScriptedModel(script)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(build_app(self.model), log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "RunningServer":
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--timeout-sleep", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    script = ServerScript(
        latency_s=args.latency, fault_rate=args.fault_rate, timeout_sleep_s=args.timeout_sleep, seed=args.seed
    )
    import uvicorn

    print(f"scripted OpenAI-compatible server on http://127.0.0.1:{args.port}/v1", flush=True)
    uvicorn.run(build_app(ScriptedModel(script)), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
