"""`synthloom tabular fit | sample | synth`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import yaml
from rich.console import Console

from synthloom.cli.errors import friendly_errors
from synthloom.cli.safe_text import safe
from synthloom.config.errors import SynthloomError

app = typer.Typer(help="Tabular synthesizers: fit on a real table, sample synthetic rows.", no_args_is_help=True)
console = Console(emoji=False)

SynthOption = Annotated[
    str, typer.Option("--synthesizer", "-s", help="gaussian_copula, bayesian_network or marginal_tree.")
]
EpsOption = Annotated[
    Optional[float], typer.Option(help="Differential privacy budget (bayesian_network, marginal_tree).")
]
SpecOption = Annotated[Optional[Path], typer.Option(help="YAML with column overrides and constraints.")]
CondOption = Annotated[Optional[list[str]], typer.Option("--condition", "-c", help="column=value; every row gets it.")]
CopiesOption = Annotated[
    bool, typer.Option("--allow-copies", help="Keep sampled rows that copy or nearly copy a training row.")
]
GroupOption = Annotated[
    int, typer.Option("--min-group", min=1, help="Also redraw rows whose nearest training rows are fewer people.")
]
RebalOption = Annotated[
    Optional[list[str]], typer.Option("--rebalance", help="column=value:share,value:share (target shares).")
]


def _read(path: Path) -> Any:
    from synthloom.data.tables import read_table

    return read_table(path)


def _spec(path: Optional[Path]) -> Any:
    from synthloom.config.loader import parse_yaml_model
    from synthloom.config.tabular import TabularSpec

    if path is None:
        return TabularSpec()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SynthloomError(f"spec file {path} does not exist") from None
    return parse_yaml_model(TabularSpec, text, source=str(path))


def _fit(data: Path, synthesizer: str, epsilon: Optional[float], spec_path: Optional[Path], seed: int,
         allow_copies: bool = False, min_group: int = 1) -> Any:
    from synthloom.tabular import Synthesizer

    cls = Synthesizer.registry.get(synthesizer)
    if cls is None:
        raise SynthloomError(f"unknown synthesizer '{synthesizer}'; use one of {', '.join(Synthesizer.registry)}")
    kwargs: dict[str, Any] = {"seed": seed, "allow_copies": allow_copies, "min_group": min_group}
    if epsilon is not None:
        if synthesizer not in ("bayesian_network", "marginal_tree"):
            raise SynthloomError("--epsilon (differential privacy) needs --synthesizer bayesian_network or marginal_tree")
        kwargs["epsilon"] = epsilon
    spec = _spec(spec_path)
    overrides = {"columns": {k: v.model_dump() for k, v in spec.columns.items()}, "primary_key": spec.primary_key}
    synth = cls(**kwargs).fit(_read(data), overrides, spec.constraints)
    privacy = synth.report.get("fit", {}).get("privacy")
    if privacy:
        parts = ", ".join(f"{k.removeprefix('spent_')} {v:.4g}" for k, v in privacy.items() if k.startswith("spent_"))
        console.print(f"differential privacy: epsilon {privacy['epsilon']} spent ({safe(parts)})")
    return synth


def _parse_value(text: str) -> Any:
    return yaml.safe_load(text) if text.strip() else text


def _conditions(items: Optional[list[str]]) -> dict[str, Any] | None:
    if not items:
        return None
    out = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep:
            raise SynthloomError(f"condition {item!r} is not of the form column=value")
        out[column] = _parse_value(value)
    return out


def _rebalance(items: Optional[list[str]]) -> dict[str, dict[Any, float]] | None:
    if not items:
        return None
    out: dict[str, dict[Any, float]] = {}
    for item in items:
        column, sep, rest = item.partition("=")
        try:
            shares = {}
            for part in rest.split(","):
                value, _, share = part.rpartition(":")
                shares[_parse_value(value)] = float(share)
        except ValueError:
            raise SynthloomError(f"rebalance {item!r} is not of the form column=value:share,value:share") from None
        if not sep or not shares:
            raise SynthloomError(f"rebalance {item!r} is not of the form column=value:share,value:share")
        out[column] = shares
    return out


def _write(table: Any, out: Path) -> None:
    from synthloom.data.tables import write_parquet_atomic

    if out.suffix.lower() == ".csv":
        import pyarrow.csv as pacsv

        from synthloom.data.atomic import write_atomic

        write_atomic(out, lambda tmp: pacsv.write_csv(table, tmp))
    else:
        write_parquet_atomic(table, out)


def _sample(synth: Any, n: int, out: Path, condition: Any, rebalance: Any) -> None:
    table = synth.sample(n, conditions=_conditions(condition), rebalance=_rebalance(rebalance))
    _write(table, out)
    report = synth.report.get("last_sample", {})
    rejected = {k: v for k, v in report.get("rejected_by_constraint", {}).items() if v}
    console.print(f"wrote {n} rows to {safe(out)}" + (f" (constraints rejected {safe(rejected)}; "
                                              f"rejection rate {report['rejection_rate']:.1%})" if rejected else ""))
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
    synthesizer: SynthOption = "gaussian_copula",
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: int = 0,
) -> None:
    """Learn a synthesizer from a table and save it (the model file holds no training rows)."""
    synth = _fit(data, synthesizer, epsilon, spec, seed)
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
) -> None:
    """Sample rows from a saved model."""
    from synthloom.tabular import Synthesizer

    synth = Synthesizer.load(model)
    if data is not None:
        synth.guard_against(_read(data))
    _sample(synth, n, output, condition, rebalance)


@app.command()
@friendly_errors
def synth(
    data: Annotated[Path, typer.Argument(help="Real table: CSV, Parquet or JSONL.")],
    n: Annotated[int, typer.Option("-n", min=1, help="Rows to sample.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Parquet (or .csv) file to write.")] = Path(
        "synthetic.parquet"
    ),
    synthesizer: SynthOption = "gaussian_copula",
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: int = 0,
    condition: CondOption = None,
    rebalance: RebalOption = None,
    allow_copies: CopiesOption = False,
    min_group: GroupOption = 1,
) -> None:
    """Fit and sample in one go; rows that copy a training row are redrawn unless --allow-copies."""
    _sample(_fit(data, synthesizer, epsilon, spec, seed, allow_copies, min_group), n, output, condition, rebalance)
