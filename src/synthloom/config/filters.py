"""Recipe filters, and what replaces a judge's filter when the judge cannot judge.

SmolLM2-135M, the embedded default, scores every answer alike: a filter on its judge scores
would reject everything (or, loosened, accept everything). A filter names the judge it trusts
(`judge:`) and the checks a small model can pass honestly (`small_model:`, e.g. grounding of the
answer in its context); when that judge runs on the embedded default, the recipe filters on
those instead, says so before the run starts, and the run, the card and the report name it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthloom.config.endpoints import DEFAULT_MODEL_ALIAS, LlamaCppModel


class SmallModelFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    expr: str = Field(description="Jinja2 expression over the row's columns, e.g. `grounding.lexical >= 0.6`.")

    @property
    def label(self) -> str:
        return self.name or self.expr


class Filter(SmallModelFilter):
    """A Jinja2 expression over the row's columns; rows where it is false are rejected."""

    judge: str | None = Field(
        None, description="The judge column whose scores this filter reads; with `small_model`, the filter to use "
        "instead when that judge runs on the embedded default model, which is too small to judge.")
    small_model: SmallModelFilter | None = None

    @model_validator(mode="after")
    def _pair(self) -> "Filter":
        if (self.judge is None) != (self.small_model is None):
            raise ValueError(f"filter '{self.label}': give both `judge` and `small_model`, or neither")
        return self


def is_embedded_default(alias: str, models: dict[str, Any]) -> bool:
    """True when `alias` resolves to the bundled SmolLM2-135M (no model given, or llamacpp without a path)."""
    model = models.get(alias)
    if model is None:
        return alias == DEFAULT_MODEL_ALIAS
    return isinstance(model, LlamaCppModel) and model.path is None


def active_filters(filters: list[Filter], judge_models: dict[str, str], models: dict[str, Any]) -> list[SmallModelFilter]:
    """The filters a run applies: a judge's filter gives way to its small-model checks when the
    judge runs on the embedded default. `judge_models` maps each judge column to its model alias."""
    return [f.small_model if f.small_model is not None and _small(f, judge_models, models) else f for f in filters]


def filter_notices(filters: list[Filter], judge_models: dict[str, str], models: dict[str, Any]) -> list[str]:
    return [
        f"judge '{f.judge}' runs on the embedded SmolLM2-135M, which is too small to judge: filtering on "
        f"'{f.small_model.label}' ({f.small_model.expr}) instead of '{f.label}'; give '{f.judge}' a larger model "
        "to filter on its scores"
        for f in filters if f.small_model is not None and _small(f, judge_models, models)
    ]


def _small(f: Filter, judge_models: dict[str, str], models: dict[str, Any]) -> bool:
    return f.judge in judge_models and is_embedded_default(judge_models[f.judge], models)
