"""Several endpoints behind one alias: pick the one with the fewest requests in flight,
never exceeding any endpoint's concurrency cap. A lease names a free slot of the endpoint,
so callers can pin each slot to a connection group."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator


class EndpointPool:
    def __init__(self, urls: list[str], caps: list[int]):
        self.urls = urls
        self.caps = caps
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

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[tuple[int, int]]:
        """Yields (endpoint index, slot index within that endpoint)."""
        async with self._cond:
            while (i := self._pick()) is None:
                await self._cond.wait()
            self.outstanding[i] += 1
            slot = self._free_slots[i].pop()
        try:
            yield i, slot
        finally:
            async with self._cond:
                self.outstanding[i] -= 1
                self._free_slots[i].append(slot)
                self._cond.notify()
