"""`synthloom tabular fit | sample | synth`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from synthloom.cli.errors import friendly_errors
from synthloom.cli.safe_text import safe
from synthloom.workflows.tabular_synth import Sampled, fit_table, sample_model, synth_table
# How `tabular fit | synth` read a spec and build a synthesizer from it and the options (its
# tests call them under these names).

HELP = (
    "Tabular synthesizers: fit on a real table, sample synthetic rows.\n\n"
    "Each synthesizer has its own parameters: `synthloom tabular synthesizers` lists them with their defaults. "
    "Set them in the --spec file (`synthesizer: bayesian_network` and `params: {degree: 3, bins: 12}`) or, for "
    "`fit` and `synth`, with --param NAME=VALUE, repeated; the value is read as YAML (--param bins=null, "
    "--param families=\\[norm,gamma]). The command line wins over the file. A name the synthesizer does not "
    "take is an error that lists the ones it does, and --epsilon (or params: {epsilon: ...}) is refused by a "
    "synthesizer without differential privacy."
)

app = typer.Typer(help=HELP, no_args_is_help=True)
console = Console(emoji=False)

SynthOption = Annotated[Optional[str], typer.Option(
    "--synthesizer", "-s", help="By name (default marginal_tree; `synthloom tabular synthesizers` lists them); "
                                "wins over the spec's.")]
EpsOption = Annotated[Optional[float], typer.Option(
    help="Differential-privacy budget, for a synthesizer that supports it (`synthloom tabular synthesizers`).")]
SpecOption = Annotated[Optional[Path], typer.Option(
    help="YAML with the synthesizer and its params, column overrides and constraints.")]
ParamOption = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", help="NAME=VALUE: a parameter of the synthesizer (repeat for more); wins over the spec's params.")]
SeedOption = Annotated[Optional[int], typer.Option(help="Random seed (default 0); the same as --param seed=N.")]
CondOption = Annotated[Optional[list[str]], typer.Option("--condition", "-c", help="column=value; every row gets it.")]
CopiesOption = Annotated[
    bool, typer.Option("--allow-copies", help="Keep sampled rows that copy or nearly copy a training row.")
]
ExecutorOption = Annotated[str, typer.Option(
    "--executor", help="local, or ray: the sample's shards drawn on Ray workers, the same rows "
    "(pip install 'synthloom[ray]').")]
AddressOption = Annotated[Optional[str], typer.Option(
    "--address", help="With --executor ray: the Ray cluster to join (default: start Ray here).")]
GroupOption = Annotated[
    Optional[int],
    typer.Option("--min-group", min=1, help="Also redraw rows whose nearest training rows are fewer people (default 1)."),
]
RebalOption = Annotated[
    Optional[list[str]], typer.Option("--rebalance", help="column=value:share,value:share (target shares).")
]


def _print_privacy(synth: Any) -> None:
    privacy = synth.report.get("fit", {}).get("privacy")
    if privacy:
        parts = ", ".join(f"{k.removeprefix('spent_')} {v:.4g}" for k, v in privacy.items() if k.startswith("spent_"))
        console.print(f"differential privacy: epsilon {privacy['epsilon']} spent ({safe(parts)})")


def _print_sampled(sampled: Sampled) -> None:
    report = sampled.report
    rejected = {k: v for k, v in report.get("rejected_by_constraint", {}).items() if v}
    console.print(f"wrote {sampled.rows} rows to {safe(sampled.path)}" + (
        f" (constraints rejected {safe(rejected)}; rejection rate {report['rejection_rate']:.1%})" if rejected else ""))
    copies = report.get("copies", {})
    if copies.get("guard") == "on":
        console.print(f"redrew {copies['redrawn_rows']} rows that copied or nearly copied a training row")
    elif copies:
        console.print(f"copy guard: {safe(copies['guard'])}")


@app.command()
@friendly_errors
def fit(
    data: Annotated[Path, typer.Argument(help="Real table: CSV, Parquet or JSONL.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model file to write.")],
    synthesizer: SynthOption = None,
    param: ParamOption = None,
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: SeedOption = None,
) -> None:
    """Learn a synthesizer from a table and save it (the model file holds no training rows)."""
    synth = fit_table(data, synthesizer=synthesizer, spec_path=spec, params=param,
                      options={"epsilon": epsilon, "seed": seed})
    _print_privacy(synth)
    synth.save(output)
    console.print(f"saved {synth.name} to {safe(output)}")


@app.command()
@friendly_errors
def sample(
    model: Annotated[Path, typer.Argument(help="Model file from `tabular fit`.")],
    n: Annotated[int, typer.Option("-n", min=1, help="Rows to sample.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Parquet (or .csv) file to write.")],
    condition: CondOption = None,
    rebalance: RebalOption = None,
    data: Annotated[Optional[Path], typer.Option(
        help="The training table, to redraw rows that copy it (a model file holds no training rows).")] = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
) -> None:
    """Sample rows from a saved model."""
    _print_sampled(sample_model(model, n, output, data=data, conditions=condition, rebalance=rebalance,
                                executor=executor, address=address))


@app.command()
@friendly_errors
def synth(
    data: Annotated[Path, typer.Argument(help="Real table: CSV, Parquet or JSONL.")],
    n: Annotated[int, typer.Option("-n", min=1, help="Rows to sample.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Parquet (or .csv) file to write.")] = Path(
        "synthetic.parquet"
    ),
    synthesizer: SynthOption = None,
    param: ParamOption = None,
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: SeedOption = None,
    condition: CondOption = None,
    rebalance: RebalOption = None,
    allow_copies: CopiesOption = False,
    min_group: GroupOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
) -> None:
    """Fit and sample in one go; rows that copy a training row are redrawn unless --allow-copies."""
    sampled = synth_table(data, n, output, synthesizer=synthesizer, spec_path=spec, params=param,
                          options={"epsilon": epsilon, "seed": seed, "allow_copies": allow_copies or None,
                                   "min_group": min_group}, conditions=condition, rebalance=rebalance,
                          executor=executor, address=address)
    _print_privacy(sampled.synthesizer)
    _print_sampled(sampled)


@app.command()
@friendly_errors
def synthesizers() -> None:
    """List the synthesizers, whether each takes --epsilon, and the parameters that --param and
    the spec's params set, with their defaults."""
    import json

    from rich.table import Table

    from synthloom.tabular import Synthesizer

    for name, cls in Synthesizer.registry.items():
        dp = "differential privacy: takes epsilon" if cls.supports_dp else "no differential privacy"
        table = Table(title=f"{name} ({dp})", title_justify="left", show_header=True)
        for column in ("parameter", "default", "what it sets"):
            table.add_column(column, overflow="fold")
        for param, default, description in cls.param_docs():
            table.add_row(param, json.dumps(list(default) if isinstance(default, tuple) else default), description)
        console.print(table, markup=False)
