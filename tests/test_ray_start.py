"""A run that starts Ray itself (generate/ray_executor.py): the driver makes the first batches
while Ray starts on a thread, then hands over to the workers. The rows are the local executor's,
the endpoint's cap holds through the handover, and the run says how many batches the driver made.

Its own module: the other Ray modules keep Ray running for all their tests (`ray_two_cpus`),
and a run that finds Ray running starts no overlap."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from synthloom.config import parse_recipe

from .recipes import qa_recipe
from .test_ray_executor import _rows_hash

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(300)


def test_the_driver_makes_the_first_batches_while_ray_starts_and_the_rows_stay_the_same(
        tmp_path, scripted_server, monkeypatch):
    from synthloom.generate import generate_run, ray_executor

    assert not ray.is_initialized()
    server = scripted_server(latency_s=0.005)

    def recipe(name: str):
        return parse_recipe(json.dumps(qa_recipe(server.url, tmp_path, name=name, target=160, batch=4,
                                                 concurrency=4)))

    local = asyncio.run(generate_run(recipe("local")))
    real_start, real_workers = ray_executor.start_ray, ray_executor._started_workers

    def start_slowly(ray_module, address):
        time.sleep(2)
        real_start(ray_module, address)

    async def workers_then_fast_answers(*args, **kwargs):
        # Slow answers until the workers answer, fast ones after: the driver has time for a batch
        # or two, and however long Ray and its workers take today (20 s seen on a busy machine),
        # most of the 40 batches are left for the workers.
        try:
            return await real_workers(*args, **kwargs)
        finally:
            server.model.script.latency_s = 0.005

    monkeypatch.setattr(ray_executor, "start_ray", start_slowly)
    monkeypatch.setattr(ray_executor, "_started_workers", workers_then_fast_answers)
    server.model.script.latency_s = 0.5
    server.model.max_in_flight = 0
    mixed = asyncio.run(generate_run(recipe("mixed"), executor="ray"))

    assert not ray.is_initialized()  # started by the run, stopped by it
    assert mixed.status == "complete" and _rows_hash(mixed.run_dir) == _rows_hash(local.run_dir)
    assert 1 <= server.model.max_in_flight <= 4  # the driver's slots and the workers' never overlap
    said = [n for n in mixed.notices if n.startswith("Ray took")]
    assert len(said) == 1, mixed.notices
    made_on_driver = int(said[0].split("the first ")[1].split(" ")[0])
    assert 1 <= made_on_driver < 40, said
    start_s = float(said[0].split("Ray took ")[1].split(" s")[0])
    assert 2 <= start_s < mixed.elapsed_s  # Ray's start-up (with the test's 2 s), not the whole run


def test_without_an_address_ray_is_started_for_the_run_not_joined(monkeypatch):
    """Ray's own default joins any Ray already running on the machine (another run's, another
    test worker's) and counts its CPUs; a run without --address starts its own, unless
    RAY_ADDRESS names a cluster (or --address auto asks to join)."""
    from synthloom.workers.ray_session import start_ray

    asked = []

    class FakeRay:
        def init(self, address=None, **_):
            asked.append(address)

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    start_ray(FakeRay())
    start_ray(FakeRay(), "auto")
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    start_ray(FakeRay())
    assert asked == ["local", "auto", "10.0.0.5:6379"]
