"""User mistakes become one line on stderr and exit code 2; never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from synthloom.config.errors import SynthloomError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
USER_ERROR = 2
INCOMPLETE = 3  # the run stopped cleanly before its target (budget, max_batches)


def friendly_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SynthloomError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(USER_ERROR) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; committed batches are kept (continue with --resume)")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]
