"""`synthloom` on the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from synthloom.cli.errors import DEBUG, INCOMPLETE, err_console, friendly_errors
from synthloom.cli.render import print_summary, rows_table
from synthloom.cli.safe_text import safe
from synthloom.api import to_recipe, with_output_dir
from synthloom.cli import collapse_cmd, curate_cmd, evaluate_cmd, review_cmd
from synthloom.cli.evaluate_cmd import print_gates
from synthloom.cli.tabular_cmd import app as tabular_app
from synthloom.config import Recipe, SynthloomError
from synthloom.generate import RunSummary, generate_run, preview_rows, run_dir_of
from synthloom.generate.progress import RichReporter
from synthloom.recipes import builtin_recipe_path, builtin_recipes, copy_recipe
from synthloom.workflows.demo import DemoResult, demo_recipe, run_demo
from synthloom.workflows.gates import gate_run
from synthloom.workflows.release import release_run

app = typer.Typer(
    help="synthloom: synthetic training data people can trust.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(emoji=False)
recipes_app = typer.Typer(help="Built-in recipes: list, show, copy for editing.", no_args_is_help=True)
app.add_typer(recipes_app, name="recipes")


@app.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False) -> None:
    """synthloom: synthetic training data people can trust."""
    DEBUG["on"] = debug


app.add_typer(tabular_app, name="tabular")
app.add_typer(review_cmd.app, name="review")
app.add_typer(collapse_cmd.app, name="collapse")
app.command("drift")(friendly_errors(collapse_cmd.drift))
app.command("evaluate")(friendly_errors(evaluate_cmd.evaluate))
app.command("curate")(friendly_errors(curate_cmd.curate))

SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override a recipe field: path=value (e.g. target_rows=50, columns.seed.taxonomy=DIR)."),
]


def _load(recipe: Path, overrides: Optional[list[str]]) -> Recipe:
    """A recipe file, or the name of a built-in recipe (its relative paths then start here)."""
    return to_recipe(recipe, overrides)


def _print_notices(recipe: Recipe) -> None:
    for notice in recipe.filter_notices():  # before any row is made: the user may want another judge
        err_console.print(f"[yellow]note:[/] {safe(notice)}")


def _print_generated(recipe: Recipe, summary: RunSummary, reporter: RichReporter | None) -> None:
    shown = [*recipe.filter_notices(), *(reporter.shown_notices if reporter else [])]
    print_summary(console, summary, frozenset(shown))
    if summary.status != "complete":
        err_console.print(
            f"[yellow]stopped:[/] {summary.accepted} of {summary.target} rows ({summary.status.replace('_', ' ')}); "
            "see the rejection reasons above, then raise max_batches or the budget, or relax the filters, "
            "and continue with --resume"
        )
        raise typer.Exit(INCOMPLETE)


def _run(recipe: Recipe, resume: bool, overwrite: bool, quiet: bool, executor: str = "local",
         address: str | None = None, workers: int | None = None) -> None:
    reporter = None if quiet else RichReporter()
    _print_notices(recipe)
    summary = asyncio.run(generate_run(recipe, resume=resume, overwrite=overwrite, reporter=reporter,
                                       executor=executor, address=address, workers=workers))
    _print_generated(recipe, summary, reporter)


@app.command()
@friendly_errors
def generate(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file, or a built-in recipe's name.")],
    resume: Annotated[bool, typer.Option(help="Continue a run that was stopped or killed.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Start the run again; the response cache is kept.")] = False,
    output_dir: Annotated[Optional[Path], typer.Option(help="Parent folder of the run directory.")] = None,
    quiet: Annotated[bool, typer.Option(help="No live progress.")] = False,
    set_: SetOption = None,
    gates: Annotated[
        Optional[Path], typer.Option(help="Evaluate the run when it completes and fail (exit 4) unless these pass.")
    ] = None,
    executor: Annotated[str, typer.Option(help="Where batches run: local, or ray (needs synthloom[ray]).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="ray: the cluster to join (default: start Ray here).")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, max=100_000, help="ray: batch workers (default: the "
                                                                            "cluster's CPUs less one).")] = None,
) -> None:
    """Generate a dataset from a recipe into output_dir/<name>/."""
    loaded = with_output_dir(_load(recipe, set_), output_dir)
    rules = None
    if gates is not None:
        from synthloom.evaluate.gates import load_gates

        rules = load_gates(gates)  # read before generating: a bad gates file fails fast
    if executor not in ("local", "ray"):
        raise SynthloomError(f"--executor is local or ray, not {executor!r}")
    _run(loaded, resume, overwrite, quiet, executor, address, workers)
    if rules is not None:
        run_dir = run_dir_of(loaded)
        outcome = gate_run(run_dir, rules)
        print_gates(outcome, failed_note=f"the rows are kept in {safe(run_dir)}; "
                                         f"see {safe(outcome.path.with_suffix('.html'))}")


@app.command()
@friendly_errors
def preview(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file, or a built-in recipe's name.")],
    n: Annotated[int, typer.Option("-n", min=1, max=10_000, help="Rows to show (at most 10,000).")] = 5,
    set_: SetOption = None,
) -> None:
    """Compute a few rows and print them; writes nothing."""
    result = asyncio.run(preview_rows(_load(recipe, set_), n))
    if result.accepted:
        console.print(rows_table(result.accepted, f"{len(result.accepted)} accepted"))
    if result.rejected:
        shown = [{k: r[k] for k in ("_row_id", "_column", "_reason")} for r in result.rejected]
        console.print(rows_table(shown, f"{len(result.rejected)} rejected"))


@app.command()
@friendly_errors
def validate(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file, or a built-in recipe's name.")],
    set_: SetOption = None,
) -> None:
    """Check a recipe without running it."""
    r = _load(recipe, set_)
    console.print(f"{safe(recipe)}: ok ({len(r.columns)} columns, target {r.target_rows} rows, fingerprint {r.fingerprint()})")


@app.command()
@friendly_errors
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of recipes (for editors and validation)."""
    text = json.dumps(Recipe.model_json_schema(by_alias=True), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {safe(output)}")
    else:
        typer.echo(text)


@app.command("export")
@friendly_errors
def export_cmd(
    run: Annotated[Path, typer.Argument(help="Run directory, e.g. runs/demo.")],
    format_: Annotated[
        list[str], typer.Option("--format", "-f", help="sft, dpo, parquet, hf; repeat for several.")
    ] = ["parquet"],  # noqa: B006 - typer reads the default
    out: Annotated[Optional[Path], typer.Option(help="Folder to write into (default RUN/export).")] = None,
    dpo_style: Annotated[str, typer.Option(help="standard (strings) or conversational (message lists).")] = "standard",
    gates: Annotated[
        Optional[Path], typer.Option(help="Release only if RUN/report.json passes these gates (YAML rules).")
    ] = None,
) -> None:
    """Write a run's accepted rows as training files with a dataset card."""
    from synthloom.evaluate.gates import load_gates

    released = release_run(run, format_, gates=load_gates(gates) if gates is not None else None, out_dir=out,
                           dpo_style=dpo_style)
    if released.gates is not None:
        print_gates(released.gates)
    for path in released.files:
        console.print(f"wrote {safe(path)}")


@app.command("mix")
@friendly_errors
def mix_cmd(mix_file: Annotated[Path, typer.Argument(help="Mix YAML: sources, optional dedup, and phases or "
                                                           "accumulate.")]) -> None:
    """Combine runs and real datasets into phase datasets (or one accumulated set), each with its card."""
    from synthloom.config.loader import load_mix
    from synthloom.curate.mix import run_mix

    result = run_mix(load_mix(mix_file))
    for name, n in result.duplicates.items():
        if n:
            console.print(f"{safe(name)}: {n} duplicate record(s) dropped")
    for phase in result.phases:
        parts = ", ".join(f"{k} {v}" for k, v in phase.composition.items())
        share = f"{phase.real / phase.rows:.1%} real" if phase.rows else "empty"
        console.print(f"[bold]{safe(phase.name)}[/]: {phase.rows} rows, {share} ({safe(parts)}) "
                      f"-> {safe(phase.files[0].parent)}")


@recipes_app.command("list")
@friendly_errors
def recipes_list() -> None:
    """Name and purpose of each built-in recipe."""
    from rich.table import Table

    table = Table(show_header=True)
    table.add_column("recipe")
    table.add_column("what it makes", overflow="fold")
    for r in builtin_recipes():
        table.add_row(safe(r.name), safe(r.description))
    console.print(table)


@recipes_app.command("show")
@friendly_errors
def recipes_show(name: Annotated[str, typer.Argument(help="Built-in recipe name.")]) -> None:
    """Print a built-in recipe's YAML."""
    typer.echo(builtin_recipe_path(name).read_text(encoding="utf-8"))


@recipes_app.command("init")
@friendly_errors
def recipes_init(
    name: Annotated[str, typer.Argument(help="Built-in recipe name.")],
    directory: Annotated[Path, typer.Argument(help="Folder to copy it into.")],
) -> None:
    """Copy a built-in recipe into a folder to edit and run."""
    target, folders = copy_recipe(name, directory)
    for folder in folders:
        console.print(f"wrote {safe(folder)}/ (the bundled example it reads)")
    console.print(f"wrote {safe(target)}; run it with: synthloom generate {safe(target)}")


@app.command()
@friendly_errors
def demo(
    taxonomy: Annotated[Optional[Path], typer.Option(help="InstructLab taxonomy root.")] = None,
    output_dir: Annotated[Path, typer.Option(help="Parent folder of the run.")] = Path("runs"),
    rows: Annotated[int, typer.Option(min=1, max=10_000, help="Accepted rows to make (at most 10,000).")] = 20,
    fresh: Annotated[bool, typer.Option(help="Regenerate even if the demo run exists.")] = True,
) -> None:
    """Knowledge QA from the bundled example taxonomy on the embedded model, filtered and curated."""
    recipe, tax = demo_recipe(taxonomy, output_dir, rows)
    console.print(f"[bold]synthloom demo[/]: {rows} knowledge QA rows from {safe(tax)} on the embedded model")
    _print_notices(recipe)
    reporter = RichReporter()

    def show(stage: str, result: DemoResult) -> None:
        if stage == "generated":
            _print_generated(recipe, result.generated, reporter)
        else:
            _DEMO_STAGES[stage](result)

    run_demo(recipe, fresh=fresh, reporter=reporter, on_stage=show)


def _print_curated(result: DemoResult) -> None:
    curated = result.curated
    steps = ", ".join(f"{s.name} -{s.removed}" + (f" ({s.rewritten} redacted)" if s.rewritten else "")
                      for s in curated.steps)
    console.print(f"[bold green]curated[/]: kept {len(curated.kept)} of "
                  f"{len(curated.kept) + len(curated.removed)} rows ({safe(steps)})")


def _print_released(result: DemoResult) -> None:
    evaluated, written = result.released.gates, result.released.files
    s = evaluated.report["summary"]
    console.print(
        f"[bold green]evaluation[/]: questions distinct-2 {s.get('prompts_distinct_2', float('nan')):.2f}, "
        f"copies of seed questions {s.get('prompts_exact_copies', 0)}, taxonomy-leaf coverage "
        f"{s.get('leaf_coverage', float('nan')):.0%} -> {safe(evaluated.path.with_suffix('.html'))}"
    )
    console.print(f"[bold green]exported[/] SFT dataset: {safe(written[0])}")
    console.print(f"[bold green]dataset card[/]: {safe(written[-1])}")


def _print_tabular(result: DemoResult) -> None:
    t = result.tabular
    console.print(
        f"[bold green]tabular[/]: randhie {t.rows:,} x {t.columns} synthesized in {t.seconds:.1f}s -> {safe(t.data)}"
    )
    s = t.summary
    console.print(
        f"[bold green]evaluation[/]: quality {s['quality']:.3f}, copies of a training row "
        f"{s['exact_copy_share']:.1%} ({t.redrawn:,} redrawn), "
        f"closer to training than to the holdout at equal size {s['dcr_holdout_share']:.1%}, "
        f"min group ratio {s['min_group_ratio']:.2f} -> {safe(t.report)}"
    )


_DEMO_STAGES = {"curated": _print_curated, "released": _print_released, "tabular": _print_tabular}


def main() -> None:
    app()


if __name__ == "__main__":
    main()
