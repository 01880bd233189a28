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
            async with pool.lease() as lease:
                i, slot = lease.endpoint, lease.slot
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


def test_an_endpoint_that_refuses_gets_fewer_requests_at_once():
    """Its adaptive limit (models/adaptive_limit.py) falls below the cap, and the pool admits
    only that many; the other endpoint keeps its own."""
    async def go():
        pool = EndpointPool(["a", "b"], [32, 32])
        for _ in range(2):  # two windows in which endpoint a refuses everything
            leases = []
            for _ in range(32):
                async with pool.lease() as lease:
                    leases.append(lease)
            for lease in leases:
                if lease.endpoint == 0:
                    pool.refused(lease)
                else:
                    pool.answered(lease, 0.1)
        peak = [0, 0]

        async def one():
            async with pool.lease() as lease:
                peak[lease.endpoint] = max(peak[lease.endpoint], pool.outstanding[lease.endpoint])
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one() for _ in range(200)))
        return pool.limits[0].current, peak

    limit_a, peak = asyncio.run(go())
    assert limit_a < 32 and peak[0] <= limit_a and peak[1] == 32
