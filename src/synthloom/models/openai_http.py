"""Any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, TGI, OpenAI) over httpx."""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

from urllib.parse import urlsplit, urlunsplit

import httpx

from synthloom.config.endpoints import REDACTED, OpenAIModel, redact_url
from synthloom.config.errors import SynthloomError
from synthloom.models.endpoint_pool import EndpointPool
from synthloom.models.key_hosts import key_refusal
from synthloom.models.protocol import GenerationRequest, GenerationResult, ModelCallError, Usage

# httpx's connection pool scans all its connections on every request; small pools keep
# that cheap at high concurrency, so each endpoint gets one client per this many slots.
SLOTS_PER_CLIENT = 8
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
# Errors that will repeat for every request (bad key, wrong model or path): stop the run.
FATAL_STATUS = {401, 403, 404}


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAIBackend:
    def __init__(self, alias: str, config: OpenAIModel, *, rng_seed: int | None = None):
        self.alias = alias
        self.config = config
        self.model_id = f"openai:{config.model}"
        self.supports_completions = config.supports_completions
        self.chat_template = config.chat_template
        urls = [str(e.url).rstrip("/") for e in config.endpoints]
        self.pool = EndpointPool(
            urls, [e.max_concurrency for e in config.endpoints], [e.max_requests_per_minute for e in config.endpoints]
        )
        self.max_concurrency = self.pool.capacity
        # What messages show: never credentials written in a URL.
        self.shown = [redact_url(u) for u in urls]
        headers = {}
        self._key = ""
        if config.api_key_env:
            # The user decides where a key may go, not the recipe: refused before any request.
            for url in urls:
                refusal = key_refusal(alias, config.api_key_env, url)
                if refusal:
                    raise SynthloomError(refusal)
            key = os.environ.get(config.api_key_env)
            if not key:
                raise SynthloomError(
                    f"model '{alias}' reads its API key from ${config.api_key_env}, which is not set; export it first"
                )
            headers["Authorization"] = f"Bearer {key}"  # only here: never in a URL or a message
            self._key = key
        timeout = httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)
        limits = httpx.Limits(max_connections=SLOTS_PER_CLIENT, max_keepalive_connections=SLOTS_PER_CLIENT)
        self.clients = [
            [
                httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits, follow_redirects=False)
                for _ in range(-(-e.max_concurrency // SLOTS_PER_CLIENT))
            ]
            for e in config.endpoints
        ]
        self._jitter = random.Random(rng_seed)

    async def check(self) -> None:
        """Fail fast, with one sentence, when no endpoint answers at all."""
        errors = []
        for i, url in enumerate(self.pool.urls):
            try:
                await self.clients[i][0].get(_join(url, "/models"), timeout=self.config.connect_timeout_s)
                return
            except httpx.TransportError as exc:
                errors.append(f"{self.shown[i]} ({type(exc).__name__})")
        raise SynthloomError(
            f"model '{self.alias}' cannot be reached at {', '.join(errors)}; start the server "
            f"or fix models.{self.alias}.endpoints in the recipe"
        )

    async def aclose(self) -> None:
        for group in self.clients:
            for client in group:
                await client.aclose()

    def _body(self, req: GenerationRequest) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "max_tokens": req.max_tokens,
            "n": req.n,
        }
        if req.stop:
            body["stop"] = list(req.stop)
        if req.seed is not None:
            body["seed"] = req.seed
        if req.is_chat:
            body["messages"] = req.message_dicts()
            if req.json_schema is not None:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": req.json_schema},
                }
            return "/chat/completions", body
        if not self.supports_completions:
            raise ModelCallError(f"model '{self.alias}' does not serve raw completions (supports_completions: false)")
        body["prompt"] = req.prompt
        if req.json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": req.json_schema}}
        return "/completions", body

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        path, body = self._body(request)
        cfg = self.config
        last, retry_after = "no attempt made", None
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                await asyncio.sleep(self._delay(attempt, retry_after))
            try:
                return await self._attempt(path, body, request)
            except _Retryable as exc:
                last, retry_after = exc.reason, exc.retry_after
        raise ModelCallError(f"model '{self.alias}' failed after {cfg.max_retries + 1} attempts: {last}")

    def _scrub(self, text: str) -> str:
        """A server's error text with our key taken out (some servers echo it back)."""
        return text.replace(self._key, REDACTED) if self._key else text

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        cap = min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** (attempt - 1))
        delay = self._jitter.uniform(cap / 2, cap)  # jitter de-synchronises retry storms
        if retry_after is not None:
            delay = max(delay, min(retry_after, cfg.backoff_max_s))
        return delay

    async def _attempt(self, path: str, body: dict[str, Any], request: GenerationRequest) -> GenerationResult:
        async with self.pool.lease() as (endpoint, slot):
            url, shown = self.pool.urls[endpoint], self.shown[endpoint]
            client = self.clients[endpoint][slot // SLOTS_PER_CLIENT]
            start = time.perf_counter()
            try:
                resp = await client.post(_join(url, path), json=body)
            except httpx.TimeoutException:
                raise _Retryable(f"timed out after {self.config.timeout_s}s at {shown}") from None
            except httpx.TransportError as exc:
                raise _Retryable(f"connection error at {shown}: {type(exc).__name__}") from None
            latency = time.perf_counter() - start
        if resp.status_code in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {resp.status_code} from {shown}", _retry_after(resp))
        if resp.status_code in FATAL_STATUS:
            raise SynthloomError(
                f"model '{self.alias}' at {shown} answered HTTP {resp.status_code} ({self._scrub(_error_text(resp))}); "
                f"check models.{self.alias} (model name, URL, API key)"
            )
        if resp.status_code >= 400:
            raise ModelCallError(f"HTTP {resp.status_code} from {shown}: {self._scrub(resp.text[:200])}")
        try:
            data = resp.json()
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            if request.is_chat:
                texts = [c["message"]["content"] or "" for c in choices]
            else:
                texts = [c["text"] for c in choices]
        except (ValueError, KeyError, TypeError):
            raise _Retryable(f"malformed response body from {shown}") from None
        usage = data.get("usage") or {}
        return GenerationResult(
            texts=texts,
            usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
            latency_s=latency,
            model=self.model_id,
            truncated=any(c.get("finish_reason") == "length" for c in choices),
        )


def _join(base: str, path: str) -> str:
    """base + path, with the path before any ?query of the base (e.g. ?api-version=...)."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error", {})
        return str(err.get("message") if isinstance(err, dict) else err)[:200]
    except ValueError:
        return resp.text[:200]
