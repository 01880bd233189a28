"""Any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, TGI, OpenAI) over HTTP (http_client.py).

Each endpoint speaks one structured-output dialect (dialects.py): the one its `provider:` names,
or, with `provider: openai-compatible`, the one a probe at run start found (probe.py).

What is retried and what is not: 429, 5xx, timeouts and connection errors are retried with
backoff. An answer that will be the same for every request like it is not: 401 / 403 / 404,
400 / 422 (unless the server says the prompt is too long or was filtered, which is this
request's own problem and rejects only its cell), and a 500 whose body names a field that
carries the JSON schema. The first such answer stops the run with one sentence
(RequestRefused). The first request of each kind (path, with or without a schema) goes first,
and the others wait for its answer (a plain one's only for a few round trips, after which it is
being generated, not refused), so a refusal costs one request, not one per cell in flight."""

from __future__ import annotations

import asyncio
import math
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any

from synthloom.config.endpoints import REDACTED, OpenAIModel, redact_url
from synthloom.config.errors import SynthloomError
from synthloom.models.dialects import (
    DESCRIPTION,
    PROBING_PROVIDER,
    PROVIDER_DIALECT,
    neutral_parameters,
    provider_guess,
    with_schema,
)
from synthloom.models.endpoint_pool import EndpointPool
from synthloom.models.first_request import FIRST_REQUEST_GRACE_S, FirstRequest
from synthloom.models.http_answers import error_text, join_url, retry_after_s, schema_field_named
from synthloom.models.http_client import HttpAnswer, HttpClient, HttpConnectFailed, HttpFailure, HttpTimeout
from synthloom.models.key_hosts import key_refusal
from synthloom.models.probe import EndpointCapabilities, ProbeFailed, probe
from synthloom.models.protocol import GenerationRequest, GenerationResult, ModelCallError, RequestRefused
from synthloom.models.token_count import usage_of

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
# Answers that say the server cannot take more now: the endpoint's adaptive limit hears them.
OVERLOADED_STATUS = {429, 503}
# Errors that will repeat for every request (bad key, wrong model or path): stop the run.
FATAL_STATUS = {401, 403, 404}
# Errors that will repeat for every request built the same way (a field or value the server
# does not take): stop the run too, unless the server blames this request's own prompt.
REFUSED_STATUS = {400, 422}
_THIS_REQUEST_ONLY = re.compile(
    r"context.length|context window|maximum context|too many tokens|too long|content.policy|content.filter|"
    r"content management policy|safety system",
    re.IGNORECASE,
)


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
        self.capabilities = [
            EndpointCapabilities(shown, config.provider, PROVIDER_DIALECT.get(config.provider, "json_schema"))
            for shown in self.shown
        ]
        self.notices: list[str] = []
        self.cache_scope = ""
        self._first: dict[tuple[str, bool], FirstRequest] = {}
        self._grace = FIRST_REQUEST_GRACE_S  # check() raises it for a server far away
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
        self.clients = [
            HttpClient(url, headers, connections=e.max_concurrency, timeout_s=config.timeout_s,
                       connect_timeout_s=config.connect_timeout_s)
            for url, e in zip(urls, config.endpoints)
        ]
        self._jitter = random.Random(rng_seed)

    async def check(self) -> None:
        """Fail fast, with one sentence, when no endpoint answers at all; then, for
        `provider: openai-compatible`, probe what each endpoint takes."""
        errors = []
        for i, url in enumerate(self.pool.urls):
            try:
                sent = time.perf_counter()
                await self.clients[i].get(join_url(url, "/models"), timeout_s=self.config.connect_timeout_s)
                # a refusal takes about one round trip: wait a few of them for the first answer
                self._grace = max(FIRST_REQUEST_GRACE_S, 5 * (time.perf_counter() - sent))
                break
            except HttpFailure as exc:
                errors.append(f"{self.shown[i]} ({exc})")
        else:
            raise SynthloomError(
                f"model '{self.alias}' cannot be reached at {', '.join(errors)}; start the server "
                f"or fix models.{self.alias}.endpoints in the recipe"
            )
        if self.config.provider == PROBING_PROVIDER:
            for i in range(len(self.pool.urls)):
                await self._probe(i)
            self.supports_completions = self.config.supports_completions and all(
                c.completions for c in self.capabilities)
            self.notices = [c.notice(self.alias) for c in self.capabilities]
        dialects = sorted({c.structured_output for c in self.capabilities})
        # Structured answers got through another dialect are other answers: they get their own
        # cache keys (json_schema keeps the keys of runs made before dialects existed).
        self.cache_scope = "" if dialects == ["json_schema"] else "|structured:" + ",".join(dialects)

    async def _probe(self, i: int) -> None:
        client, url, shown = self.clients[i], self.pool.urls[i], self.shown[i]

        async def post(path: str, body: dict[str, Any]) -> HttpAnswer | None:
            for attempt in range(self.config.max_retries + 1):
                if attempt:
                    await asyncio.sleep(self._delay(attempt, None))
                try:
                    resp = await client.post(join_url(url, path), body)
                except HttpFailure:
                    continue
                if resp.status == 500 or resp.status not in RETRYABLE_STATUS:
                    return resp  # a 500 to one dialect is that dialect's refusal (llama-cpp-python)
            return None

        try:
            await probe(post, self.config.model, self.capabilities[i], completions=self.config.supports_completions)
        except ProbeFailed as failed:
            resp = failed.response
            raise RequestRefused(
                f"model '{self.alias}' at {shown} answered HTTP {resp.status} to a chat request "
                f"({self._scrub(error_text(resp))}); check models.{self.alias} (model name, URL, API key)"
            ) from None

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    def _body(self, req: GenerationRequest) -> tuple[str, dict[str, Any]]:
        """The request without its schema, which goes in per endpoint (`_endpoint_body`)."""
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
            return "/chat/completions", body
        if not self.supports_completions:
            why = "supports_completions: false" if not self.config.supports_completions else "the probe found none"
            raise ModelCallError(f"model '{self.alias}' does not serve raw completions ({why})")
        body["prompt"] = req.prompt
        return "/completions", body

    def _endpoint_body(self, endpoint: int, body: dict[str, Any], req: GenerationRequest) -> dict[str, Any]:
        dialect = self.capabilities[endpoint].structured_output
        if req.json_schema is not None:
            body = with_schema(body, req.json_schema, dialect)
        return neutral_parameters(body, dialect)

    @property
    def concurrency_now(self) -> int:
        return self.pool.current

    async def generate(self, request: GenerationRequest, ready: Callable[[], None] | None = None) -> GenerationResult:
        path, body = self._body(request)
        # A schema may be refused only after the server has started on it (llama-cpp-python answers
        # 500 from inside generation), so structured requests wait for the first answer however long
        # it takes; plain ones only as long as a refusal takes to come back.
        structured = request.json_schema is not None
        first = self._first.setdefault((path, structured), FirstRequest(math.inf if structured else self._grace))
        leading = await first.enter()
        cfg = self.config
        last, retry_after = "no attempt made", None
        try:
            for attempt in range(cfg.max_retries + 1):
                if attempt:
                    await asyncio.sleep(self._delay(attempt, retry_after))
                try:
                    result = await self._attempt(path, body, request, ready)
                except _Retryable as exc:
                    last, retry_after = exc.reason, exc.retry_after
                    if leading:
                        first.settle()  # it reached the server and may succeed: the others may go
                    continue
                except RequestRefused as exc:
                    if leading:
                        first.settle(exc)
                    raise
                if leading:
                    first.settle()
                return result
        finally:
            if leading:
                first.settle()  # cancelled, or failed for this request only
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

    async def _attempt(self, path: str, body: dict[str, Any], request: GenerationRequest,
                       ready: Callable[[], None] | None) -> GenerationResult:
        async with self.pool.lease() as lease:
            endpoint = lease.endpoint
            if ready is not None:
                ready()  # the engine's last word before a request is sent (the budget)
            url, shown = self.pool.urls[endpoint], self.shown[endpoint]
            client = self.clients[endpoint]
            sent = self._endpoint_body(endpoint, body, request)
            start = time.perf_counter()
            try:
                resp = await client.post(join_url(url, path), sent)
            except HttpTimeout:
                self.pool.refused(lease)
                raise _Retryable(f"timed out after {self.config.timeout_s}s at {shown}") from None
            except HttpFailure as exc:
                if isinstance(exc, HttpConnectFailed):
                    self.pool.refused(lease)
                raise _Retryable(f"connection error at {shown}: {exc}") from None
            latency = time.perf_counter() - start
            if resp.status in OVERLOADED_STATUS:
                self.pool.refused(lease)
            elif resp.status == 200:
                self.pool.answered(lease, latency)
        status = resp.status
        if status in FATAL_STATUS:
            raise RequestRefused(
                f"model '{self.alias}' at {shown} answered HTTP {status} ({self._scrub(error_text(resp))}); "
                f"check models.{self.alias} (model name, URL, API key)"
            )
        field = schema_field_named(resp, sent) if request.json_schema is not None else None
        if status in REFUSED_STATUS or (status == 500 and field is not None):
            text = self._scrub(error_text(resp))
            if field is None and _THIS_REQUEST_ONLY.search(text):
                raise ModelCallError(f"HTTP {status} from {shown}: {text}")
            raise RequestRefused(self._refusal(endpoint, status, text, field))
        if status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status} from {shown}", retry_after_s(resp))
        if status >= 400:
            raise ModelCallError(f"HTTP {status} from {shown}: {self._scrub(error_text(resp))}")
        try:
            data = resp.json()
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            if request.is_chat:
                texts = [c["message"]["content"] or "" for c in choices]
            else:
                texts = [c["text"] for c in choices]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _Retryable(f"malformed response body from {shown}") from None
        return GenerationResult(
            texts=texts,
            usage=usage_of(data.get("usage"), sent, texts),  # estimated where the server reports none
            latency_s=latency,
            model=self.model_id,
            truncated=any(c.get("finish_reason") == "length" for c in choices),
        )

    def _refusal(self, endpoint: int, status: int, text: str, field: str | None) -> str:
        """One sentence: which endpoint refused what, and what to change in the recipe."""
        caps, shown, provider = self.capabilities[endpoint], self.shown[endpoint], self.config.provider
        guess = provider_guess(status, text)
        where = f"model '{self.alias}' at {shown}"
        if field is None:
            advice = f"set provider: {guess}" if guess and guess != provider else (
                f"check models.{self.alias} (model name, provider) and the column's sampling settings")
            return f"{where} refused a request with HTTP {status} ({text}), as it would refuse every one like it; {advice}"
        sent_as = DESCRIPTION[caps.structured_output]
        if caps.probed:
            advice = ("the probe found that it takes schemas this way, so it refuses this schema itself: simplify it "
                      "(for example drop pattern, format or $ref)")
        elif guess and guess != provider:
            advice = f"set provider: {guess}, or provider: {PROBING_PROVIDER} to let synthloom probe what it takes"
        else:
            advice = (f"set provider: {PROBING_PROVIDER} to let synthloom probe what this server takes, or, if it "
                      "takes other schemas this way, simplify this one")
        return (f"{where} refused the field {field} (HTTP {status}: {text}) through which provider: {provider} "
                f"sends JSON schemas as {sent_as}; {advice}")
