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
    "--synthesizer", "-s", help="By name (default gaussian_copula; `synthloom tabular synthesizers` lists them); "
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
GroupOption = Annotated[
    Optional[int],
    typer.Option("--min-group", min=1, help="Also redraw rows whose nearest training rows are fewer people (default 1)."),
]
RebalOption = Annotated[
    Optional[list[str]], typer.Option("--rebalance", help="column=value:share,value:share (target shares).")
]


def _read(path: Path) -> Any:
    from synthloom.data.tables import read_table

    return read_table(path)


def _spec(path: Optional[Path]) -> Any:
    import synthloom.tabular  # noqa: F401 - its synthesizers are what the spec's synthesizer and params name
    from synthloom.config.loader import parse_yaml_model
    from synthloom.config.tabular import TabularSpec

    if path is None:
        return TabularSpec()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SynthloomError(f"spec file {path} does not exist") from None
    return parse_yaml_model(TabularSpec, text, source=str(path))


def _synthesizer(name: Optional[str], spec: Any, spec_path: Optional[Path], params: Optional[list[str]],
                 options: dict[str, Any]) -> Any:
    """The synthesizer the command line and the spec ask for; each parameter is checked
    against its constructor, and an error names where the parameter was given."""
    from synthloom.tabular import Synthesizer

    name = name or spec.synthesizer or "gaussian_copula"
    cls = Synthesizer.registry.get(name)
    if cls is None:
        raise SynthloomError(f"unknown synthesizer '{name}'; use one of {', '.join(Synthesizer.registry)}")
    chosen = cls.checked_params(spec.params, f"{spec_path}: params.{{name}}")
    chosen |= cls.checked_params(_assignments(params, "--param", "NAME=VALUE"), "--param {name}")
    for key, value in options.items():
        if value is not None:
            chosen |= cls.checked_params({key: value}, "--" + key.replace("_", "-"))
    return cls(**chosen)


def _fit(data: Path, synthesizer: Optional[str], spec_path: Optional[Path], params: Optional[list[str]],
         **options: Any) -> Any:
    spec = _spec(spec_path)
    synth = _synthesizer(synthesizer, spec, spec_path, params, options)
    overrides = {"columns": {k: v.model_dump() for k, v in spec.columns.items()}, "primary_key": spec.primary_key}
    synth.fit(_read(data), overrides, spec.constraints)
    privacy = synth.report.get("fit", {}).get("privacy")
    if privacy:
        parts = ", ".join(f"{k.removeprefix('spent_')} {v:.4g}" for k, v in privacy.items() if k.startswith("spent_"))
        console.print(f"differential privacy: epsilon {privacy['epsilon']} spent ({safe(parts)})")
    return synth


def _parse_value(text: str) -> Any:
    return yaml.safe_load(text) if text.strip() else text


def _assignments(items: Optional[list[str]], what: str, form: str) -> dict[str, Any]:
    """NAME=VALUE items as a mapping, each value read as YAML."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SynthloomError(f"{what} {item!r} is not of the form {form}")
        out[key] = _parse_value(value)
    return out


def _conditions(items: Optional[list[str]]) -> dict[str, Any] | None:
    return _assignments(items, "condition", "column=value") or None


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
    synthesizer: SynthOption = None,
    param: ParamOption = None,
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: SeedOption = None,
) -> None:
    """Learn a synthesizer from a table and save it (the model file holds no training rows)."""
    synth = _fit(data, synthesizer, spec, param, epsilon=epsilon, seed=seed)
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
    synthesizer: SynthOption = None,
    param: ParamOption = None,
    epsilon: EpsOption = None,
    spec: SpecOption = None,
    seed: SeedOption = None,
    condition: CondOption = None,
    rebalance: RebalOption = None,
    allow_copies: CopiesOption = False,
    min_group: GroupOption = None,
) -> None:
    """Fit and sample in one go; rows that copy a training row are redrawn unless --allow-copies."""
    synth = _fit(data, synthesizer, spec, param, epsilon=epsilon, seed=seed, allow_copies=allow_copies or None,
                 min_group=min_group)
    _sample(synth, n, output, condition, rebalance)


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
