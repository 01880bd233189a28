"""Column generators, one small class per kind, registered by the config class they make
(`registry.py`); what the engine may ask of them is `base.py`."""

from __future__ import annotations

# Each generator module registers its classes when imported: a new module is listed here.
from synthloom.generate.columns import (  # noqa: F401
    dialogue, expression, grounding, llm, samplers, seed, validators,
)
from synthloom.generate.columns.base import (
    BaseGenerator, BatchEnv, BuildContext, ColumnGenerator, PartitionSource, SeedSource,
)
from synthloom.generate.columns.registry import build_generator, generates, registered

__all__ = [
    "BaseGenerator", "BatchEnv", "BuildContext", "ColumnGenerator", "PartitionSource", "SeedSource",
    "build_generator", "generates", "registered",
]
