"""Which waiting model call gets the next free slot: the one of the lowest batch.

Batches commit in order, so a slot given to a higher batch's cell while a lower batch waits only
makes finished batches wait longer to commit (and, when a budget stops the run, leaves more
half-done batches). The engine sets PRIORITY for each batch's tasks (a context variable, so it
follows the batch's rows into every call they make); the backends' slots are handed out lowest
priority first, and in arrival order among equals. Outside the engine everything is priority 0,
so the order is plain first come, first served."""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Callable
from typing import Any

PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("synthloom_priority", default=0)


class PriorityWaiters:
    """Callers waiting for something only the owner knows is free. `wait()` queues the caller
    by PRIORITY; the owner calls `dispatch(grant)` whenever something frees, and `grant()` hands
    out one unit (returning it, or None when there is none), which the best waiter receives."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[Any]]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    async def wait(self, grant: Callable[[], Any], give_back: Callable[[Any], None]) -> Any:
        """One unit: at once if nobody is waiting and one is free, else in priority order."""
        if not self._heap:
            unit = grant()
            if unit is not None:
                return unit
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (PRIORITY.get(), next(self._order), future))
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                give_back(future.result())  # granted as it was cancelled: not ours to keep
            raise

    def dispatch(self, grant: Callable[[], Any]) -> None:
        """Hand out free units to the best waiters, while both last."""
        while self._heap:
            if self._heap[0][2].done():  # cancelled while waiting
                heapq.heappop(self._heap)
                continue
            unit = grant()
            if unit is None:
                return
            heapq.heappop(self._heap)[2].set_result(unit)


class PrioritySemaphore:
    """A semaphore whose waiters go lowest PRIORITY first."""

    def __init__(self, value: int):
        self._free = value
        self._waiters = PriorityWaiters()

    def _grant(self) -> bool | None:
        if self._free > 0:
            self._free -= 1
            return True
        return None

    def _give_back(self, _unit: Any) -> None:
        self._free += 1
        self._waiters.dispatch(self._grant)

    async def __aenter__(self) -> None:
        await self._waiters.wait(self._grant, self._give_back)

    async def __aexit__(self, *exc: Any) -> None:
        self._give_back(True)
