"""Column generators, one small class per kind, looked up by the config class."""

from __future__ import annotations

from typing import Any

from synthloom.config import columns as C
from synthloom.config.recipe import Recipe
from synthloom.generate.columns.base import BatchEnv, ColumnGenerator
from synthloom.generate.columns.dialogue import DialogueGenerator
from synthloom.generate.columns.expression import ExpressionGenerator
from synthloom.generate.columns.grounding import GroundingGenerator
from synthloom.generate.columns.llm import JudgeGenerator, LLMStructuredGenerator, LLMTextGenerator
from synthloom.generate.columns.samplers import SamplerGenerator
from synthloom.generate.columns.seed import SeedGenerator
from synthloom.generate.columns.validators import ValidatorGenerator

GENERATORS: dict[str, type[ColumnGenerator]] = {
    "sampler": SamplerGenerator,
    "seed": SeedGenerator,
    "llm_text": LLMTextGenerator,
    "llm_structured": LLMStructuredGenerator,
    "judge": JudgeGenerator,
    "llm_dialogue": DialogueGenerator,
    "expression": ExpressionGenerator,
    "grounding": GroundingGenerator,
    "validator": ValidatorGenerator,
}


def build_generator(column: Any, recipe: Recipe) -> ColumnGenerator:
    cls = GENERATORS[column.kind]
    if cls is SeedGenerator:
        return SeedGenerator(column, resolve_path=recipe.resolve_path, recipe_seed=recipe.seed)
    return cls(column)


__all__ = ["BatchEnv", "ColumnGenerator", "GENERATORS", "build_generator", "C"]
