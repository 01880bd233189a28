"""Endpoint choice, concurrency caps and request-rate spacing (no network needed)."""

from __future__ import annotations

import asyncio
import time

from synthloom.models.endpoint_pool import EndpointPool


def test_least_outstanding_choice_respects_caps():
    async def go():
        pool = EndpointPool(["a", "b"], [1, 3])
        seen, peak = [], [0, 0]

        async def one():
            async with pool.lease() as (i, slot):
                seen.append(i)
                peak[i] = max(peak[i], pool.outstanding[i])
                assert 0 <= slot < pool.caps[i]
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one() for _ in range(40)))
        return seen, peak

    seen, peak = asyncio.run(go())
    assert peak == [1, 3]
    assert 5 <= seen.count(0) <= 15  # a quarter of the capacity gets about a quarter of the load


def test_requests_per_minute_spaces_request_starts():
    async def go():
        pool = EndpointPool(["a"], [10], [600.0])  # one start every 0.1 s
        starts = []

        async def one():
            async with pool.lease():
                starts.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(5)))
        return sorted(starts)

    starts = asyncio.run(go())
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(g >= 0.09 for g in gaps), gaps
