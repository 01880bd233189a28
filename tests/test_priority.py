"""Free slots go to the waiting call of the lowest batch (models/priority.py), in the endpoint
pool and in the embedded model's slots; a waiter cancelled as it was granted gives its slot back."""

from __future__ import annotations

import asyncio

from synthloom.models.endpoint_pool import EndpointPool
from synthloom.models.priority import PRIORITY, PrioritySemaphore


def _served_order(make_lease, priorities):
    async def go():
        order = []
        hold = asyncio.Event()

        async def first():
            async with make_lease():
                await hold.wait()

        async def one(priority):
            PRIORITY.set(priority)
            async with make_lease():
                order.append(priority)
                await asyncio.sleep(0)

        blocker = asyncio.create_task(first())
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(one(p)) for p in priorities]
        await asyncio.sleep(0.01)  # all queued behind the one slot
        hold.set()
        await asyncio.gather(blocker, *waiting)
        return order

    return asyncio.run(go())


def test_the_pool_serves_the_lowest_batch_first_and_equals_in_arrival_order():
    pool = EndpointPool(["a"], [1])
    assert _served_order(pool.lease, [5, 2, 9, 2, 0]) == [0, 2, 2, 5, 9]


def test_the_embedded_models_slots_serve_the_lowest_batch_first():
    slots = PrioritySemaphore(1)
    assert _served_order(lambda: slots, [3, 1, 2]) == [1, 2, 3]


def test_a_waiter_cancelled_as_it_is_granted_gives_its_slot_back():
    async def go():
        pool = EndpointPool(["a"], [1])
        async with pool.lease():
            waiter = asyncio.create_task(_hold(pool))
            await asyncio.sleep(0.01)
        waiter.cancel()  # granted by the release above, cancelled before it ran
        await asyncio.gather(waiter, return_exceptions=True)
        async with pool.lease():  # the slot is free again
            return pool.outstanding[0]

    async def _hold(pool):
        async with pool.lease():
            await asyncio.sleep(10)

    assert asyncio.run(go()) == 1
