"""User mistakes become one line on stderr and exit code 2; never a traceback (unless --debug)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer
from rich.console import Console

from synthloom.cli.safe_text import one_line
from synthloom.config.errors import SynthloomError

err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
F = TypeVar("F", bound=Callable[..., Any])
USER_ERROR = 2
INCOMPLETE = 3  # the run stopped cleanly before its target (budget, max_batches)
GATES_FAILED = 4  # a release gate failed on a fresh report
INTERNAL_ERROR = 1
DEBUG = {"on": False}  # set by the global --debug option (cli/app.py)

# Raised by reading what the user gave (files, tables, model files) rather than by a bug of ours.
_INPUT_ERRORS: tuple[type[BaseException], ...] = (
    UnicodeError, RecursionError, json.JSONDecodeError, MemoryError, OSError,
)


def _input_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa
    import yaml

    return (*_INPUT_ERRORS, pa.ArrowInvalid, pa.ArrowTypeError, yaml.YAMLError)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def report_error(exc: BaseException) -> int:
    """Print `exc` as one line on stderr and return the exit code it deserves."""
    if isinstance(exc, SynthloomError):
        err_console.print(f"[bold red]error:[/] {one_line(str(exc))}")
        return USER_ERROR
    if isinstance(exc, _input_errors()):
        err_console.print(f"[bold red]error:[/] the input cannot be read ({one_line(_describe(exc))}); "
                          "check the file named in the command (--debug shows where it failed)")
        return USER_ERROR
    err_console.print(f"[bold red]internal error:[/] {one_line(_describe(exc))}; "
                      "rerun with --debug for the traceback and report it")
    return INTERNAL_ERROR


def friendly_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.ClickException,
                click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted; committed batches are kept (continue with --resume)")
            raise typer.Exit(130) from None
        except Exception as exc:
            if DEBUG["on"]:
                raise
            raise typer.Exit(report_error(exc)) from None

    return wrapper  # type: ignore[return-value]
