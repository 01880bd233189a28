"""`synthloom review TARGET` (the web app), `review add-user`, `review status`, `review export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

from synthloom.cli.errors import friendly_errors
from synthloom.cli.safe_text import safe



class _ServeByDefault(TyperGroup):
    """`synthloom review TARGET` means `synthloom review serve TARGET`."""

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["serve", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=_ServeByDefault, no_args_is_help=True, help=(
    "People's review of a run or dataset in a local web app: `synthloom review TARGET` serves it; "
    "`add-user` makes reviewers; `status` shows what the review says so far."))
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
    from synthloom.data.review.outcome import summarize
    from synthloom.review.target import open_review

    with open_review(target) as store:
        outcome = summarize(store)
    for key, value in outcome.summary().items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        console.print(f"{key}: {shown}")


@app.command("serve")
@friendly_errors
def serve(
    target: Target,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to serve on (loopback unless --allow-remote).")] = "127.0.0.1",
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow an address other machines reach.")] = False,
) -> None:
    """Serve the review app (the same as `synthloom review TARGET`)."""
    from synthloom.review.serve import serve as run_server

    run_server(target, host=host, port=port, allow_remote=allow_remote, say=lambda text: console.print(safe(text)))


@app.command("export")
@friendly_errors
def export(
    target: Target,
    out: Annotated[Path, typer.Option("-o", "--out", help="File to write: .jsonl or .parquet.")],
) -> None:
    """Write a reviewed dataset: rejected rows left out, edits applied (a run: `synthloom export RUN`)."""
    from synthloom.review.release import export_reviewed

    written, outcome = export_reviewed(target, out)
    summary = outcome.summary()
    console.print(f"wrote {written} rows to {safe(str(out))} ({outcome.rejected} rejected, "
                  f"{summary['review.edited']} edited, {outcome.reviewed} of {outcome.rows_in} reviewed)")
