"""The shape of a column generator: one small class per column kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from synthloom.generate.cells import CellContext
from synthloom.generate.model_calls import ModelCaller, UsageTally


@dataclass
class BatchEnv:
    """Shared by all cells of one batch."""

    callers: dict[str, ModelCaller]
    tally: UsageTally


class ColumnGenerator:
    kind: ClassVar[str]

    def __init__(self, config: Any):
        self.config = config
        self.name: str = config.name
        self.notices: list[str] = []  # things the user should hear about once (e.g. a fallback)

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        raise NotImplementedError

    async def start(self) -> None:
        """Acquire what the generator needs before the first cell (fail fast on bad input)."""

    async def aclose(self) -> None:
        """Release what the generator holds (processes, files)."""
