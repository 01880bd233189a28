"""Ray for the `--executor ray` paths: imported only when asked for (an optional extra), and
started on this machine unless it runs already or an address names a cluster."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from synthloom.config.errors import SynthloomError


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SynthloomError("--executor ray needs Ray: pip install 'synthloom[ray]'") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None) -> Iterator[Any]:
    """Ray, joined at `address` or started here when it is not running yet (and then stopped
    after); a Ray the caller started stays as it was."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        start_ray(ray, address)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()


def start_ray(ray: Any, address: str | None = None) -> None:
    """Ray started on this machine (address None; `--address auto` joins a Ray already running
    here) or joined at `address`, without a dashboard and
    without the workers' logs on our terminal. From a thread (the generation driver starts Ray
    while it works), Ray cannot set its SIGTERM handler and says so; that is expected here, and
    SIGTERM keeps its default, so the line is dropped."""
    logging.getLogger("ray._private.worker").addFilter(_not_the_sigterm_notice)
    # Without an address Ray would join any Ray already running on this machine (another run's,
    # another user's) and count its CPUs as ours: start our own unless RAY_ADDRESS names one.
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)


def _not_the_sigterm_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("SIGTERM handler is not set")
