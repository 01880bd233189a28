"""Drive a run to its target: batches in flight, committed strictly in batch order.

With `partition_by`, batch k belongs to partition k % P and each partition has its own
target; a partition that is full launches no more batches."""

from __future__ import annotations

import asyncio
from typing import Any

from synthloom.config.recipe import Recipe
from synthloom.config.templates import template_env
from synthloom.data.run_store import RunStore
from synthloom.data.similarity import make_pool
from synthloom.data.tables import rows_to_table
from synthloom.generate.batch import BatchResult

SURPLUS_COLUMN = "_target"
NOVELTY_COLUMN = "_novelty"


class Driver:
    def __init__(self, recipe: Recipe, store: RunStore, runner: Any, reporter: Any):
        self.recipe, self.store, self.runner, self.reporter = recipe, store, runner, reporter
        self.n_parts = len(runner.partitions)
        committed = store.db.committed_batches()
        self.committed = set(committed)
        self.accepted_by_part = [0] * self.n_parts
        for b, (acc, *_rest) in committed.items():
            self.accepted_by_part[b % self.n_parts] += acc
        self.rejected = sum(r for _, r, *_ in committed.values())
        usage = store.db.usage_totals()
        self.tokens = sum(u.prompt_tokens + u.completion_tokens for u in usage)
        self.cost = sum(u.cost_usd for u in usage)
        self.budget_hit = False
        self.novelty = self._novelty_pool()

    # ---- state ----
    @property
    def accepted(self) -> int:
        return sum(self.accepted_by_part)

    @property
    def target_total(self) -> int:
        return self.recipe.target_rows * self.n_parts

    def _full(self, part: int) -> bool:
        return self.accepted_by_part[part] >= self.recipe.target_rows

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

    def _novelty_pool(self) -> Any:
        cfg = self.recipe.novelty
        if cfg is None:
            return None
        pool = make_pool(cfg.method, cfg.threshold)
        if cfg.seed_column:
            for i, row in enumerate(self.runner.generators[cfg.seed_column].rows):
                if row.get(cfg.seed_field):
                    pool.add(str(row[cfg.seed_field]), f"seed #{i}")
        self._novelty_text = template_env().compile_expression(cfg.text, undefined_to_none=False)
        for row in self.store.read_accepted().to_pylist():  # a resumed run's pool
            pool.add(str(self._novelty_text(**row)), row["_row_id"])
        return pool

    # ---- the loop ----
    async def run(self) -> str:
        todo = [b for b in range(self.recipe.effective_max_batches * self.n_parts) if b not in self.committed]
        in_flight: dict[int, asyncio.Task[BatchResult]] = {}
        done: dict[int, BatchResult] = {}
        self.reporter.start(self.target_total, self.accepted, self.rejected, self.tokens)
        try:
            while True:
                self.budget_hit = self.budget_hit or self._budget_reached()
                todo = [b for b in todo if not self._full(b % self.n_parts)]
                while len(in_flight) < self.recipe.concurrent_batches and not self.budget_hit:
                    b = self._next_launch(todo, [*in_flight, *done])
                    if b is None:
                        break
                    todo.remove(b)
                    in_flight[b] = asyncio.create_task(self.runner.run(b))
                if not in_flight and not done:
                    break
                if in_flight:
                    finished, _ = await asyncio.wait(in_flight.values(), return_when=asyncio.FIRST_COMPLETED)
                    for b in [b for b, t in in_flight.items() if t in finished]:
                        done[b] = in_flight.pop(b).result()
                # Commit strictly in batch order so the rows kept are the same whatever order
                # batches finish in.
                while done and min(done) == min([*done, *in_flight, *todo[:1]]):
                    result = done.pop(min(done))
                    # A batch launched on speculation whose partition filled up meanwhile is
                    # dropped whole (its answers stay cached), so what a run keeps, accepted
                    # and rejected alike, does not depend on timing.
                    if not self._full(result.batch % self.n_parts):
                        self._commit(result)
                if self.accepted >= self.target_total:
                    return "complete"
        finally:
            for t in in_flight.values():
                t.cancel()
            if in_flight:
                await asyncio.gather(*in_flight.values(), return_exceptions=True)
        if self.accepted >= self.target_total:
            return "complete"
        return "budget_reached" if self.budget_hit else "max_batches_reached"

    def _next_launch(self, todo: list[int], pending: list[int]) -> int | None:
        """The lowest batch whose partition still expects to fall short of its target."""
        size = self.recipe.batch_size * self._acceptance()
        for b in todo:
            part = b % self.n_parts
            pending_here = sum(1 for x in pending if x % self.n_parts == part)
            if self.accepted_by_part[part] + pending_here * size < self.recipe.target_rows:
                return b
        return None

    # ---- committing ----
    def _reject(self, result: BatchResult, rows: list[dict[str, Any]], column: str, reasons: list[str]) -> None:
        why = {row["_row_id"]: reason for row, reason in zip(rows, reasons)}
        for row, reason in zip(rows, reasons):
            result.rejected.append({**row, "_batch": result.batch, "_column": column, "_reason": reason})
        result.lineage = [
            (rid, "rejected", {**data, "column": column, "reason": why[rid]}) if rid in why else (rid, status, data)
            for rid, status, data in result.lineage
        ]

    def _apply_novelty(self, result: BatchResult) -> None:
        if self.novelty is None:
            return
        kept, dropped, reasons = [], [], []
        for row in result.accepted:
            text = str(self._novelty_text(**row))
            score, match = self.novelty.most_similar(text)
            if score >= self.recipe.novelty.threshold:
                dropped.append(row)
                reasons.append(f"too similar to {match} ({self.recipe.novelty.method} {score:.2f})")
            else:
                kept.append(row)
                self.novelty.add(text, row["_row_id"])
        result.accepted = kept
        if dropped:
            self._reject(result, dropped, NOVELTY_COLUMN, reasons)

    def _commit(self, result: BatchResult) -> None:
        part = result.batch % self.n_parts
        self._apply_novelty(result)
        room = self.recipe.target_rows - self.accepted_by_part[part]
        if len(result.accepted) > room:
            surplus = result.accepted[room:]
            result.accepted = result.accepted[:room]
            reason = f"surplus: the target of {self.recipe.target_rows} rows was already reached"
            self._reject(result, surplus, SURPLUS_COLUMN, [reason] * len(surplus))
        shard, rej = self.store.write_batch_files(
            result.batch,
            rows_to_table(result.accepted) if result.accepted else None,
            rows_to_table(result.rejected) if result.rejected else None,
        )
        self.store.db.commit_batch(
            result.batch, len(result.accepted), len(result.rejected), shard, rej,
            result.usage, dict(result.rejections), result.lineage,
        )
        self.committed.add(result.batch)
        self.accepted_by_part[part] += len(result.accepted)
        self.rejected += len(result.rejected)
        self.tokens += result.tokens
        self.cost += result.cost
        self.reporter.update(self.accepted, self.rejected, self.tokens)

    def partition_counts(self) -> dict[str, int]:
        return dict(zip(self.runner.partitions, self.accepted_by_part))
