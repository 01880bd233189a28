"""The library's front door: one synchronous call per job, usable from a script (no
`if __name__ == "__main__":` guard needed), the REPL and a notebook.

A notebook already runs an event loop in its thread, where `asyncio.run` refuses to start;
there the run gets its own loop in a helper thread. Async code can await
`synthloom.generate.generate_run` directly."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Coroutine, TypeVar

import yaml

from synthloom.config import Recipe, SynthloomError, load_recipe, parse_recipe
from synthloom.generate import RunSummary, generate_run
from synthloom.recipes import builtin_recipe_path

T = TypeVar("T")


def run(recipe: str | Path | dict[str, Any] | Recipe, *, overrides: list[str] | None = None,
        resume: bool = False, overwrite: bool = False, output_dir: str | Path | None = None,
        executor: str = "local", address: str | None = None, workers: int | None = None) -> RunSummary:
    """Generate a recipe's run directory, as `synthloom generate` does, and return its summary.

    `recipe` is a YAML file, the name of a built-in recipe (its relative paths then start at
    the current folder), a dict of recipe fields (likewise), or a loaded Recipe; `overrides`
    are `--set` style `path=value` strings. `executor="ray"` runs the batches on Ray workers
    (`address`: a cluster to join; `workers`: how many), as `--executor ray` does."""
    _refuse_inside_a_spawned_import()
    loaded = with_output_dir(to_recipe(recipe, overrides), output_dir)
    return run_sync(generate_run(loaded, resume=resume, overwrite=overwrite, executor=executor, address=address,
                                 workers=workers))


def to_recipe(recipe: str | Path | dict[str, Any] | Recipe, overrides: list[str] | None = None) -> Recipe:
    if isinstance(recipe, Recipe):
        if overrides:
            raise SynthloomError("overrides apply to a recipe file, name or dict; set the fields of a Recipe directly")
        return recipe
    if isinstance(recipe, dict):
        return parse_recipe(yaml.safe_dump(recipe, sort_keys=False), source="<recipe dict>", base_dir=Path.cwd(),
                            overrides=overrides)
    path = Path(recipe)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:  # a built-in recipe's name
        builtin = builtin_recipe_path(str(path))
        return parse_recipe(builtin.read_text(encoding="utf-8"), source=str(builtin), base_dir=Path.cwd(),
                            overrides=overrides)
    return load_recipe(path, overrides)


def with_output_dir(recipe: Recipe, output_dir: str | Path | None) -> Recipe:
    """The recipe writing its run under `output_dir` instead of its own `output_dir`."""
    if output_dir is None:
        return recipe
    base = recipe.resolve_path(".")
    return recipe.model_copy(update={"output_dir": str(Path(output_dir).resolve())}).with_base_dir(base)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, even where an event loop is running.

    Ctrl-C cancels the run in either case; what it committed stays, for `resume=True`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    started = threading.Event()
    where: dict[str, Any] = {}

    async def tracked() -> T:
        where["loop"], where["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await coro

    with ThreadPoolExecutor(1, thread_name_prefix="synthloom-run") as helper:
        done = helper.submit(asyncio.run, tracked())
        try:
            return done.result()
        except KeyboardInterrupt:
            started.wait()
            where["loop"].call_soon_threadsafe(where["task"].cancel)
            with contextlib.suppress(asyncio.CancelledError):
                done.result()
            raise


def _refuse_inside_a_spawned_import() -> None:
    """A multiprocessing worker of the caller's own (spawn start method) re-imports the caller's
    script as `__mp_main__`; a run started there would run once per worker."""
    main = sys.modules.get("__main__")
    if multiprocessing.parent_process() is not None and getattr(main, "__name__", None) == "__mp_main__":
        raise SynthloomError(
            "synthloom.run was called while a multiprocessing worker re-imports your script; "
            "put the call under `if __name__ == \"__main__\":`"
        )
