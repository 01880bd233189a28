"""One batch: a pure function of (recipe, batch index, seed, cache). Any executor can run it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jinja2

from synthloom.config.templates import expression_variables
from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import Recipe
from synthloom.config.templates import template_env
from synthloom.data.runs.run_db import UsageRow
from synthloom.generate.cells import CellContext, CellRejected, RowState
from synthloom.generate.columns import BatchEnv, ColumnGenerator, PartitionSource, SeedSource
from synthloom.generate.model_calls import ModelCaller, UsageTally
from synthloom.generate.plan import column_levels
from synthloom.generate.spend import SpendingStopped
from synthloom.models.priority import PRIORITY

FILTER_COLUMN = "_filter"

Capability = TypeVar("Capability", PartitionSource, SeedSource)


@dataclass
class BatchResult:
    batch: int
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    usage: list[UsageRow] = field(default_factory=list)

    @property
    def rejections(self) -> Counter[tuple[str, str]]:
        return Counter((r["_column"], _reason_label(r["_reason"])) for r in self.rejected)

    @property
    def tokens(self) -> int:
        return sum(u.prompt_tokens + u.completion_tokens for u in self.usage)

    @property
    def cost(self) -> float:
        return sum(u.cost_usd for u in self.usage)


def _reason_label(reason: str) -> str:
    """Group reasons for the summary: drop the variable tail (URLs, positions)."""
    return reason if len(reason) <= 120 else reason[:117] + "..."


class BatchRunner:
    """Holds what batches share (generators, model callers); `run(i)` makes batch i. It asks a
    generator only what `ColumnGenerator` and its capabilities (columns/base.py) offer."""

    def __init__(self, recipe: Recipe, generators: dict[str, ColumnGenerator], callers: dict[str, ModelCaller]):
        self.recipe = recipe
        self.generators = generators
        self.callers = callers
        self.levels = column_levels(recipe)
        env = template_env()
        # Each filter runs right after the level that completes its inputs, so a row that
        # fails it early costs no further model calls.
        done_after = {name: i for i, level in enumerate(self.levels) for name in level}
        self.filters_after: dict[int, list[tuple[str, Any]]] = {}
        for f in recipe.active_filters():
            due = max((done_after[v] for v in expression_variables(f.expr)), default=0)
            compiled = env.compile_expression(f.expr, undefined_to_none=False)
            self.filters_after.setdefault(due, []).append((f.label, compiled))
        self.dropped = {c.name for c in recipe.columns if c.drop}
        self.partitions = [""]
        if recipe.partition_by:
            column, field = recipe.partition_by.split(".")
            self.partitions = self._capable(column, PartitionSource, "partition_by").partition_on(field)

    def seed_rows(self, column: str) -> Sequence[Mapping[str, Any]]:
        """The rows seed column `column` draws from (a novelty pool starts with them)."""
        return self._capable(column, SeedSource, "novelty.seed_column").seed_rows()

    def _capable(self, column: str, capability: type[Capability], setting: str) -> Capability:
        generator = self.generators[column]
        if not isinstance(generator, capability):
            raise SynthloomError(f"{setting} names column '{column}', whose kind cannot serve there; name a seed column")
        return generator

    @property
    def notices(self) -> list[str]:
        return [*self.server_notices, *(n for g in self.generators.values() for n in g.notices)]

    @property
    def server_notices(self) -> list[str]:
        """What the probe found out about each endpoint (said once, at the start)."""
        return [n for c in self.callers.values() for n in getattr(c.backend, "notices", ())]

    def servers(self) -> dict[str, list[dict[str, Any]]]:
        """Per model alias and endpoint: how structured output, /completions and usage work."""
        return {alias: [cap.to_json() for cap in c.backend.capabilities]
                for alias, c in self.callers.items() if hasattr(c.backend, "capabilities")}

    def partition_of(self, batch: int) -> int:
        """Batches take turns among partitions, so each partition's batches are numbered apart."""
        return batch % len(self.partitions)

    def row_id(self, batch: int, position: int) -> str:
        return f"b{batch:05d}-r{position:04d}"

    def slots_now(self) -> int:
        """Model calls the recipe's models take at once at this moment, added up."""
        return sum(c.backend.concurrency_now for c in self.callers.values())

    def concurrency(self) -> tuple[int, int] | None:
        """(slots now, slots at most) over the recipe's models, for the progress line."""
        if not self.callers:
            return None
        return self.slots_now(), sum(c.backend.max_concurrency for c in self.callers.values())

    async def run(self, batch: int, size: int | None = None, tally: UsageTally | None = None,
                  on_row_done: Callable[[], None] | None = None) -> BatchResult:
        """`tally` (the caller's, so it outlives a batch that fails) receives the batch's usage;
        `on_row_done` hears each row end, so the driver can start rows while this batch's last
        ones still run."""
        size = size or self.recipe.batch_size
        tally = tally if tally is not None else UsageTally()
        PRIORITY.set(batch)  # this batch's model calls get free slots before higher batches' (models/priority.py)
        env = BatchEnv(self.callers, tally)
        bs = self.recipe.batch_size
        p, j = self.partition_of(batch), batch // len(self.partitions)
        rows = [RowState(self.row_id(batch, i), batch, batch * bs + i, p, j * bs + i) for i in range(size)]
        # Every row runs to its end even if another fails, so calls already sent are counted.
        outcomes = await asyncio.gather(*(self._row(row, env, on_row_done) for row in rows), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:  # a real error outranks a refused call (SpendingStopped)
            raise next((e for e in errors if not isinstance(e, SpendingStopped)), errors[0])
        result = BatchResult(batch=batch, usage=list(tally.rows.values()))
        for row, failure in zip(rows, outcomes):
            lineage = {"batch": batch, "row_index": row.index, **row.lineage}
            if self.recipe.partition_by:
                lineage["partition"] = self.partitions[p]
            if failure is None:
                out = {"_row_id": row.row_id}
                out.update({k: v for k, v in row.values.items() if k not in self.dropped})
                result.accepted.append(out)
                result.lineage.append((row.row_id, "accepted", lineage))
            else:
                column, reason = failure
                out = {"_row_id": row.row_id, "_batch": batch, "_column": column, "_reason": reason}
                out.update(row.values)
                result.rejected.append(out)
                result.lineage.append((row.row_id, "rejected", {**lineage, "column": column, "reason": reason}))
        return result

    async def _row(self, row: RowState, env: BatchEnv, on_done: Callable[[], None] | None) -> tuple[str, str] | None:
        try:
            return await self._run_row(row, env)
        finally:
            if on_done is not None:
                on_done()

    async def _run_row(self, row: RowState, env: BatchEnv) -> tuple[str, str] | None:
        """None if the row is accepted, else (column, reason)."""
        for i, level in enumerate(self.levels):
            cells = [self._cell(name, row, env) for name in level]
            results = await asyncio.gather(*cells) if len(cells) > 1 else [await cells[0]]
            for name, (ok, value) in zip(level, results):
                if not ok:
                    return name, value
                row.values[name] = value
            for label, check in self.filters_after.get(i, ()):
                try:
                    passed = check(**row.values)
                except (jinja2.TemplateError, TypeError, ValueError, KeyError) as exc:
                    return FILTER_COLUMN, f"filter '{label}' could not be evaluated: {exc}"
                if not passed:
                    return FILTER_COLUMN, f"filter '{label}' is false"
        return None

    async def _cell(self, name: str, row: RowState, env: BatchEnv) -> tuple[bool, Any]:
        ctx = CellContext(self.recipe.seed, row, name)
        try:
            return True, await self.generators[name].generate(ctx, env)
        except CellRejected as exc:
            return False, exc.reason
