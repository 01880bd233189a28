"""What a user writes about a table: column kinds (inferred, overridable) and constraints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthloom.config.paths import RelativePaths

Kind = Literal["numerical", "categorical", "boolean", "datetime", "id", "text"]

# Every synthesizer class by its name. synthloom.tabular fills it as each class is defined (this
# layer imports nothing of ours); a spec's `synthesizer:` and `params:` are checked against it
# (the class's `check_params`, from its constructor's signature, and its `supports_dp` flag).
SYNTHESIZERS: dict[str, Any] = {}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnMeta(_Strict):
    kind: Kind
    integer: bool = Field(False, description="Numerical values are whole numbers (rounded on sampling).")
    decimals: int | None = Field(None, ge=0, le=12, description="Round sampled values to this many decimals.")
    min: float | None = Field(None, description="Lower bound (public; DP mode bins within it).")
    max: float | None = Field(None, description="Upper bound (public; DP mode bins within it).")
    categories: list[Any] | None = Field(
        None, description="Every value a categorical column may take (public; required under epsilon)."
    )
    datetime_format: str | None = None


class TableMeta(_Strict):
    columns: dict[str, ColumnMeta]
    primary_key: str | None = None

    @model_validator(mode="after")
    def _key_is_column(self) -> "TableMeta":
        if self.primary_key and self.primary_key not in self.columns:
            raise ValueError(f"primary_key '{self.primary_key}' is not a column")
        return self


class FixedCombinations(_Strict):
    """Only combinations of these columns' values seen in the data are sampled."""

    type: Literal["fixed_combinations"]
    columns: list[str] = Field(min_length=2)
    combinations: list[list[Any]] | None = Field(
        None, description="The allowed combinations as public metadata (required under epsilon)."
    )


class Inequality(_Strict):
    """low <= high (or <, with strict), row by row."""

    type: Literal["inequality"]
    low: str
    high: str
    strict: bool = False


class Range(_Strict):
    """low <= column <= high with fixed numbers (or dates, as ISO strings)."""

    type: Literal["range"]
    column: str
    low: float | str | None = None
    high: float | str | None = None


class Predicate(_Strict):
    """Any rule as a Jinja2 expression over the row, e.g. `age >= 18 or not employed`;
    enforced by rejection."""

    type: Literal["predicate"]
    expr: str
    name: str | None = None


Constraint = Annotated[FixedCombinations | Inequality | Range | Predicate, Field(discriminator="type")]


class TabularSpec(_Strict, RelativePaths):
    """A YAML file for `synthloom tabular`: metadata overrides and constraints."""

    columns: dict[str, ColumnMeta] = Field(default_factory=dict, description="Overrides of inferred column kinds.")
    primary_key: str | None = None
    constraints: list[Constraint] = Field(default_factory=list)

    def overrides(self) -> dict[str, Any]:
        return {"columns": self.columns, "primary_key": self.primary_key}
