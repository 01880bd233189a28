"""A sample's shards drawn on Ray (`synthloom tabular sample|synth ... --executor ray`).

Each shard is a pure function of the fitted synthesizer, the sample's plan and the shard's
number (base.py: its seed derives from them), so a task anywhere draws the rows this process
would. The synthesizer travels once, through Ray's object store, to every task; the shards come
back as Arrow tables, in order."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.workers.ray_session import ray_session

SHARD_CPUS = 1
SHARD_RETRIES = 3  # a task whose worker died is run again: the same shard, the same rows
SHARD_WAIT_S = 3600  # one shard, at most



def _draw(synthesizer: Any, plan: Any, shard: int) -> tuple[pa.Table, dict[str, Any]]:
    return synthesizer.sample_shard(plan, shard)


def sample_shards_on_ray(synthesizer: Any, plan: Any, *, address: str | None = None) -> list[tuple[pa.Table, dict]]:
    with ray_session(address) as ray:
        draw = ray.remote(num_cpus=SHARD_CPUS, max_retries=SHARD_RETRIES)(_draw)
        shared = ray.put(synthesizer)
        refs = [draw.remote(shared, plan, k) for k in range(len(plan.sizes))]
        try:
            return ray.get(refs, timeout=SHARD_WAIT_S)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SynthloomError):
                raise cause from None
            raise SynthloomError(f"a sampling shard failed on a Ray worker: {type(cause or exc).__name__}: "
                                 f"{str(cause or exc).splitlines()[0][:300]}") from exc
