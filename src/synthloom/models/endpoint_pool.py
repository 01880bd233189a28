"""Several endpoints behind one alias: pick the one with the fewest requests in flight,
never exceeding any endpoint's concurrency cap."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator


class EndpointPool:
    def __init__(self, urls: list[str], caps: list[int]):
        self.urls = urls
        self.caps = caps
        self.outstanding = [0] * len(urls)
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
    async def lease(self) -> AsyncIterator[str]:
        async with self._cond:
            while (i := self._pick()) is None:
                await self._cond.wait()
            self.outstanding[i] += 1
        try:
            yield self.urls[i]
        finally:
            async with self._cond:
                self.outstanding[i] -= 1
                self._cond.notify()
