"""Several endpoints behind one alias: pick the one with the fewest requests in flight,
never exceeding any endpoint's current limit (adaptive_limit.py: at most its `max_concurrency`,
less while it refuses or queues). A lease names a free slot of the endpoint, so callers can pin
each slot to a connection group; what the endpoint answered goes back through `answered` and
`refused`. Waiting callers get free slots lowest batch first (priority.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from synthloom.models.adaptive_limit import AdaptiveLimit
from synthloom.models.priority import PriorityWaiters


@dataclass(frozen=True)
class Lease:
    endpoint: int
    slot: int  # within the endpoint: callers pin each slot to a connection group
    epoch: int  # the endpoint's limit when the request left; its outcome goes back with it


class EndpointPool:
    def __init__(self, urls: list[str], caps: list[int], rpm: list[float | None] | None = None):
        self.urls = urls
        self.caps = caps
        self.limits = [AdaptiveLimit(cap) for cap in caps]
        self.intervals = [60.0 / r if r else 0.0 for r in (rpm or [None] * len(urls))]
        self._next_start = [0.0] * len(urls)
        self.outstanding = [0] * len(urls)
        self._free_slots = [list(range(cap - 1, -1, -1)) for cap in caps]
        self._waiters = PriorityWaiters()

    @property
    def capacity(self) -> int:
        return sum(self.caps)

    @property
    def current(self) -> int:
        """Requests the endpoints take at once now, added up."""
        return sum(limit.current for limit in self.limits)

    def answered(self, lease: Lease, latency_s: float) -> None:
        self.limits[lease.endpoint].answered(latency_s, lease.epoch)

    def refused(self, lease: Lease) -> None:
        self.limits[lease.endpoint].refused(lease.epoch)

    def _pick(self) -> int | None:
        limits = [limit.current for limit in self.limits]
        free = [i for i in range(len(self.urls)) if self.outstanding[i] < limits[i]]
        if not free:
            return None
        # Least outstanding relative to the limit; ties go to the earlier endpoint.
        return min(free, key=lambda i: (self.outstanding[i] / limits[i], i))

    def _reserve_start(self, i: int) -> float:
        """Requests-per-minute limit: each request starts one interval after the previous."""
        now = time.monotonic()
        if not self.intervals[i]:
            return now
        start = max(now, self._next_start[i])
        self._next_start[i] = start + self.intervals[i]
        return start

    def _take(self) -> tuple[int, int, int, float] | None:
        """A free slot of the least busy endpoint, taken: (endpoint, slot, epoch, start time)."""
        i = self._pick()
        if i is None:
            return None
        self.outstanding[i] += 1
        epoch = self.limits[i].sent(self.outstanding[i])
        return i, self._free_slots[i].pop(), epoch, self._reserve_start(i)

    def _give_back(self, taken: tuple[int, int, int, float]) -> None:
        i, slot = taken[0], taken[1]
        self.outstanding[i] -= 1
        self._free_slots[i].append(slot)
        self._waiters.dispatch(self._take)  # a limit that grew frees more than this one slot

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[Lease]:
        """A free slot of the least busy endpoint, held until the request is answered."""
        taken = await self._waiters.wait(self._take, self._give_back)
        try:
            delay = taken[3] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            yield Lease(taken[0], taken[1], taken[2])
        finally:
            self._give_back(taken)
