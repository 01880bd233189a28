"""What a column generator sees while computing one cell, and how it rejects a row."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any


class CellRejected(Exception):
    """The row cannot be accepted; `reason` is stored in rejected/ with the column name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def stable_int(*parts: Any, bits: int = 31) -> int:
    """A seed derived from its parts, identical across processes and Python versions."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**bits)


@dataclass
class RowState:
    row_id: str
    batch: int
    index: int  # global row index: batch * batch_size + position
    partition: int = 0
    part_index: int = -1  # row index within its partition (== index when there is one partition)
    values: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)


    def __post_init__(self) -> None:
        if self.part_index < 0:
            self.part_index = self.index


@dataclass
class CellContext:
    recipe_seed: int
    row: RowState
    column: str

    def rng(self) -> random.Random:
        """Random choices for this cell only: adding a column never changes another's."""
        return random.Random(stable_int(self.recipe_seed, self.row.index, self.column, bits=63))

    def model_seed(self) -> int:
        return stable_int(self.recipe_seed, self.row.index, self.column)
