"""Tabular synthesis from files, as `synthloom tabular` asks for it: the spec and the data are
read, the synthesizer is built from the spec's `synthesizer:` / `params:` and the command line's
choices (the command line wins, a named option over `--param`), fitted, sampled, and the rows
written as Parquet or CSV (by the output's suffix)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from synthloom.config.errors import SynthloomError

if TYPE_CHECKING:
    from synthloom.config.tabular import TabularSpec
    from synthloom.tabular import Synthesizer

@dataclass(frozen=True)
class Sampled:
    """Rows written by a synthesizer, and its report of the draw (constraints, copy guard)."""

    synthesizer: Synthesizer
    path: Path
    rows: int
    report: dict[str, Any]


def load_spec(path: Path | None) -> TabularSpec:
    """The spec file, checked against the registered synthesizers (no file: the defaults)."""
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


def build_synthesizer(name: str | None, spec: TabularSpec, spec_path: Path | None, params: list[str] | None,
                      options: Mapping[str, Any]) -> Synthesizer:
    """The synthesizer the command line and the spec ask for: `params` are `--param NAME=VALUE`
    items (values read as YAML), `options` the named options (None: not given). Each parameter
    is checked against the constructor, and an error names where it was given."""
    from synthloom.tabular import DEFAULT_SYNTHESIZER, Synthesizer

    name = name or spec.synthesizer or DEFAULT_SYNTHESIZER
    cls = Synthesizer.registry.get(name)
    if cls is None:
        raise SynthloomError(f"unknown synthesizer '{name}'; use one of {', '.join(Synthesizer.registry)}")
    chosen = cls.checked_params(spec.params, f"{spec_path}: params.{{name}}")
    chosen |= cls.checked_params(_assignments(params, "--param", "NAME=VALUE"), "--param {name}")
    for key, value in options.items():
        if value is not None:
            chosen |= cls.checked_params({key: value}, "--" + key.replace("_", "-"))
    return cls(**chosen)


def fit_table(data: Path, *, synthesizer: str | None = None, spec_path: Path | None = None,
              params: list[str] | None = None, options: Mapping[str, Any] = {}) -> Synthesizer:  # noqa: B006
    """Read the spec and the real table and fit the synthesizer they and the options ask for."""
    from synthloom.data.files.tables import read_table

    spec = load_spec(spec_path)
    synth = build_synthesizer(synthesizer, spec, spec_path, params, options)
    overrides = {"columns": {k: v.model_dump() for k, v in spec.columns.items()}, "primary_key": spec.primary_key}
    synth.fit(read_table(data), overrides, spec.constraints)
    return synth


def sample_table(synth: Synthesizer, n: int, out: Path, *, conditions: list[str] | None = None,
                 rebalance: list[str] | None = None, executor: str = "local", address: str | None = None) -> Sampled:
    """Sample `n` rows (`column=value` conditions, `column=value:share,...` target shares) and
    write them to `out`; on Ray workers with executor="ray" (the same rows)."""
    table = synth.sample(n, conditions=_conditions(conditions), rebalance=_rebalance(rebalance),
                         executor=executor, address=address)
    write_table(table, out)
    return Sampled(synth, out, n, synth.report.get("last_sample", {}))


def sample_model(model: Path, n: int, out: Path, *, data: Path | None = None, conditions: list[str] | None = None,
                 rebalance: list[str] | None = None, executor: str = "local", address: str | None = None) -> Sampled:
    """Sample a saved model; with its training table, rows that copy it are redrawn."""
    from synthloom.data.files.tables import read_table
    from synthloom.tabular import Synthesizer

    synth = Synthesizer.load(model)
    if data is not None:
        synth.guard_against(read_table(data))
    return sample_table(synth, n, out, conditions=conditions, rebalance=rebalance, executor=executor,
                        address=address)


def write_table(table: Any, out: Path) -> None:
    """An Arrow table as CSV when `out` ends in .csv, else as Parquet; atomically either way."""
    from synthloom.data.files.tables import write_parquet_atomic

    if out.suffix.lower() == ".csv":
        import pyarrow.csv as pacsv

        from synthloom.data.files.atomic import write_atomic

        write_atomic(out, lambda tmp: pacsv.write_csv(table, tmp))
    else:
        write_parquet_atomic(table, out)


def _parse_value(text: str) -> Any:
    import yaml

    return yaml.safe_load(text) if text.strip() else text


def _assignments(items: list[str] | None, what: str, form: str) -> dict[str, Any]:
    """NAME=VALUE items as a mapping, each value read as YAML."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SynthloomError(f"{what} {item!r} is not of the form {form}")
        out[key] = _parse_value(value)
    return out


def _conditions(items: list[str] | None) -> dict[str, Any] | None:
    return _assignments(items, "condition", "column=value") or None


def _rebalance(items: list[str] | None) -> dict[str, dict[Any, float]] | None:
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


def synth_table(data: Path, n: int, out: Path, *, synthesizer: str | None = None, spec_path: Path | None = None,
                params: list[str] | None = None, options: Mapping[str, Any] = {},  # noqa: B006
                conditions: list[str] | None = None, rebalance: list[str] | None = None,
                executor: str = "local", address: str | None = None) -> Sampled:
    """Fit on a real table and sample from it in one go (`fit_table`, then `sample_table`)."""
    synth = fit_table(data, synthesizer=synthesizer, spec_path=spec_path, params=params, options=options)
    return sample_table(synth, n, out, conditions=conditions, rebalance=rebalance, executor=executor, address=address)
