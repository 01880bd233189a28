"""Column kinds a recipe can use. Each is a small pydantic model discriminated by `kind`
(and, for samplers and validators, by `type`); one module per family."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from synthloom.config.columns.base import NAME_PATTERN
from synthloom.config.columns.checks import (
    ExpressionColumn, GroundingColumn, JsonSchemaValidator, PythonValidator, RegexValidator, ValidatorColumn,
)
from synthloom.config.columns.llm import (
    HELPSTEER2_ATTRIBUTES, ITEM_VARIABLES, JudgeColumn, LLMDialogueColumn, LLMStructuredColumn, LLMTextColumn,
)
from synthloom.config.columns.samplers import (
    CategorySampler, DatetimeSampler, GaussianSampler, IntSampler, PersonaSampler, PersonSampler, SamplerColumn,
    SubcategorySampler, UniformSampler, UuidSampler,
)
from synthloom.config.columns.seed import SeedColumn

Column = Annotated[
    Annotated[SamplerColumn, Field(discriminator="type")]
    | SeedColumn
    | LLMTextColumn
    | LLMStructuredColumn
    | JudgeColumn
    | LLMDialogueColumn
    | ExpressionColumn
    | GroundingColumn
    | ValidatorColumn,
    Field(discriminator="kind"),
]


__all__ = [
    "NAME_PATTERN", "HELPSTEER2_ATTRIBUTES", "ITEM_VARIABLES", "CategorySampler", "Column", "DatetimeSampler",
    "ExpressionColumn", "GaussianSampler", "GroundingColumn", "IntSampler", "JsonSchemaValidator", "JudgeColumn", "LLMDialogueColumn",
    "LLMStructuredColumn", "LLMTextColumn", "PersonSampler", "PersonaSampler", "PythonValidator", "RegexValidator",
    "SamplerColumn", "SeedColumn", "SubcategorySampler", "UniformSampler", "UuidSampler", "ValidatorColumn",
]
