"""Run a recipe to its target: batches in flight, committed in order, resumable at any instant."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from synthloom.config.recipe import Recipe
from synthloom.data.run_db import UsageRow
from synthloom.data.run_store import RunStore
from synthloom.data.tables import rows_to_table
from synthloom.generate.batch import BatchResult, BatchRunner
from synthloom.generate.model_calls import MemoryCache
from synthloom.generate.resources import open_runner

SURPLUS_COLUMN = "_target"


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

    @property
    def tokens(self) -> int:
        return sum(u.prompt_tokens + u.completion_tokens for u in self.usage)

    @property
    def cost_usd(self) -> float:
        return sum(u.cost_usd for u in self.usage)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_dir"] = str(self.run_dir)
        data["tokens"] = self.tokens
        data["cost_usd"] = round(self.cost_usd, 6)
        data["rejections"] = [{"column": c, "reason": r, "count": n} for c, r, n in self.rejections]
        return data


class Reporter(Protocol):
    def start(self, target: int, accepted: int, rejected: int, tokens: int) -> None: ...
    def update(self, accepted: int, rejected: int, tokens: int) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...


class _Silent:
    def start(self, target: int, accepted: int, rejected: int, tokens: int) -> None: ...
    def update(self, accepted: int, rejected: int, tokens: int) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...


def run_dir_of(recipe: Recipe) -> Path:
    return recipe.resolve_path(recipe.output_dir) / recipe.name


class _Driver:
    def __init__(self, recipe: Recipe, store: RunStore, runner: BatchRunner, reporter: Reporter):
        self.recipe, self.store, self.runner, self.reporter = recipe, store, runner, reporter
        committed = store.db.committed_batches()
        self.committed = set(committed)
        self.accepted = sum(a for a, *_ in committed.values())
        self.rejected = sum(r for _, r, *_ in committed.values())
        usage = store.db.usage_totals()
        self.tokens = sum(u.prompt_tokens + u.completion_tokens for u in usage)
        self.cost = sum(u.cost_usd for u in usage)
        self.budget_hit = False

    def _todo(self) -> list[int]:
        return [b for b in range(self.recipe.effective_max_batches) if b not in self.committed]

    def _acceptance(self) -> float:
        seen = self.accepted + self.rejected
        return max(self.accepted / seen, 0.05) if seen else 1.0

    def _budget_reached(self) -> bool:
        budget = self.recipe.budget
        if budget is None:
            return False
        return (budget.max_tokens is not None and self.tokens >= budget.max_tokens) or (
            budget.max_cost_usd is not None and self.cost >= budget.max_cost_usd
        )

    async def run(self) -> str:
        todo = self._todo()
        in_flight: dict[int, asyncio.Task[BatchResult]] = {}
        done: dict[int, BatchResult] = {}
        self.reporter.start(self.recipe.target_rows, self.accepted, self.rejected, self.tokens)
        try:
            while True:
                self.budget_hit = self.budget_hit or self._budget_reached()
                while (
                    todo
                    and len(in_flight) < self.recipe.concurrent_batches
                    and not self.budget_hit
                    and self._expected(len(in_flight) + len(done)) < self.recipe.target_rows
                ):
                    b = todo.pop(0)
                    in_flight[b] = asyncio.create_task(self.runner.run(b))
                if not in_flight and not done:
                    break
                if in_flight:
                    finished, _ = await asyncio.wait(in_flight.values(), return_when=asyncio.FIRST_COMPLETED)
                    for b in [b for b, t in in_flight.items() if t in finished]:
                        done[b] = in_flight.pop(b).result()
                # Commit strictly in batch order so the first `target` rows are the same rows
                # whatever order batches finish in.
                while done and min(done) == min([*done, *in_flight, *todo[:1]]):
                    self._commit(done.pop(min(done)))
                    if self.accepted >= self.recipe.target_rows:
                        for t in in_flight.values():
                            t.cancel()
                        return "complete"
        finally:
            for t in in_flight.values():
                t.cancel()
            if in_flight:
                await asyncio.gather(*in_flight.values(), return_exceptions=True)
        if self.accepted >= self.recipe.target_rows:
            return "complete"
        return "budget_reached" if self.budget_hit else "max_batches_reached"

    def _expected(self, pending_batches: int) -> float:
        return self.accepted + pending_batches * self.recipe.batch_size * self._acceptance()

    def _commit(self, result: BatchResult) -> None:
        room = self.recipe.target_rows - self.accepted
        if len(result.accepted) > room:
            surplus = result.accepted[room:]
            result.accepted = result.accepted[:room]
            reason = f"surplus: the target of {self.recipe.target_rows} rows was already reached"
            ids = set()
            for row in surplus:
                ids.add(row["_row_id"])
                result.rejected.append({**row, "_batch": result.batch, "_column": SURPLUS_COLUMN, "_reason": reason})
            result.lineage = [
                (rid, "rejected" if rid in ids else status, {**data, "reason": reason} if rid in ids else data)
                for rid, status, data in result.lineage
            ]
        shard, rej = self.store.write_batch_files(
            result.batch,
            rows_to_table(result.accepted) if result.accepted else None,
            rows_to_table(result.rejected) if result.rejected else None,
        )
        self.store.db.commit_batch(
            result.batch,
            len(result.accepted),
            len(result.rejected),
            shard,
            rej,
            result.usage,
            dict(result.rejections),
            result.lineage,
        )
        self.committed.add(result.batch)
        self.accepted += len(result.accepted)
        self.rejected += len(result.rejected)
        self.tokens += result.tokens
        self.cost += result.cost
        self.reporter.update(self.accepted, self.rejected, self.tokens)


async def generate_run(
    recipe: Recipe, *, resume: bool = False, overwrite: bool = False, reporter: Reporter | None = None
) -> RunSummary:
    """Generate the recipe's run directory; the library call behind `synthloom generate`."""
    reporter = reporter or _Silent()
    started = time.perf_counter()
    recipe_yaml = yaml.safe_dump(recipe.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False)
    store = RunStore.open(run_dir_of(recipe), recipe.fingerprint(), recipe_yaml, resume=resume, overwrite=overwrite)
    try:
        async with open_runner(recipe, store.db) as runner:
            driver = _Driver(recipe, store, runner, reporter)
            status = await driver.run()
        summary = RunSummary(
            run_dir=store.root,
            status=status,
            target=recipe.target_rows,
            accepted=driver.accepted,
            rejected=driver.rejected,
            batches=len(driver.committed),
            rejections=store.db.rejection_totals(),
            usage=store.db.usage_totals(),
            elapsed_s=time.perf_counter() - started,
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
