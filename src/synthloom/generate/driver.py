"""Drive a run to its target: batches in flight, committed strictly in batch order.

Batches are the unit of commit and resume, not of scheduling. Every row of every batch in
flight runs on its own, cell by cell, and each model call waits for a slot of its model
(generate/model_calls.py, models/): so the slots are filled from the ready cells of all rows in
flight, across columns and batches, and a slow cell holds only its own row. With the default
`concurrent_batches` (unset), new batches start whenever the rows still running fall below the
models' slots at that moment plus one batch, so there is always a ready cell waiting for a slot;
a set `concurrent_batches` caps the batches in flight instead.

With `partition_by`, batch k belongs to partition k % P and each partition has its own
target; a partition that is full launches no more batches.

Each turn of the loop either awaits a batch in flight or ends the run, so it cannot spin.
Every paid model call is counted: committed batches record their usage with their rows, and
batches that do not commit record theirs in run.sqlite as uncommitted usage."""

from __future__ import annotations

import asyncio
from typing import Any

from synthloom.config.recipe import Recipe
from synthloom.config.templates import template_env
from synthloom.data.runs.run_store import RunStore
from synthloom.data.text.similarity import make_pool
from synthloom.data.files.tables import rows_to_table
from synthloom.generate.batch import BatchResult, BatchRunner
from synthloom.generate.model_calls import UsageTally
from synthloom.generate.spend import SpendingStopped, SpendMeter

SURPLUS_COLUMN = "_target"
NOVELTY_COLUMN = "_novelty"


class _Todo:
    """The batches still to launch, range(total) less those committed or launched, without
    holding them in a list: a run of a billion batches costs one cursor per partition."""

    def __init__(self, total: int, n_parts: int, taken: set[int]):
        self.total, self.n_parts = total, n_parts
        self.taken = {b for b in taken if b < total}
        self.cursor = list(range(n_parts))  # the lowest batch of each partition not yet passed

    def lowest(self, part: int) -> int | None:
        b = self.cursor[part]
        while b < self.total and b in self.taken:
            self.taken.discard(b)  # the cursor never comes back below it
            b += self.n_parts
        self.cursor[part] = b
        return b if b < self.total else None

    def first(self, parts: Any) -> int | None:
        """The lowest batch still to launch among these partitions."""
        found = [b for b in (self.lowest(p) for p in parts) if b is not None]
        return min(found, default=None)

    def remove(self, b: int) -> None:
        self.taken.add(b)


class Driver:
    def __init__(self, recipe: Recipe, store: RunStore, runner: BatchRunner, reporter: Any):
        self.recipe, self.store, self.runner, self.reporter = recipe, store, runner, reporter
        self.n_parts = len(runner.partitions)
        committed = store.db.committed_batches()
        self.committed = set(committed)
        self.accepted_by_part = [0] * self.n_parts
        for b, (acc, *_rest) in committed.items():
            self.accepted_by_part[b % self.n_parts] += acc
        self.rejected = sum(r for _, r, *_ in committed.values())
        # Rows that passed but came after their target: they say nothing about the yield.
        self.surplus = sum(n for column, _, n in store.db.rejection_totals() if column == SURPLUS_COLUMN)
        budget = recipe.budget
        self.meter = SpendMeter(budget.max_tokens if budget else None, budget.max_cost_usd if budget else None)
        for u in store.db.usage_totals():  # earlier sessions' spend counts against the budget too
            self.meter.add(u.prompt_tokens + u.completion_tokens, u.cost_usd)
        self.in_flight: dict[int, asyncio.Task[BatchResult]] = {}
        self.rows_left: dict[int, int] = {}  # per batch in flight: rows still running
        self._row_finished = asyncio.Event()
        self.done: dict[int, BatchResult] = {}  # finished, waiting for their turn to commit
        self.committing: dict[int, int] = {}  # taken from done, being written: batch -> rows it passed
        self._committer: asyncio.Task[None] | None = None
        self._stop_commits = False
        self.unfinished: set[int] = set()  # stopped this session before they finished
        self.tallies: dict[int, UsageTally] = {}  # usage of batches not yet stored in run.sqlite
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
        return max((self.accepted + self.surplus) / seen, 0.05) if seen else 1.0

    def _novelty_pool(self) -> Any:
        cfg = self.recipe.novelty
        if cfg is None:
            return None
        pool = make_pool(cfg.method, cfg.threshold)
        if cfg.seed_column:
            for i, row in enumerate(self.runner.seed_rows(cfg.seed_column)):
                if row.get(cfg.seed_field):
                    pool.add(str(row[cfg.seed_field]), f"seed #{i}")
        self._novelty_text = template_env().compile_expression(cfg.text, undefined_to_none=False)
        for row in self.store.read_accepted().to_pylist():  # a resumed run's pool
            pool.add(str(self._novelty_text(**row)), row["_row_id"])
        return pool

    # ---- the loop ----
    async def run(self) -> str:
        todo = _Todo(self.recipe.effective_max_batches * self.n_parts, self.n_parts, self.committed)
        self.reporter.start(self.target_total, self.accepted, self.rejected, self.meter.tokens)
        orderly = False
        try:
            while True:
                self._start_commits(todo)
                if self.accepted >= self.target_total:
                    break
                self._launch(todo)
                if not self.in_flight and self._committer is None:
                    break  # nothing running and nothing more to start: this session is over
                await self._wait_for_one()
            orderly = True
        finally:
            await self._wind_down(todo, orderly)
        if self.accepted >= self.target_total:
            return "complete"
        return "budget_reached" if self.meter.budget_reached else "max_batches_reached"

    # ---- scheduling ----
    def _row_window(self) -> int:
        """Rows that may run at once: the models' slots now plus one batch, so a slot that frees
        always finds a ready cell (at least two batches, for recipes with few or no model calls)."""
        size = self.recipe.batch_size
        return max(2 * size, self.runner.slots_now() + size)

    def _has_room(self) -> bool:
        if self.recipe.concurrent_batches is not None:
            return len(self.in_flight) < self.recipe.concurrent_batches
        window = self._row_window()
        # Finished batches wait for lower ones to commit; bound them, so a batch stuck on a slow
        # row cannot let the others pile up without end. The bound is loose on purpose: a row
        # waiting out a Retry-After of seconds must not idle the slots (rows are small).
        waiting_cap = 16 * -(-window // self.recipe.batch_size) + 2
        return sum(self.rows_left.values()) < window and len(self.in_flight) + len(self.done) < waiting_cap

    def _launch(self, todo: _Todo) -> None:
        while self._has_room() and not self.meter.budget_reached:
            b = self._next_launch(todo)
            if b is None:
                return
            todo.remove(b)
            self.tallies[b] = UsageTally(meter=self.meter)
            self.rows_left[b] = self.recipe.batch_size
            self.in_flight[b] = asyncio.create_task(
                self.runner.run(b, tally=self.tallies[b], on_row_done=lambda b=b: self._row_done(b)))

    def _row_done(self, batch: int) -> None:
        if batch in self.rows_left:
            self.rows_left[batch] -= 1
            self._row_finished.set()

    async def _wait_for_one(self) -> None:
        """Until a batch finishes or, when rows decide the launches, a row does."""
        waits: list[asyncio.Future[Any]] = list(self.in_flight.values())
        if self._committer is not None:
            waits.append(self._committer)
        row_waiter = None
        if self.recipe.concurrent_batches is None:
            self._row_finished.clear()
            row_waiter = asyncio.ensure_future(self._row_finished.wait())
            waits.append(row_waiter)
        try:
            finished, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if row_waiter is not None and not row_waiter.done():
                row_waiter.cancel()
        if self._committer is not None and self._committer.done():
            committer, self._committer = self._committer, None
            committer.result()  # a failed commit stops the run
        for b in sorted(b for b, t in self.in_flight.items() if t in finished):
            task = self.in_flight.pop(b)
            self.rows_left.pop(b, None)
            error = task.exception()
            if isinstance(error, SpendingStopped):
                self.unfinished.add(b)
                self._record_uncommitted(b)
            elif error is not None:
                raise error
            else:
                self.done[b] = task.result()

    def _start_commits(self, todo: _Todo) -> None:
        """Commit what may commit on a task of its own: writing a batch takes milliseconds, and
        the loop must go on launching rows meanwhile, or a wave of finished batches would leave
        the model slots idle while they are written one after another."""
        if self._committer is None and not self._stop_commits and self._next_commit(todo) is not None:
            self._committer = asyncio.create_task(self._commit_ready(todo))

    def _next_commit(self, todo: _Todo) -> int | None:
        """A batch of a full partition commits at once: its rows are all surplus, whatever the
        order. Any other commits only when no lower batch is running, stopped or still to run,
        so the rows kept are the same whichever batch finishes first."""
        lowest = self._lowest_unsettled(todo)
        return next((b for b in sorted(self.done) if self._full(b % self.n_parts) or b < lowest), None)

    async def _commit_ready(self, todo: _Todo) -> None:
        """Commit, in order, every batch that may, including those that may by the time the one
        before them is written."""
        while not self._stop_commits and (b := self._next_commit(todo)) is not None:
            result = self.done.pop(b)
            self.committing[b] = len(result.accepted)
            try:
                await self._commit(result)
            finally:
                del self.committing[b]

    def _lowest_unsettled(self, todo: _Todo) -> float:
        """The lowest batch that may still add rows: running, stopped, or the next to launch."""
        upcoming = todo.first(p for p in range(self.n_parts) if not self._full(p))
        pending = [b for b in (*self.in_flight, *self.unfinished) if not self._full(b % self.n_parts)]
        return min([*pending, *([upcoming] if upcoming is not None else [])], default=float("inf"))

    async def _wind_down(self, todo: _Todo, orderly: bool) -> None:
        """Send no new model call. After an orderly end, the calls already sent finish (they are
        paid for) and their batches commit if they may; after an error they are cancelled.
        Whatever did not commit records its usage; its rows are made again, from the cache,
        when the run resumes."""
        self.meter.close()
        try:
            if orderly:
                while self.in_flight or self._committer is not None:
                    await self._wait_for_one()
                await self._commit_ready(todo)
        finally:
            # A batch being written finishes (its files and its row in run.sqlite go together);
            # no other starts.
            self._stop_commits = True
            if self._committer is not None:
                await asyncio.gather(self._committer, return_exceptions=True)
                self._committer = None
            for task in self.in_flight.values():
                task.cancel()
            if self.in_flight:
                await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
            self.in_flight.clear()
            self.rows_left.clear()
            for b in sorted(self.tallies):
                self._record_uncommitted(b)

    def _record_uncommitted(self, batch: int) -> None:
        self.store.db.record_uncommitted_usage(batch, list(self.tallies.pop(batch).rows.values()))

    def _next_launch(self, todo: _Todo) -> int | None:
        """The lowest batch whose partition still expects to fall short of its target: rows
        committed, rows that finished batches passed (known, though not committed yet), and for
        batches still running the yield seen so far."""
        expected = [float(n) for n in self.accepted_by_part]
        running = self.recipe.batch_size * self._acceptance()
        for b in self.in_flight:
            expected[b % self.n_parts] += running
        for b, result in self.done.items():
            expected[b % self.n_parts] += len(result.accepted)
        for b, passed in self.committing.items():
            expected[b % self.n_parts] += passed
        return todo.first(p for p in range(self.n_parts) if expected[p] < self.recipe.target_rows)

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

    def _write_files(self, result: BatchResult) -> tuple[str | None, str | None]:
        return self.store.write_batch_files(
            result.batch,
            rows_to_table(result.accepted) if result.accepted else None,
            rows_to_table(result.rejected) if result.rejected else None,
        )

    async def _commit(self, result: BatchResult) -> None:
        """Store a finished batch. Rows past its partition's target (all of them if the partition
        filled while it ran) are surplus: paid for, so kept in rejected/ and the lineage."""
        part = result.batch % self.n_parts
        room = self.recipe.target_rows - self.accepted_by_part[part]
        if room > 0:  # surplus rows must not shape what later batches keep
            self._apply_novelty(result)
        if len(result.accepted) > room:
            surplus = result.accepted[room:]
            result.accepted = result.accepted[:room]
            self._reject(result, surplus, SURPLUS_COLUMN, [self._surplus_reason(part)] * len(surplus))
            self.surplus += len(surplus)
        # The batch's files are written on a thread, so the rows still running keep the event loop
        # (and the model slots) busy meanwhile; the driver awaits it, so commits stay in order.
        shard, rej = await asyncio.to_thread(self._write_files, result)
        self.store.db.commit_batch(
            result.batch, len(result.accepted), len(result.rejected), shard, rej,
            result.usage, dict(result.rejections), result.lineage,
        )
        self.committed.add(result.batch)
        self.accepted_by_part[part] += len(result.accepted)
        self.rejected += len(result.rejected)
        self.tallies.pop(result.batch, None)  # its usage is stored with it
        self.reporter.update(self.accepted, self.rejected, self.meter.tokens, self.runner.concurrency())

    def _surplus_reason(self, part: int) -> str:
        if self.recipe.partition_by:
            return f"surplus: partition '{self.runner.partitions[part]}' already had its {self.recipe.target_rows} rows"
        return f"surplus: the target of {self.recipe.target_rows} rows was already reached"

    def partition_counts(self) -> dict[str, int]:
        return dict(zip(self.runner.partitions, self.accepted_by_part))
