"""Batches on Ray workers (`synthloom generate --executor ray [--address ADDR]`).

A batch is a pure function of the recipe, its index, the seed and the response cache
(docs/engine.md), so any process can make it. The driver stays where it is: it chooses which
batch runs next, commits in order, resumes, writes the cache and the lineage, exactly as with
the local executor. Only `runner.run(b)` moves: `RayRunner` sends it to one of N `BatchWorker`
actors (one CPU each; one CPU of the machine is left to the driver, as Ray Data needs), each of
which opens its own model clients once and runs many batches at a time on its event loop.

What crosses the wire:
- to a worker: the recipe, its share of each HTTP endpoint's `max_concurrency`, and the digests
  of the keys run.sqlite's cache held when the run began (8 bytes an answer): a key among them
  is fetched from a `CacheReader` actor placed on the driver's node, which reads run.sqlite;
  any other key is a miss, known without asking (a resumed or edited run answers from the cache
  on every worker, as locally);
- back: the batch's rows and usage, and the answers it received, which the driver puts in
  run.sqlite's cache.

The endpoints' `max_concurrency` holds across the cluster: worker i gets cap // N slots of each
endpoint, plus one if i < cap % N, so the shares add up to the cap; N is at most the smallest
cap, so no worker has none. The budget is checked by the driver as each batch comes back, so a
run may overshoot it by what the batches in flight spend."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import Recipe
from synthloom.data.runs.response_cache import BufferedResponseCache, key_digest
from synthloom.generate.batch import BatchResult, BatchRunner
from synthloom.generate.model_calls import UsageTally
from synthloom.workers.ray_session import import_ray, start_ray

WORKER_CPUS = 1
RESTARTS = 3  # per worker, and per batch sent to a worker that died
CACHE_FETCH_S = 60  # one cached answer from the driver's node, at most
START_S = 300  # Ray's batch workers alive, at most (a cluster may first have to free CPUs)



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
    """A worker's view of the run's cache: the answers run.sqlite held when the run began (their
    keys' digests here, the answers with the reader), and what this worker has been answered
    since (handed back with each batch for the driver to store)."""

    def __init__(self, digests: Any, reader: Any):
        self.digests, self.reader = digests, reader
        self.known: dict[str, Any] = {}
        self.new: list[tuple[str, str, Any]] = []

    def cache_get(self, key: str) -> Any:
        if key in self.known:
            return self.known[key]
        if self.reader is None or not self._held(key):
            return None
        import ray

        # A blocking fetch on the worker's loop, but only for an answer the cache holds: ~1 ms
        # against the model call it saves.
        return ray.get(self.reader.get.remote(key), timeout=CACHE_FETCH_S)

    def _held(self, key: str) -> bool:
        digest = np.uint64(key_digest(key))
        at = int(np.searchsorted(self.digests, digest))
        return at < len(self.digests) and self.digests[at] == digest

    def cache_put(self, key: str, model: str, resp: Any) -> None:
        self.known[key] = resp
        self.new.append((key, model, resp))


class CacheReaderImpl:
    """Answers from run.sqlite's cache for the workers; runs on the driver's node, by the file."""

    def __init__(self, path: str):
        from synthloom.data.runs.response_cache import CacheFile

        self._file = CacheFile(Path(path))

    def get(self, key: str) -> Any:
        return self._file.get(key)


class BatchWorkerImpl:
    """One Ray actor's state: its own runner (model clients, column generators), opened on the
    first batch and kept for the next ones."""

    def __init__(self, recipe: Recipe, digests: Any, reader: Any):
        self._recipe = recipe  # pickled whole: a JSON dump would redact credentials in endpoint URLs
        self._cache = _ShippedCache(digests, reader)
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
    (partitions, seed rows, notices, the endpoints' total slots), and the workers for `run`.

    While `workers` (a task) is still starting Ray, batches may run on the driver's own runner
    (`driver_first`): a batch is a pure function, so where it runs changes no row. Once the
    workers are up, no batch starts on the driver, and the first one sent to Ray waits until
    the driver's batches are done, so the driver and the workers never hold an endpoint's slots
    at the same time and its `max_concurrency` holds throughout."""

    def __init__(self, local: BatchRunner, cache: Any, workers: asyncio.Future, *, driver_first: bool = False):
        self._local, self._cache, self._workers = local, cache, workers
        self._driver_first = driver_first
        self._on_driver = 0
        self._driver_done = asyncio.Event()
        self._driver_done.set()
        self.driver_batches = 0  # how many batches the driver made while Ray started
        self.start_notices: list[str] = []

    @property
    def notices(self) -> list[str]:
        return [*self._local.notices, *self.start_notices]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._local, name)

    async def run(self, batch: int, size: int | None = None, tally: UsageTally | None = None,
                  on_row_done: Callable[[], None] | None = None) -> BatchResult:
        if self._driver_first and not self._workers.done():
            return await self._run_on_driver(batch, size, tally, on_row_done)
        workers = (await self._workers).batches  # Ray's start-up error, if any, is every batch's error
        await self._driver_done.wait()
        worker = workers[batch % len(workers)]
        try:
            result, answers = await worker.run.remote(batch)
        except Exception as exc:
            raise worker_error(exc, batch) from None
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

    async def _run_on_driver(self, batch: int, size: int | None, tally: UsageTally | None,
                             on_row_done: Callable[[], None] | None) -> BatchResult:
        self._on_driver += 1
        self.driver_batches += 1
        self._driver_done.clear()
        try:
            return await self._local.run(batch, size=size, tally=tally, on_row_done=on_row_done)
        finally:
            self._on_driver -= 1
            if self._on_driver == 0:
                self._driver_done.set()


def worker_error(exc: Exception, batch: int) -> Exception:
    """What the driver raises for a batch that failed on Ray: a user-facing error as the local
    executor says it, with the batch named; a dead worker or a bug in one sentence (the
    traceback stays behind --debug, as the cause)."""
    import ray.exceptions

    cause = getattr(exc, "cause", None) if isinstance(exc, ray.exceptions.RayTaskError) else None
    if isinstance(cause, SynthloomError):
        cause.args = (f"batch {batch}, on a Ray worker: {cause}",)
        return cause
    if isinstance(exc, ray.exceptions.RayActorError):
        return SynthloomError(f"batch {batch}: its Ray worker died and was restarted {RESTARTS} times "
                              f"without finishing it ({str(exc).splitlines()[0][:200]})")
    failed = cause if isinstance(cause, Exception) else exc
    error = SynthloomError(f"batch {batch} failed on a Ray worker: {type(failed).__name__}: "
                           f"{str(failed).splitlines()[0][:300] if str(failed) else ''}")
    error.__cause__ = failed
    return error


@dataclasses.dataclass
class _Workers:
    batches: list[Any]  # BatchWorker actors
    reader: Any  # the CacheReader actor, or None
    seconds: float = 0.0  # from the start of Ray's start-up to every worker answering


@contextlib.asynccontextmanager
async def ray_runner(local: BatchRunner, recipe: Recipe, cache: Any, *, address: str | None = None,
                     workers: int | None = None) -> Any:
    """A RayRunner over `workers` actors (default: the cluster's CPUs less one), torn down after.
    When the run starts Ray on this machine itself (no address, Ray not running), Ray starts on a
    thread and the driver makes the first batches meanwhile (a laptop's start-up is 4-12 s)."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    driver_first = started_here and address is None
    starting = asyncio.ensure_future(_started_workers(ray, recipe, cache, address, workers, driver_first))
    runner = RayRunner(local, cache, starting, driver_first=driver_first)
    try:
        if not driver_first:
            await starting
        yield runner
    finally:
        # Ray's start-up runs on a thread that cannot be interrupted: wait for it, then stop it.
        up: _Workers | None = None
        with contextlib.suppress(BaseException):
            up = await asyncio.shield(starting)
        if runner.driver_batches:
            runner.start_notices.append(
                f"Ray took {up.seconds:.1f} s to start; the driver made the first "
                f"{runner.driver_batches} batch(es) meanwhile" if up is not None
                else f"Ray did not start; the driver made {runner.driver_batches} batch(es)")
        await _stopped(ray, up, started_here)


async def _started_workers(ray: Any, recipe: Recipe, cache: Any, address: str | None, wanted: int | None,
                           on_a_thread: bool) -> _Workers:
    """Ray started (on a thread when the driver works meanwhile) or joined, and the batch actors
    alive: each has answered, so a batch sent to one starts at once."""
    clock = time.perf_counter()
    if not ray.is_initialized():
        try:
            if on_a_thread:
                await asyncio.to_thread(start_ray, ray, address)
            else:
                start_ray(ray, address)
        except Exception as exc:
            where = f"at {address}" if address else "on this machine"
            raise SynthloomError(f"Ray did not start {where}: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:300] if str(exc) else ''}") from exc
    cpus = int(ray.cluster_resources().get("CPU", 1))
    n = largest_worker_count(recipe, wanted or max(1, cpus - 1))
    # A worker that dies (its node lost, the process killed) is started again and its
    # batches sent again: a batch is a pure function, so running it twice changes nothing.
    actor = ray.remote(num_cpus=WORKER_CPUS, max_concurrency=1000, max_restarts=RESTARTS,
                       max_task_retries=RESTARTS)(BatchWorkerImpl)
    run_id = uuid.uuid4().hex[:8]
    digests, reader = _cache_for_workers(ray, cache, run_id)
    env = {"env_vars": worker_environment(recipe)}  # a worker on another machine has not the driver's
    up = _Workers([actor.options(name=f"synthloom-batches-{run_id}-{i}", runtime_env=env)
                   .remote(share_of_caps(recipe, i, n), digests, reader) for i in range(n)], reader)
    try:
        # Alive, not opened: opening probes the endpoints, which must wait for the driver's slots.
        await asyncio.wait_for(asyncio.gather(*[h.node.remote() for h in up.batches]), timeout=START_S)
    except BaseException as exc:
        await _stopped(ray, up, started_here=False)
        if isinstance(exc, asyncio.TimeoutError):
            raise SynthloomError(f"Ray's {n} batch worker(s) did not start within {START_S} s: the cluster has "
                                 "no free CPU for them, or its nodes cannot start Python workers") from None
        raise
    up.seconds = time.perf_counter() - clock
    return up


async def _stopped(ray: Any, up: _Workers | None, started_here: bool) -> None:
    if up is not None:
        with contextlib.suppress(Exception):
            await _gather_refs([h.close.remote() for h in up.batches])
        for h in up.batches + ([up.reader] if up.reader is not None else []):
            with contextlib.suppress(Exception):
                ray.kill(h)
    if started_here and ray.is_initialized():
        ray.shutdown()


async def _gather_refs(refs: list[Any]) -> None:
    await asyncio.wait_for(asyncio.gather(*refs), timeout=30)


def _cache_for_workers(ray: Any, cache: BufferedResponseCache, run_id: str) -> tuple[Any, Any]:
    """(the digests of the keys the cache holds, a reader of their answers), or (None, None) for
    a run that began with an empty cache: then every key a worker was not answered is a miss."""
    if cache.started_empty():
        return None, None
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from synthloom.data.runs.response_cache import cache_digests

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    reader = ray.remote(num_cpus=0, max_restarts=RESTARTS, max_task_retries=RESTARTS)(CacheReaderImpl).options(
        name=f"synthloom-cache-{run_id}", scheduling_strategy=here).remote(str(cache.path))
    return ray.put(cache_digests(cache.path)), reader
