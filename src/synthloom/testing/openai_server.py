"""A real OpenAI-compatible HTTP server with scripted answers, latency and injected faults.

Answers are a deterministic function of the request (so caches and resumes can be checked);
faults are drawn per request from a seeded generator (so retries can succeed). Run it:

    python -m synthloom.testing.openai_server --port 8000 --latency 0.05 --fault-rate 0.3

`--dialect` makes it take JSON schemas the way one real server does and refuse the other ways
as that server does (status code and error body shape), and serve `/completions` only where
that server does; see server_dialects.py. Without it, it takes both response_format forms synthloom can
send. `/stats` counts requests, refused requests and requests by path.
"""


import argparse
import asyncio
import hashlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from synthloom.testing.schema_instance import WORDS, instance_for
from synthloom.testing.server_dialects import ANY_JSON, DIALECTS, Refusal, _openai_error, _schema_via, schema_for

FAULTS = ("500", "429", "timeout", "invalid_json")

_PROMPT_SCHEMA = re.compile(r"matches this (?:JSON )?schema:\s*(\{.*\})\s*$", re.IGNORECASE | re.DOTALL)


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
    dialect: str | None = None  # a key of DIALECTS; None: take both response_format forms synthloom sends
    usage: bool = True  # False: answers carry no `usage` (as some proxies and servers do)
    completions: bool | None = None  # serve /completions; None: as the dialect's server does
    schema_fields: bool = True  # False: ignore every schema field (a model behind a plain proxy)
    # Substring of the last user message -> (HTTP status, error message) answered instead.
    refuse: list[tuple[str, int, str]] = field(default_factory=list)


class ScriptedModel:
    def __init__(self, script: ServerScript):
        self.script = script
        self._fault_rng = random.Random(script.seed)
        self._lock = threading.Lock()
        self.requests = 0
        self.refused = 0
        self.by_path: dict[str, int] = {}
        self.log: list[dict[str, Any]] = []  # per request: path, status, how the schema came
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults_injected: dict[str, int] = {}
        self.seen: list[tuple[str, str | None]] = []  # (URL, Authorization header) of every request

    def count(self, path: str) -> None:
        with self._lock:
            self.requests += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1

    def draw_fault(self) -> str | None:
        with self._lock:
            if self._fault_rng.random() < self.script.fault_rate:
                kind = self._fault_rng.choice(self.script.faults)
                self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1
                return kind
        return None

    def answer(self, body: dict[str, Any], index: int, schema: dict[str, Any] | None) -> str:
        """`schema`: what the request's fields constrain the answer to, as this server reads them."""
        key = json.dumps(body, sort_keys=True) + f"#{index}"
        rng = random.Random(hashlib.sha256(key.encode()).hexdigest())
        text = _last_user_text(body)
        for needle, reply in self.script.rules:
            if needle in text:
                return reply
        if schema is None or schema is ANY_JSON:
            # a capable model follows a schema written in the prompt (synthloom's prompt_only)
            written = _PROMPT_SCHEMA.search(text)
            if written:
                try:
                    schema = json.loads(written.group(1))
                except json.JSONDecodeError:
                    pass
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


def _serves_completions(script: ServerScript) -> bool:
    if script.completions is not None:
        return script.completions
    return script.dialect != "openai"  # OpenAI's chat models answer /completions with 404


def _log_entry(path: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "status": status, "schema_via": _schema_via(body), "max_tokens": body.get("max_tokens")}


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

    def _refused(request: Request, refusal: Refusal, body: dict[str, Any]) -> Any:
        with model._lock:
            model.refused += 1
            model.log.append(_log_entry(request.url.path, refusal.status, body))
        if refusal.media_type == "text/plain":
            return PlainTextResponse(refusal.payload, status_code=refusal.status)
        return JSONResponse(refusal.payload, status_code=refusal.status)

    async def _answer(request: Request, chat: bool) -> Any:
        body = await request.json()
        script = model.script
        model.count(request.url.path)
        try:
            if not chat and not _serves_completions(script):
                raise Refusal(404, _openai_error(
                    "This is a chat model and not supported in the v1/completions endpoint. "
                    "Did you mean to use v1/chat/completions?", "model"))
            schema = schema_for(script.dialect, body, request.url.path) if script.schema_fields else None
            for needle, status, message in script.refuse:
                if needle in _last_user_text(body):
                    raise Refusal(status, _openai_error(message))
        except Refusal as refusal:
            return _refused(request, refusal, body)
        with model._lock:
            model.log.append(_log_entry(request.url.path, 200, body))
        kind = model.draw_fault()
        if script.latency_s:
            await asyncio.sleep(script.latency_s)
        early = await _fault_response(kind)
        if early is not None:
            return early
        n = int(body.get("n", 1))
        texts = [model.answer(body, i, schema) for i in range(n)]
        if kind == "invalid_json":
            if schema is not None:
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
        answer: dict[str, Any] = {
            "id": f"cmpl-{model.requests}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": choices,
        }
        if script.usage:
            answer["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": sum(_tokens(t) for t in texts),
                "total_tokens": prompt_tokens + sum(_tokens(t) for t in texts),
            }
        return answer

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
        return {"requests": model.requests, "refused": model.refused, "by_path": model.by_path,
                "faults": model.faults_injected, "max_in_flight": model.max_in_flight}

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
    parser.add_argument("--dialect", choices=sorted(DIALECTS), default=None,
                        help="take JSON schemas as this server does, and refuse the other ways as it does")
    parser.add_argument("--no-usage", action="store_true", help="answer without `usage`")
    parser.add_argument("--no-completions", action="store_true", help="answer /completions with 404")
    parser.add_argument("--no-schema-fields", action="store_true", help="ignore every schema field")
    args = parser.parse_args()
    script = ServerScript(
        latency_s=args.latency, fault_rate=args.fault_rate, timeout_sleep_s=args.timeout_sleep, seed=args.seed,
        dialect=args.dialect, usage=not args.no_usage, completions=False if args.no_completions else None,
        schema_fields=not args.no_schema_fields,
    )
    import uvicorn

    dialect = f" speaking {args.dialect}'s dialect" if args.dialect else ""
    print(f"scripted OpenAI-compatible server{dialect} on http://127.0.0.1:{args.port}/v1", flush=True)
    uvicorn.run(build_app(ScriptedModel(script)), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
