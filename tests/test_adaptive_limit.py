"""The adaptive concurrency limit (models/adaptive_limit.py) against simulated servers: one with
a true capacity that queues past it, one that refuses, one with random refusals that are not
overload, and one whose latencies vary a lot. Pure logic: no clock, no server."""

from __future__ import annotations

import random

from synthloom.models.adaptive_limit import AdaptiveLimit


def _rounds(limit: AdaptiveLimit, rounds: int, answer) -> list[int]:
    """Send `current` requests per round (all in flight together) and feed back what `answer`
    says of each: a latency, or None for a refusal. Returns the limit (its target: what the
    signals set, before slots held shut by refusals) after each round."""
    seen = []
    for r in range(rounds):
        n = limit.current
        epochs = [limit.sent(i + 1) for i in range(n)]
        for i in range(n):
            latency = answer(n, i, r)
            if latency is None:
                limit.refused(epochs[i])
            else:
                limit.answered(latency, epochs[i])
        seen.append(limit.target)
    return seen


def test_it_starts_at_the_cap_and_stays_there_while_the_server_keeps_up():
    limit = AdaptiveLimit(64)
    assert limit.current == 64
    assert _rounds(limit, 30, lambda n, i, r: 0.2) == [64] * 30


def test_a_queueing_server_keeps_the_limit_near_its_capacity_not_the_cap():
    """A server that serves 16 at once and queues the rest, under a cap of 64: the limit comes
    down to it, and once a cut has brought relief (so this server is known to queue) it probes
    only a tenth above, so the load averages within 10% of the capacity."""
    capacity, base = 16, 0.2

    def queueing(n, i, r):  # FIFO: request i waits for i // capacity services before its own
        return base * (1 + i // capacity) if r == 0 else base * max(1.0, n / capacity)

    limit = AdaptiveLimit(64)
    settled = _rounds(limit, 80, queueing)[-40:]
    assert min(settled) >= capacity and sum(settled) / len(settled) <= 1.1 * capacity, settled


def test_a_server_queueing_in_waves_is_found_by_the_mean_not_the_fast_answers():
    """Each round a burst: the first 16 answers are served at once and the rest wait whole
    services behind them, so the fast answers never show the queue, and the first answers are
    the only unqueued ones the client ever sees (the limit starts far above the capacity)."""
    capacity, base = 16, 0.2
    limit = AdaptiveLimit(64)
    settled = _rounds(limit, 80, lambda n, i, r: base * (1 + i // capacity))[-40:]
    assert max(settled) <= 1.3 * capacity and sum(settled) / len(settled) <= 1.2 * capacity, settled


def test_a_server_slower_under_load_keeps_its_concurrency():
    """Latency that grows gently with concurrency (a CPU-bound server, a GPU batching more) is
    no queue: more requests still get more answers, so the limit stays at the cap."""
    limit = AdaptiveLimit(32)
    assert _rounds(limit, 40, lambda n, i, r: 0.2 * (1 + 0.3 * n / 32))[-10:] == [32] * 10


def test_refusals_past_capacity_cut_the_limit_multiplicatively():
    capacity = 20

    def refusing(n, i, r):
        return 0.2 if i < capacity else None

    limit = AdaptiveLimit(64)
    seen = _rounds(limit, 20, refusing)
    assert seen[0] == 48  # 44 of 64 refused: cut by a quarter
    assert all(x <= 1.25 * capacity for x in seen[-4:]), seen


def test_a_few_random_refusals_do_not_shrink_the_limit():
    rng = random.Random(0)
    limit = AdaptiveLimit(32)
    seen = _rounds(limit, 60, lambda n, i, r: None if rng.random() < 0.05 else 0.2)
    assert sum(seen) / len(seen) >= 0.9 * 32, seen


def test_a_server_that_got_slower_for_everyone_does_not_keep_the_limit_down():
    """Latency that rises for a reason of the server's own (longer prompts, a busier GPU shared
    with others) is not our queue: a cut that brings no relief is undone."""
    limit = AdaptiveLimit(32)
    seen = _rounds(limit, 40, lambda n, i, r: 0.2 if r < 10 else 0.5)
    assert seen[-10:] == [32] * 10, seen


def test_varied_latencies_without_a_queue_keep_the_limit_near_the_cap():
    rng = random.Random(1)
    limit = AdaptiveLimit(32)
    seen = _rounds(limit, 100, lambda n, i, r: rng.uniform(0.5, 3.0))
    assert sum(seen[20:]) / len(seen[20:]) >= 0.8 * 32, seen


def test_it_grows_back_only_when_the_limit_is_used():
    limit = AdaptiveLimit(32)
    _rounds(limit, 1, lambda n, i, r: None)  # all refused: 32 -> 24
    assert limit.target == 24
    for _ in range(20):  # a client that never has more than 4 in flight
        epochs = [limit.sent(i + 1) for i in range(4)]
        for epoch in epochs:
            limit.answered(0.2, epoch)
    assert limit.target == limit.current == 24
    grown = _rounds(limit, 12, lambda n, i, r: 0.2)
    assert grown[-1] > 24 and grown == sorted(grown), grown


def test_each_refusal_keeps_a_slot_shut_until_an_answer_reopens_it():
    """A full server refuses at once, so a refused request's slot would be refilled at once and
    refused again, many times before the window's signals cut the limit."""
    limit = AdaptiveLimit(64)
    epochs = [limit.sent(i + 1) for i in range(64)]
    for epoch in epochs[:10]:
        limit.refused(epoch)
    assert limit.target == 64 and limit.current == 54  # ten slots shut, the limit itself unchanged
    for epoch in epochs[10:14]:
        limit.answered(0.2, epoch)
    assert limit.current == 58
    for _ in range(500):  # a server that refuses everything shuts all but one slot, no more:
        limit.refused(limit.sent(1))
    assert limit.current == 1
    for _ in range(limit.target - 1):  # so the answers of a server back up reopen them all
        limit.answered(0.2, limit.sent(1))
    assert limit.current == limit.target
