"""Model calls as the engine makes them: through the response cache, counted per column
and model (tokens, calls, cost), and refused once the run's spend meter says stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from synthloom.config.endpoints import Price
from synthloom.data.runs.run_db import CachedResponse, UsageRow
from synthloom.generate.spend import SpendMeter
from synthloom.models.protocol import GenerationRequest, GenerationResult, LLMBackend, RequestRefused, Usage


class ResponseCache(Protocol):
    def cache_get(self, key: str) -> CachedResponse | None: ...
    def cache_put(self, key: str, model: str, resp: CachedResponse) -> None: ...


class MemoryCache:
    """For previews: same interface as run.sqlite's cache, nothing written."""

    def __init__(self) -> None:
        self._d: dict[str, CachedResponse] = {}

    def cache_get(self, key: str) -> CachedResponse | None:
        return self._d.get(key)

    def cache_put(self, key: str, model: str, resp: CachedResponse) -> None:
        self._d[key] = resp


def cost_of(usage: Usage, price: Price | None) -> float:
    if price is None:
        return 0.0
    return (usage.prompt_tokens * price.input_per_million + usage.completion_tokens * price.output_per_million) / 1e6


@dataclass
class UsageTally:
    """Usage of one batch, keyed by (column, model alias); paid calls also go to the run's meter."""

    rows: dict[tuple[str, str], UsageRow] = field(default_factory=dict)
    meter: SpendMeter | None = None  # None in previews: nothing to stop

    def add(self, column: str, model: str, usage: Usage, cost: float, cached: bool) -> None:
        row = self.rows.setdefault((column, model), UsageRow(column, model))
        row.calls += 1
        if cached:
            row.cached_calls += 1
            return  # a cached answer costs nothing now
        row.prompt_tokens += usage.prompt_tokens
        row.completion_tokens += usage.completion_tokens
        row.estimated_tokens += usage.estimated_tokens  # counted, cost and held to the budget all the same
        row.cost_usd += cost
        if self.meter is not None:
            self.meter.add(usage.prompt_tokens + usage.completion_tokens, cost)

    def check_can_spend(self) -> None:
        if self.meter is not None:
            self.meter.check_can_spend()

    @property
    def tokens(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.rows.values())

    @property
    def cost(self) -> float:
        return sum(r.cost_usd for r in self.rows.values())


class ModelCaller:
    """One model alias as seen by the engine."""

    def __init__(self, alias: str, backend: LLMBackend, cache: ResponseCache, price: Price | None):
        self.alias = alias
        self.backend = backend
        self.cache = cache
        self.price = price

    def cache_key(self, request: GenerationRequest) -> str:
        """A structured answer depends on how the schema reached the server (dialects.py): one
        made through a field the server ignored must not answer for one that constrains it."""
        scope = getattr(self.backend, "cache_scope", "") if request.json_schema is not None else ""
        return request.cache_key(self.backend.model_id + scope)

    async def call(self, request: GenerationRequest, column: str, tally: UsageTally) -> GenerationResult:
        key = self.cache_key(request)
        hit = self.cache.cache_get(key)
        if hit is not None:
            usage = Usage(hit.prompt_tokens, hit.completion_tokens)
            tally.add(column, self.alias, usage, 0.0, cached=True)
            return GenerationResult(hit.texts, usage, 0.0, self.backend.model_id, cached=True)
        try:
            # The spend check runs as each attempt is sent, once it holds a backend slot: only
            # attempts actually sent (at most one per slot) can overshoot a budget.
            result = await self.backend.generate(request, ready=tally.check_can_spend)  # may raise SpendingStopped
        except RequestRefused as exc:
            raise RequestRefused(f"column '{column}': {exc}") from None
        tally.add(column, self.alias, result.usage, cost_of(result.usage, self.price), cached=False)
        self.cache.cache_put(
            key,
            self.backend.model_id,
            CachedResponse(result.texts, result.usage.prompt_tokens, result.usage.completion_tokens),
        )
        return result
