"""What a user writes about a table: which synthesizer with which parameters, column kinds
(inferred, overridable) and constraints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

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
    """A YAML file for `synthloom tabular fit | synth`: the synthesizer and its parameters,
    metadata overrides and constraints."""

    synthesizer: str | None = Field(
        None, description="Which synthesizer, by name (`synthloom tabular synthesizers` lists them; marginal_tree "
                          "by default); the command line's --synthesizer wins over it."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The synthesizer's parameters by name, e.g. {degree: 3, bins: 12} for bayesian_network (its "
                    "constructor's arguments; `synthloom tabular synthesizers` lists each one's); an unknown name is "
                    "an error that lists the real ones. --param NAME=VALUE on the command line wins over them.",
    )
    columns: dict[str, ColumnMeta] = Field(default_factory=dict, description="Overrides of inferred column kinds.")
    primary_key: str | None = None
    constraints: list[Constraint] = Field(default_factory=list)

    @field_validator("synthesizer")
    @classmethod
    def _known_synthesizer(cls, name: str | None) -> str | None:
        if name is not None and SYNTHESIZERS and name not in SYNTHESIZERS:
            raise ValueError(f"'{name}' is not a synthesizer; use one of {', '.join(SYNTHESIZERS)}")
        return name

    @field_validator("params")
    @classmethod
    def _params_of_the_synthesizer(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Checked here when the file names its synthesizer (errors then point at the line);
        else where the command line picks one."""
        synthesizer = SYNTHESIZERS.get(info.data.get("synthesizer") or "")
        if synthesizer is not None:
            synthesizer.check_params(params)  # raises pydantic's error located at the parameter
        return params

    def overrides(self) -> dict[str, Any]:
        return {"columns": self.columns, "primary_key": self.primary_key}
