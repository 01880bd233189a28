"""Nearest-row searches split across Ray workers (`synthloom evaluate ... --executor ray`): the
distance-to-closest-record and attack searches of an evaluation send their query chunks to Ray
tasks, each searching the reference prepared once and shared through the object store. A chunk
is searched alone wherever it runs (nearest_rows.two_nearest), so the figures are the local ones."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
import numpy as np

from synthloom.data.table_analysis.nearest_rows import SEARCH_CHUNKS, Encoded, PreparedReference
from synthloom.workers.ray_session import ray_session

CHUNK_CPUS = 1
CHUNK_RETRIES = 3  # a chunk whose worker died is searched again: the same answer
CHUNK_WAIT_S = 3600



def _search(prepared: PreparedReference, chunk: Encoded) -> tuple[np.ndarray, np.ndarray]:
    return prepared.search(chunk)


@contextlib.contextmanager
def searching_on_ray(address: str | None = None) -> Iterator[None]:
    """Within it, every nearest-row search of this thread sends its chunks to Ray (at
    `address`, or a Ray started here and stopped after)."""
    with ray_session(address) as ray:
        search = ray.remote(num_cpus=CHUNK_CPUS, max_retries=CHUNK_RETRIES)(_search)

        def run_chunks(prepared: PreparedReference, chunks: list[Encoded]) -> list[tuple[np.ndarray, np.ndarray]]:
            shared = ray.put(prepared)
            return ray.get([search.remote(shared, c) for c in chunks], timeout=CHUNK_WAIT_S)

        token = SEARCH_CHUNKS.set(run_chunks)
        try:
            yield
        finally:
            SEARCH_CHUNKS.reset(token)
