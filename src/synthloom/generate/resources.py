"""Open and close what a run needs: model backends (checked up front) and column generators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from synthloom.config.recipe import Recipe
from synthloom.generate.batch import BatchRunner
from synthloom.generate.columns import BuildContext, ColumnGenerator, build_generator
from synthloom.generate.model_calls import ModelCaller, ResponseCache
from synthloom.models.factory import build_backend, model_config_for, used_aliases


@asynccontextmanager
async def open_runner(recipe: Recipe, cache: ResponseCache) -> AsyncIterator[BatchRunner]:
    backends = {}
    generators: dict[str, ColumnGenerator] = {}
    build = BuildContext.of(recipe)
    try:
        for col in recipe.columns:
            generators[col.name] = build_generator(col, build)
        for alias in used_aliases(recipe):
            config = model_config_for(recipe, alias)
            backends[alias] = build_backend(alias, config, seed=recipe.seed)
            await backends[alias].check()
        for gen in generators.values():
            await gen.start()
        callers = {
            alias: ModelCaller(alias, b, cache, getattr(model_config_for(recipe, alias), "price", None))
            for alias, b in backends.items()
        }
        yield BatchRunner(recipe, generators, callers)
    finally:
        for gen in generators.values():
            await gen.aclose()
        for b in backends.values():
            await b.aclose()
