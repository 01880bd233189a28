"""What a synthesizer may know about a table without paying for it from a privacy budget.

Under `epsilon` the public facts are the row count, the column names and their Arrow types,
and what the user writes as metadata: each numerical/datetime column's `min` and `max`, each
categorical column's `categories`, and each fixed_combinations constraint's `combinations`.
Nothing here reads a value of the private table, so a column whose domain is not given is
refused rather than guessed from the data (a data-derived range or category list would let
one extreme row show through in every sample)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import ColumnMeta, FixedCombinations, Inequality, TableMeta
from synthloom.tabular.constraints import SEP, ConstraintSet, _token

PUBLIC_FACTS = (
    "row count, column names and types, and the metadata's min/max, categories and fixed combinations; "
    "everything else (missing shares included) is measured with the budget"
)


@dataclass
class Domain:
    """A column's public domain: numbers in [low, high], or a list of values. Missing is
    always part of it (its share is paid for as one more noisy count)."""

    low: float | None = None
    high: float | None = None
    values: list[Any] | None = None


def public_metadata(table: pa.Table, overrides: dict[str, Any] | None) -> TableMeta:
    """Column kinds from the schema alone (no value is read); the user's metadata wins."""
    given = dict((overrides or {}).get("columns") or {})
    unknown = sorted(set(given) - set(table.column_names))
    if unknown:
        raise SynthloomError(f"metadata names column(s) {', '.join(unknown)}, which the table does not have")
    columns = {}
    for field in table.schema:
        meta = given.get(field.name)
        columns[field.name] = ColumnMeta.model_validate(meta) if isinstance(meta, dict) else (
            meta or _kind_from_type(field.name, field.type))
    key = (overrides or {}).get("primary_key")
    if key:
        columns[key] = columns[key].model_copy(update={"kind": "id"})
    return TableMeta(columns=columns, primary_key=key)


def _kind_from_type(name: str, t: pa.DataType) -> ColumnMeta:
    if pa.types.is_boolean(t):
        return ColumnMeta(kind="boolean")
    if pa.types.is_integer(t):
        return ColumnMeta(kind="numerical", integer=True)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return ColumnMeta(kind="numerical")
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return ColumnMeta(kind="datetime")
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return ColumnMeta(kind="categorical")
    raise SynthloomError(f"column '{name}' has type {t}, which is not supported; convert it to numbers or strings")


def public_domains(meta: TableMeta, constraints: ConstraintSet) -> dict[str, Domain]:
    """The domain of every column the model learns (after the constraint transforms), or one
    sentence naming the first column whose domain the metadata does not give."""
    out: dict[str, Domain] = {}
    combined = set()
    for spec in constraints.specs:
        if isinstance(spec, FixedCombinations):
            if not spec.combinations:
                raise SynthloomError(
                    f"under epsilon the fixed_combinations constraint on {', '.join(spec.columns)} needs its allowed "
                    "combinations as public metadata: give `combinations: [[...], ...]` in the constraint"
                )
            out[ConstraintSet._combo(spec)] = Domain(values=[SEP.join(map(_token, c)) for c in spec.combinations])
            combined.update(spec.columns)
    for name, cm in meta.columns.items():
        if cm.kind in ("id", "text") or name in combined:
            continue
        if cm.kind == "boolean":
            out[name] = Domain(values=[False, True])
        elif cm.kind == "categorical":
            if not cm.categories:
                raise SynthloomError(
                    f"under epsilon column '{name}' needs its category list as public metadata: give "
                    f"`columns: {{{name}: {{kind: categorical, categories: [...]}}}}`"
                )
            out[name] = Domain(values=list(cm.categories))
        else:
            if cm.min is None or cm.max is None or not cm.min < cm.max:
                raise SynthloomError(
                    f"under epsilon column '{name}' needs public bounds min < max in the metadata: give "
                    f"`columns: {{{name}: {{kind: {cm.kind}, min: ..., max: ...}}}}`"
                )
            out[name] = Domain(low=cm.min, high=cm.max)
    for spec in constraints.specs:  # the model learns high - low, which lies in [0, max(high) - min(low)]
        if isinstance(spec, Inequality):
            out[spec.high] = Domain(low=0.0, high=out[spec.high].high - out[spec.low].low)
    return out
