"""The one async protocol every LLM backend speaks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from synthloom.config.errors import SynthloomError


@dataclass(frozen=True)
class GenerationRequest:
    """A chat request (`messages`) or a plain completion (`prompt`)."""

    messages: tuple[tuple[str, str], ...] | None = None  # (role, content)
    prompt: str | None = None
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] | None = None
    n: int = 1
    json_schema: dict[str, Any] | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a request has either messages (chat) or a prompt (completion)")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def message_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in (self.messages or ())]

    def cache_key(self, model_id: str) -> str:
        # a shallow dict of the fields: asdict() deep-copies the schema and messages on every call
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload["model"] = model_id
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_tokens: int = 0  # how many of the two counts the server did not report (token_count.py)

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.estimated_tokens + other.estimated_tokens)


@dataclass
class GenerationResult:
    texts: list[str]
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    cached: bool = False
    truncated: bool = False  # a sample stopped at max_tokens


    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


class ModelCallError(Exception):
    """A call that failed for good (after retries); `reason` goes into rejected/."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RequestRefused(SynthloomError):
    """A server refused a request in a way every request like it would be refused (a field it
    does not take, a wrong model name, a bad key): the run stops with this sentence instead of
    retrying or rejecting cell after cell."""


@runtime_checkable
class LLMBackend(Protocol):
    model_id: str
    max_concurrency: int
    supports_completions: bool

    async def generate(self, request: GenerationRequest, ready: Callable[[], None] | None = None) -> GenerationResult:
        """One answer. `ready` is called just before each attempt is sent, once the attempt holds
        one of the backend's slots (the engine checks the budget there, and what it raises
        propagates); a retry waits for its backoff without holding a slot."""
        ...

    @property
    def concurrency_now(self) -> int:
        """How many requests the backend lets be in flight at this moment (adaptive backends
        change it as the server answers)."""
        ...

    async def check(self) -> None:
        """Raise a SynthloomError with one clear sentence if the model cannot be used."""

    async def aclose(self) -> None: ...
