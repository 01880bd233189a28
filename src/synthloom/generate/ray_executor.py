"""Batches on Ray workers (`synthloom generate --executor ray [--address ADDR]`).

A batch is a pure function of the recipe, its index, the seed and the response cache
(docs/engine.md), so any process can make it. The driver stays where it is: it chooses which
batch runs next, commits in order, resumes, writes the cache and the lineage, exactly as with
the local executor. Only `runner.run(b)` moves: `RayRunner` sends it to one of N `BatchWorker`
actors (one CPU each; one CPU of the machine is left to the driver, as Ray Data needs), each of
which opens its own model clients once and runs many batches at a time on its event loop.

What crosses the wire:
- to a worker: the recipe (as JSON), its share of each HTTP endpoint's `max_concurrency`, and
  the cache the run started with (a resumed run answers from it on every worker);
- back: the batch's rows and usage, and the answers it received, which the driver puts in
  run.sqlite's cache.

The endpoints' `max_concurrency` holds across the cluster: worker i gets cap // N slots of each
endpoint, plus one if i < cap % N, so the shares add up to the cap; N is at most the smallest
cap, so no worker has none. The budget is checked by the driver as each batch comes back, so a
run may overshoot it by what the batches in flight spend."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Callable
from typing import Any

from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import Recipe
from synthloom.generate.batch import BatchResult, BatchRunner
from synthloom.generate.model_calls import UsageTally

WORKER_CPUS = 1
RESTARTS = 3  # per worker, and per batch sent to a worker that died


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SynthloomError("--executor ray needs Ray: pip install 'synthloom[ray]'") from None
    return ray


def share_of_caps(recipe: Recipe, worker: int, workers: int) -> Recipe:
    """The recipe worker `worker` of `workers` runs: each HTTP endpoint's `max_concurrency` split
    so the workers' shares add up to it."""
    share = recipe.model_copy(deep=True)  # keeps the folder relative paths start at
    for model in (share.models or {}).values():
        for endpoint in getattr(model, "endpoints", None) or []:
            cap = endpoint.max_concurrency
            endpoint.max_concurrency = cap // workers + (1 if worker < cap % workers else 0)
    return share


def largest_worker_count(recipe: Recipe, wanted: int) -> int:
    caps = [e.max_concurrency for m in (recipe.models or {}).values() for e in getattr(m, "endpoints", None) or []]
    return max(1, min([wanted, *caps]))


def worker_environment(recipe: Recipe) -> dict[str, str]:
    """What a worker must find in its environment, as the driver has it: each model's API key
    variable (`api_key_env`) and the hosts keys may go to (models/key_hosts.py). Nothing else of
    the driver's environment travels."""
    from synthloom.models.key_hosts import ALLOWED_KEY_HOSTS_ENV

    names = {getattr(m, "api_key_env", None) for m in (recipe.models or {}).values()} | {ALLOWED_KEY_HOSTS_ENV}
    return {name: os.environ[name] for name in sorted(n for n in names if n) if name in os.environ}


class _ShippedCache:
    """A worker's view of the run's cache: what the run started with, and what this worker has
    been answered since (handed back with each batch for the driver to store)."""

    def __init__(self, snapshot: dict[str, Any]):
        self.known = dict(snapshot)
        self.new: list[tuple[str, str, Any]] = []

    def cache_get(self, key: str) -> Any:
        return self.known.get(key)

    def cache_put(self, key: str, model: str, resp: Any) -> None:
        self.known[key] = resp
        self.new.append((key, model, resp))


class BatchWorkerImpl:
    """One Ray actor's state: its own runner (model clients, column generators), opened on the
    first batch and kept for the next ones."""

    def __init__(self, recipe: Recipe, snapshot: dict[str, Any]):
        self._recipe = recipe  # pickled whole: a JSON dump would redact credentials in endpoint URLs
        self._cache = _ShippedCache(snapshot)
        self._stack = contextlib.AsyncExitStack()
        self._runner: BatchRunner | None = None
        self._opening = asyncio.Lock()  # batches arrive together: the first opens the runner, the rest wait

    async def _opened(self) -> BatchRunner:
        from synthloom.generate.resources import open_runner

        async with self._opening:
            if self._runner is None:
                self._runner = await self._stack.enter_async_context(open_runner(self._recipe, self._cache))
        return self._runner

    async def run(self, batch: int) -> tuple[BatchResult, list[tuple[str, str, Any]]]:
        result = await (await self._opened()).run(batch, tally=UsageTally())
        answers, self._cache.new = self._cache.new, []
        return result, answers

    async def close(self) -> None:
        await self._stack.aclose()

    def node(self) -> str:
        """The Ray node this worker runs on (which machine a batch's error came from)."""
        import ray

        return ray.get_runtime_context().get_node_id()


class RayRunner:
    """The driver's runner when batches run on Ray: the local runner for everything but `run`
    (partitions, seed rows, notices, the endpoints' total slots), and the workers for `run`."""

    def __init__(self, local: BatchRunner, cache: Any, workers: list[Any]):
        self._local, self._cache, self._workers = local, cache, workers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._local, name)

    async def run(self, batch: int, size: int | None = None, tally: UsageTally | None = None,
                  on_row_done: Callable[[], None] | None = None) -> BatchResult:
        worker = self._workers[batch % len(self._workers)]
        result, answers = await worker.run.remote(batch)
        for key, model, resp in answers:
            self._cache.cache_put(key, model, resp)
        if tally is not None:
            for row in result.usage:  # the run's meter hears the batch's spend as it comes back
                tally.rows[(row.column, row.model)] = row
                if tally.meter is not None:
                    tally.meter.add(row.prompt_tokens + row.completion_tokens, row.cost_usd)
        if on_row_done is not None:
            for _ in range(self._local.recipe.batch_size):
                on_row_done()
        return result


@contextlib.asynccontextmanager
async def ray_runner(local: BatchRunner, recipe: Recipe, cache: Any, *, address: str | None = None,
                     workers: int | None = None) -> Any:
    """A RayRunner over `workers` actors (default: the cluster's CPUs less one), torn down after."""
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = largest_worker_count(recipe, workers or max(1, cpus - 1))
        # A worker that dies (its node lost, the process killed) is started again and its
        # batches sent again: a batch is a pure function, so running it twice changes nothing.
        actor = ray.remote(num_cpus=WORKER_CPUS, max_concurrency=1000, max_restarts=RESTARTS,
                           max_task_retries=RESTARTS)(BatchWorkerImpl)
        snapshot = _snapshot(cache)
        run_id = uuid.uuid4().hex[:8]
        env = {"env_vars": worker_environment(recipe)}  # a worker on another machine has not the driver's
        handles = [actor.options(name=f"synthloom-batches-{run_id}-{i}", runtime_env=env)
                   .remote(share_of_caps(recipe, i, n), snapshot) for i in range(n)]
        try:
            yield RayRunner(local, cache, handles)
        finally:
            with contextlib.suppress(Exception):
                await _gather_refs([h.close.remote() for h in handles])
            for h in handles:
                ray.kill(h)
    finally:
        if started_here:
            ray.shutdown()


async def _gather_refs(refs: list[Any]) -> None:
    await asyncio.wait_for(asyncio.gather(*refs), timeout=30)


def _snapshot(cache: Any) -> dict[str, Any]:
    """The answers the run's cache holds now (a resumed run's), for every worker to start from.
    Not yet: a worker starts with an empty cache, and its answers reach the driver only with
    their batch, so a resumed run on Ray asks the models again for the batches it had not
    committed (a local run finds the answers it had received in the cache)."""
    return {}

