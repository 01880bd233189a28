"""Build the backend for each model alias a recipe uses."""

from __future__ import annotations

from synthloom.config.endpoints import DEFAULT_MODEL_ALIAS, LlamaCppModel, OpenAIModel, embedded_default
from synthloom.config.recipe import Recipe
from synthloom.models.protocol import LLMBackend


def build_backend(alias: str, config: OpenAIModel | LlamaCppModel, seed: int | None = None) -> LLMBackend:
    if isinstance(config, OpenAIModel):
        from synthloom.models.openai_http import OpenAIBackend

        return OpenAIBackend(alias, config, rng_seed=seed)
    from synthloom.models.llamacpp import LlamaCppBackend

    return LlamaCppBackend(alias, config)


def model_config_for(recipe: Recipe, alias: str) -> OpenAIModel | LlamaCppModel:
    if alias in recipe.models:
        return recipe.models[alias]
    if alias == DEFAULT_MODEL_ALIAS:
        return embedded_default()
    raise KeyError(alias)


def used_aliases(recipe: Recipe) -> list[str]:
    seen: list[str] = []
    for col in recipe.columns:
        alias = getattr(col, "model", None)
        if alias is not None and alias not in seen:
            seen.append(alias)
    return seen
