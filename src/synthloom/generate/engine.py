"""Run a recipe to its target: batches in flight, committed in order, resumable at any instant."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import Recipe
from synthloom.data.files.tables import rows_to_table
from synthloom.data.runs.response_cache import BufferedResponseCache
from synthloom.data.runs.run_db import UsageRow
from synthloom.data.runs.run_store import RunStore
from synthloom.generate.batch import BatchResult
from synthloom.generate.driver import Driver
from synthloom.generate.model_calls import MemoryCache
from synthloom.generate.resources import open_runner
from synthloom.models.token_count import ESTIMATE_RULE as TOKEN_ESTIMATE


@dataclass
class RunSummary:
    run_dir: Path
    status: str  # complete | max_batches_reached | budget_reached
    target: int
    accepted: int
    rejected: int
    batches: int
    rejections: list[tuple[str, str, int]] = field(default_factory=list)
    usage: list[UsageRow] = field(default_factory=list)
    elapsed_s: float = 0.0
    partitions: dict[str, int] = field(default_factory=dict)  # accepted rows per partition value
    notices: list[str] = field(default_factory=list)  # fallbacks and the like, said once
    servers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per alias: each endpoint's dialect

    @property
    def tokens(self) -> int:
        return sum(u.prompt_tokens + u.completion_tokens for u in self.usage)

    @property
    def cost_usd(self) -> float:
        return sum(u.cost_usd for u in self.usage)

    @property
    def estimated_tokens(self) -> int:
        """Of `tokens`, those a server did not report: estimated by TOKEN_ESTIMATE."""
        return sum(u.estimated_tokens for u in self.usage)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_dir"] = str(self.run_dir)
        data["tokens"] = self.tokens
        data["estimated_tokens"] = self.estimated_tokens
        data["token_estimate"] = TOKEN_ESTIMATE if self.estimated_tokens else None
        data["cost_usd"] = round(self.cost_usd, 6)
        data["rejections"] = [{"column": c, "reason": r, "count": n} for c, r, n in self.rejections]
        return data


class Reporter(Protocol):
    def start(self, target: int, accepted: int, rejected: int, tokens: int) -> None: ...
    def update(self, accepted: int, rejected: int, tokens: int,
               concurrency: tuple[int, int] | None = None) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...


class _Silent:
    def start(self, target: int, accepted: int, rejected: int, tokens: int) -> None: ...
    def update(self, accepted: int, rejected: int, tokens: int,
               concurrency: tuple[int, int] | None = None) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...


def run_dir_of(recipe: Recipe) -> Path:
    return recipe.resolve_path(recipe.output_dir) / recipe.name


async def generate_run(
    recipe: Recipe, *, resume: bool = False, overwrite: bool = False, reporter: Reporter | None = None,
    executor: str = "local", address: str | None = None, workers: int | None = None,
) -> RunSummary:
    """Generate the recipe's run directory; the library call behind `synthloom generate`.
    `executor`: "local" (batches on this process's event loop) or "ray" (on Ray workers, at
    `address` or a Ray started here, `workers` actors; generate/ray_executor.py)."""
    if executor not in ("local", "ray"):
        raise SynthloomError(f"executor is local or ray, not {executor!r}")
    reporter = reporter or _Silent()
    started = time.perf_counter()
    # Arrow's first table from Python rows imports pandas (~0.3 s, mostly holding the GIL): begun
    # now, on a thread, it overlaps the first requests' wait instead of stalling the event loop
    # when the first batch is written mid-run.
    threading.Thread(target=rows_to_table, args=([{"warm": ""}],), daemon=True).start()
    recipe_yaml = yaml.safe_dump(recipe.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False)
    store = RunStore.open(run_dir_of(recipe), recipe.fingerprint(), recipe_yaml, resume=resume, overwrite=overwrite,
                           recipe_dir=recipe.resolve_path("."))
    cache = BufferedResponseCache(store.db)
    try:
        try:
            async with open_runner(recipe, cache) as runner:
                for notice in runner.server_notices:  # what the probe found, before the first row
                    getattr(reporter, "notice", lambda _text: None)(notice)
                async with contextlib.AsyncExitStack() as stack:
                    batches = runner
                    if executor == "ray":
                        from synthloom.generate.ray_executor import ray_runner

                        batches = await stack.enter_async_context(
                            ray_runner(runner, recipe, cache, address=address, workers=workers))
                    driver = Driver(recipe, store, batches, reporter)
                    status = await driver.run()
        finally:
            cache.close()  # every answer received is written before the run ends, whatever ended it
        summary = RunSummary(
            run_dir=store.root,
            status=status,
            target=driver.target_total,
            accepted=driver.accepted,
            rejected=driver.rejected,
            batches=len(driver.committed),
            rejections=store.db.rejection_totals(),
            usage=store.db.usage_totals(),
            elapsed_s=time.perf_counter() - started,
            partitions=driver.partition_counts() if recipe.partition_by else {},
            notices=[*recipe.filter_notices(), *driver.runner.notices],
            servers=runner.servers(),
        )
        store.write_manifest(summary.to_json())
        reporter.finish(summary)
        return summary
    finally:
        store.close()


async def preview_rows(recipe: Recipe, n: int) -> BatchResult:
    """Compute the first n rows in memory: nothing is written."""
    async with open_runner(recipe, MemoryCache()) as runner:
        return await runner.run(0, size=n)
