"""Several endpoints behind one alias: pick the one with the fewest requests in flight,
never exceeding any endpoint's concurrency cap. A lease names a free slot of the endpoint,
so callers can pin each slot to a connection group."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class EndpointPool:
    def __init__(self, urls: list[str], caps: list[int], rpm: list[float | None] | None = None):
        self.urls = urls
        self.caps = caps
        self.intervals = [60.0 / r if r else 0.0 for r in (rpm or [None] * len(urls))]
        self._next_start = [0.0] * len(urls)
        self.outstanding = [0] * len(urls)
        self._free_slots = [list(range(cap - 1, -1, -1)) for cap in caps]
        self._cond = asyncio.Condition()

    @property
    def capacity(self) -> int:
        return sum(self.caps)

    def _pick(self) -> int | None:
        free = [i for i in range(len(self.urls)) if self.outstanding[i] < self.caps[i]]
        if not free:
            return None
        # Least outstanding relative to capacity; ties go to the earlier endpoint.
        return min(free, key=lambda i: (self.outstanding[i] / self.caps[i], i))

    def _reserve_start(self, i: int) -> float:
        """Requests-per-minute limit: each request starts one interval after the previous."""
        now = time.monotonic()
        if not self.intervals[i]:
            return now
        start = max(now, self._next_start[i])
        self._next_start[i] = start + self.intervals[i]
        return start

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[tuple[int, int]]:
        """Yields (endpoint index, slot index within that endpoint)."""
        async with self._cond:
            while (i := self._pick()) is None:
                await self._cond.wait()
            self.outstanding[i] += 1
            slot = self._free_slots[i].pop()
            start_at = self._reserve_start(i)
        try:
            delay = start_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            yield i, slot
        finally:
            async with self._cond:
                self.outstanding[i] -= 1
                self._free_slots[i].append(slot)
                self._cond.notify()
