"""`synthloom review add-user | status`: reviewers and what their review says so far."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synthloom.cli.errors import friendly_errors
from synthloom.cli.safe_text import safe

app = typer.Typer(help="People's review of a run or dataset: reviewers, decisions, agreement.", no_args_is_help=True)
console = Console(emoji=False)

Target = Annotated[Path, typer.Argument(help="A run directory, or a JSONL / Parquet / CSV / HF dataset.")]


@app.command("add-user")
@friendly_errors
def add_user(
    target: Target,
    name: Annotated[str, typer.Argument(help="The reviewer's name (letters, digits, '-', '_', '.').")],
    replace: Annotated[bool, typer.Option("--replace", help="Give an existing reviewer a new token.")] = False,
) -> None:
    """Make a reviewer and print their token, once: only its digest is kept."""
    from synthloom.review.target import open_review

    with open_review(target) as store:
        token = store.add_reviewer(name, replace=replace)
        where = store.path
    console.print(f"reviewer {safe(name)} of {safe(str(target))} ({safe(str(where))})")
    typer.echo(token)


@app.command("status")
@friendly_errors
def status(target: Target) -> None:
    """Rows, reviewed share, acceptance with its interval, edits and agreement so far."""
    from synthloom.data.review.outcome import apply_review
    from synthloom.review.target import open_review

    with open_review(target) as store:
        rows = [store.original(i) for i in range(1, store.count() + 1)]
        outcome = apply_review(rows, store)
    for key, value in outcome.summary().items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        console.print(f"{key}: {shown}")
