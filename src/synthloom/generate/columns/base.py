"""What a column generator is to the engine, and what it is built from.

The engine (batch.py, driver.py) knows a generator only as a `ColumnGenerator`: a name, notices,
`start`, `generate` one cell, `aclose`. A generator that can do more says so by having the
methods of a capability: `PartitionSource` (it can split a run by a field, for `partition_by`)
or `SeedSource` (it has rows a novelty pool can start from). Every generator is built as
`Class(config, BuildContext)`; `BaseGenerator` is what the built-in ones extend."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from synthloom.config.recipe import Recipe
from synthloom.generate.cells import CellContext
from synthloom.generate.model_calls import ModelCaller, UsageTally


@dataclass(frozen=True)
class BuildContext:
    """What a generator may use while it is built; the same for every column of a run. Model
    backends are not here: they open after every generator is built (a bad seed file fails
    before a model loads) and reach cells through `BatchEnv`."""

    seed: int  # the recipe's seed
    resolve_path: Callable[[str], Path]  # a path as written in the recipe -> where it is

    @classmethod
    def of(cls, recipe: Recipe) -> BuildContext:
        return cls(seed=recipe.seed, resolve_path=recipe.resolve_path)


@dataclass
class BatchEnv:
    """Shared by all cells of one batch."""

    callers: dict[str, ModelCaller]
    tally: UsageTally


class ColumnGenerator(Protocol):
    """All the engine may ask of a column generator."""

    name: str
    notices: list[str]  # things the user should hear about once (e.g. a fallback)

    async def start(self) -> None:
        """Acquire what the generator needs before the first cell (fail fast on bad input)."""

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        """The value of one cell; raises CellRejected to reject its row."""

    async def aclose(self) -> None:
        """Release what the generator holds (processes, files)."""


@runtime_checkable
class PartitionSource(Protocol):
    """A generator that can split a run by one of its fields (`partition_by: column.field`)."""

    def partition_on(self, field: str) -> list[str]:
        """Split by `field` from now on; the partition values, in a stable order."""
        ...


@runtime_checkable
class SeedSource(Protocol):
    """A generator whose cells are drawn from rows known before the run (`novelty.seed_column`)."""

    def seed_rows(self) -> Sequence[Mapping[str, Any]]:
        """Every row it draws from, in order."""
        ...


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class BaseGenerator(Generic[ConfigT]):
    """What the built-in generators share: the config, the column name, notices, no-op start
    and close. A subclass implements `generate`."""

    def __init__(self, config: ConfigT, ctx: BuildContext):
        self.config = config
        self.name: str = config.name
        self.notices: list[str] = []

    async def start(self) -> None: ...

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None: ...
