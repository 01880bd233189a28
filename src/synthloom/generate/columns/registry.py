"""Which generator makes each column config class.

A generator class registers itself for the config classes it makes with `@generates(...)`;
`build_generator(config, ctx)` builds the one registered for the config's own class, the same
way for every kind. `synthloom.generate.columns` imports every generator module, so the
registry is complete once that package is imported (tests/test_column_registry.py checks that
every class of the recipe's column union has a generator)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from synthloom.config.errors import SynthloomError
from synthloom.generate.columns.base import BuildContext, ColumnGenerator

GeneratorClass = Callable[[Any, BuildContext], ColumnGenerator]
G = TypeVar("G", bound=GeneratorClass)

_BY_CONFIG: dict[type, GeneratorClass] = {}


def generates(*config_classes: type) -> Callable[[G], G]:
    """Class decorator: the decorated generator makes columns of these config classes."""

    def register(generator: G) -> G:
        for config_class in config_classes:
            taken = _BY_CONFIG.get(config_class)
            if taken is not None and taken is not generator:
                raise TypeError(f"{config_class.__name__} already has a generator, {getattr(taken, '__name__', taken)}")
            _BY_CONFIG[config_class] = generator
        return generator

    return register


def registered() -> Mapping[type, GeneratorClass]:
    """Config class -> the generator registered for it (read-only)."""
    return MappingProxyType(_BY_CONFIG)


def build_generator(config: Any, ctx: BuildContext) -> ColumnGenerator:
    generator = _BY_CONFIG.get(type(config))
    if generator is None:
        raise SynthloomError(
            f"column '{getattr(config, 'name', '?')}' is of kind '{getattr(config, 'kind', '?')}' "
            f"({type(config).__name__}), which no generator of this synthloom makes"
        )
    return generator(config, ctx)
