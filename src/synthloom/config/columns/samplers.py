"""Sampler columns: values drawn at random, seeded per cell."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from synthloom.config.columns.base import _Column

Age = Annotated[int, Field(ge=0, le=150)]


class _Sampler(_Column):
    kind: Literal["sampler"]


class CategorySampler(_Sampler):
    type: Literal["category"]
    values: list[Any] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> "CategorySampler":
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"has {len(self.values)} values but {len(self.weights)} weights")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
        return self


class SubcategorySampler(_Sampler):
    """Values conditional on another (category) column."""

    type: Literal["subcategory"]
    parent: str
    values: dict[str, list[Any]] = Field(min_length=1)

    def references(self) -> set[str]:
        return {self.parent}


class _RangeSampler(_Sampler):
    @model_validator(mode="after")
    def _ordered(self) -> "_RangeSampler":
        if self.high < self.low:  # type: ignore[attr-defined]
            raise ValueError("high must be >= low")
        return self


class UniformSampler(_RangeSampler):
    type: Literal["uniform"]
    low: float
    high: float


class IntSampler(_RangeSampler):
    """Integers in [low, high], both included."""

    type: Literal["int"]
    low: int = Field(ge=-(2**63), le=2**63 - 1)
    high: int = Field(ge=-(2**63), le=2**63 - 1)


class GaussianSampler(_Sampler):
    type: Literal["gaussian"]
    mean: float = 0.0
    std: float = Field(1.0, ge=0)


class DatetimeSampler(_Sampler):
    type: Literal["datetime"]
    start: str = Field(description="ISO date or datetime")
    end: str = Field(description="ISO date or datetime")
    unit: Literal["day", "second"] = "day"


class UuidSampler(_Sampler):
    type: Literal["uuid"]


class PersonSampler(_Sampler):
    """A fictional person (Faker, offline, seeded): name, sex, age, city, job, email."""

    type: Literal["person"]
    locale: str = "en_US"
    age_range: tuple[Age, Age] = (18, 85)


class PersonaSampler(_Sampler):
    """A person plus traits and a writing style, for diverse prompts."""

    type: Literal["persona"]
    locale: str = "en_US"
    age_range: tuple[Age, Age] = (18, 85)


SamplerColumn = Annotated[
    CategorySampler
    | SubcategorySampler
    | UniformSampler
    | IntSampler
    | GaussianSampler
    | DatetimeSampler
    | UuidSampler
    | PersonSampler
    | PersonaSampler,
    Field(discriminator="type"),
]
