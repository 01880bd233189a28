"""Ray for the `--executor ray` paths: imported only when asked for (an optional extra), and
started on this machine unless it runs already or an address names a cluster."""

from __future__ import annotations

import contextlib
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
    """Ray started on this machine (address None) or joined at `address`, without a dashboard and
    without the workers' logs on our terminal."""
    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
