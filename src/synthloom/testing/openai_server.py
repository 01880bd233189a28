"""A real OpenAI-compatible HTTP server with scripted answers, latency and injected faults.

Answers are a deterministic function of the request (so caches and resumes can be checked);
faults are drawn per request from a seeded generator (so retries can succeed). Run it:

    python -m synthloom.testing.openai_server --port 8000 --latency 0.05 --fault-rate 0.3

`--dialect` makes it take JSON schemas the way one real server does and refuse the other ways
as that server does (status code and error body shape), and serve `/completions` only where
that server does; see DIALECTS. Without it, it takes both response_format forms synthloom can
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

FAULTS = ("500", "429", "timeout", "invalid_json")

# How each server takes a JSON schema (the sources are in synthloom/models/dialects.py):
DIALECTS = {
    "openai": "response_format json_schema; 400 to anything else; /completions 404 for chat models",
    "vllm": "response_format json_schema (json_object: any JSON); 400 to an unknown type; guided_json ignored",
    "vllm-guided": "vLLM before json_schema: guided_json; 400 to response_format json_schema or extra keys",
    "sglang": "response_format json_schema (json_object: any JSON); 400 to an unknown type",
    "llamacpp-server": "llama-server: response_format json_schema or json_object with schema",
    "llama-cpp-python": "response_format json_object with schema; HTTP 500 to any other type",
    "ollama": "response_format json_schema (json_object: any JSON); other types ignored",
    "tgi": 'response_format {"type": "json", "value": schema}; 422 otherwise, and to top_p >= 1',
}
ANY_JSON: dict[str, Any] = {"type": "object"}  # JSON mode without a schema
_PROMPT_SCHEMA = re.compile(r"matches this (?:JSON )?schema:\s*(\{.*\})\s*$", re.IGNORECASE | re.DOTALL)


class Refusal(Exception):
    """The answer a real server gives to a request it does not take."""

    def __init__(self, status: int, payload: Any, media_type: str = "application/json"):
        super().__init__(status)
        self.status, self.payload, self.media_type = status, payload, media_type


def _pydantic_error(kind: str, loc: tuple[str, ...], msg: str, value: Any) -> str:
    return repr([{"type": kind, "loc": loc, "msg": msg, "input": value}])


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


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object":
        return fmt.get("schema") or {"type": "object"}
    return None


def _openai_error(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def schema_for(dialect: str | None, body: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The schema a server of this dialect constrains the answer to (ANY_JSON: valid JSON of no
    particular shape; None: none), or Refusal as that server answers."""
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    extra = sorted(set(fmt) - {"type", "json_schema"}) if isinstance(fmt, dict) else []
    if dialect is None:
        return _schema_of(body)
    if dialect == "openai":
        if "guided_json" in body:
            raise Refusal(400, _openai_error("Unrecognized request argument supplied: guided_json"))
        if fmt is not None and kind not in ("text", "json_object", "json_schema"):
            raise Refusal(400, _openai_error(
                f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
                "response_format.type", "invalid_value"))
        if extra:
            raise Refusal(400, _openai_error(
                f"Additional properties are not allowed ('{extra[0]}' was unexpected) - 'response_format'",
                "response_format"))
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect in ("vllm", "sglang"):
        allowed = ("text", "json_object", "json_schema", "structural_tag")
        if fmt is not None and kind not in allowed[: 4 if dialect == "vllm" else 3]:
            detail = _pydantic_error("literal_error", ("body", "response_format", "type"),
                                     "Input should be 'text', 'json_object' or 'json_schema'", kind)
            if dialect == "vllm":
                raise Refusal(400, {"error": {"message": f"1 validation error:\n  {detail}", "type": "Bad Request",
                                              "param": "body.response_format.type", "code": 400}})
            raise Refusal(400, {"object": "error", "message": detail, "type": "Bad Request", "param": None, "code": 400})
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect == "vllm-guided":  # vLLM 0.4-0.5: forbids extra fields, ResponseFormat.type text | json_object
        if fmt is not None and kind not in ("text", "json_object"):
            raise Refusal(400, {"object": "error", "message": _pydantic_error(
                "literal_error", ("body", "response_format", "type"), "Input should be 'text' or 'json_object'", kind),
                "type": "BadRequestError", "param": None, "code": 400})
        if extra or (isinstance(fmt, dict) and "json_schema" in fmt):
            raise Refusal(400, {"object": "error", "message": _pydantic_error(
                "extra_forbidden", ("body", "response_format", (extra or ["json_schema"])[0]),
                "Extra inputs are not permitted", "..."), "type": "BadRequestError", "param": None, "code": 400})
        if isinstance(body.get("guided_json"), dict):
            return body["guided_json"]
        return ANY_JSON if kind == "json_object" else None
    if dialect == "llamacpp-server":
        if kind == "json_object":
            return fmt.get("schema") or ANY_JSON
        if kind == "json_schema":
            return (fmt.get("json_schema") or {}).get("schema") or ANY_JSON
        if kind not in (None, "text"):
            return ANY_JSON  # another type: the top-level json_schema, here none, so any JSON
        return body.get("json_schema") if isinstance(body.get("json_schema"), dict) else None
    if dialect == "llama-cpp-python":  # pydantic validation error, answered as HTTP 500 by its route handler
        if fmt is not None and kind not in ("text", "json_object"):
            detail = _pydantic_error("literal_error", ("body", "response_format", "type"),
                                     "Input should be 'text' or 'json_object'", kind)
            raise Refusal(500, {"error": {"message": f"1 validation error:\n  {detail}", "type": "internal_server_error",
                                          "param": None, "code": None}})
        return (fmt.get("schema") or ANY_JSON) if kind == "json_object" else None
    if dialect == "ollama":  # json_object -> format "json"; json_schema -> its schema; other types ignored
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect == "tgi":
        top_p = body.get("top_p")
        if top_p is not None and not 0.0 < float(top_p) < 1.0:
            raise Refusal(422, {"error": "Input validation error: `top_p` must be > 0.0 and < 1.0",
                                "error_type": "validation"})
        if fmt is None:
            return None
        if kind not in ("json", "json_object", "regex", "json_schema"):
            raise Refusal(422, "Failed to deserialize the JSON body into the target type: response_format: unknown "
                               f"variant `{kind}`, expected one of `json`, `json_object`, `regex`, `json_schema`",
                          "text/plain")
        if "value" not in fmt:
            raise Refusal(422, "Failed to deserialize the JSON body into the target type: response_format: missing "
                               "field `value`", "text/plain")
        value = fmt["value"]
        return (value or {}).get("schema") if kind == "json_schema" else value if kind != "regex" else None
    raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")


def _serves_completions(script: ServerScript) -> bool:
    if script.completions is not None:
        return script.completions
    return script.dialect != "openai"  # OpenAI's chat models answer /completions with 404


def _log_entry(path: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "status": status, "schema_via": _schema_via(body), "max_tokens": body.get("max_tokens")}


def _schema_via(body: dict[str, Any]) -> str | None:
    """Which request field carried a schema, for the request log."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        return f"response_format:{fmt.get('type')}"
    return "guided_json" if "guided_json" in body else None


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
