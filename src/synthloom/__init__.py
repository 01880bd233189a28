"""synthloom: synthetic training data people can trust.

`synthloom.run(recipe)` generates a recipe's dataset from Python (`synthloom.api`)."""

from typing import Any

__version__ = "0.1.0"
__all__ = ["run"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import synthloom` (and every worker process) stays light.
    if name == "run":
        from synthloom.api import run

        return run
    raise AttributeError(f"module 'synthloom' has no attribute {name!r}")
