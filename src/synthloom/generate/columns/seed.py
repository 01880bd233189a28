"""Seed columns: one row of a file or taxonomy per generated row, chosen by global row index
so any batch can be computed on its own."""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from synthloom.config.columns import SeedColumn
from synthloom.config.errors import SynthloomError
from synthloom.data.tables import read_table
from synthloom.data.taxonomy import taxonomy_rows
from synthloom.generate.cells import CellContext, stable_int
from synthloom.generate.columns.base import BatchEnv, ColumnGenerator


class SeedGenerator(ColumnGenerator):
    kind = "seed"

    def __init__(self, config: SeedColumn, *, resolve_path: Any, recipe_seed: int = 0):
        super().__init__(config)
        self.recipe_seed = recipe_seed
        if config.taxonomy is not None:
            rows = taxonomy_rows(resolve_path(config.taxonomy), config.taxonomy_kinds)
        else:
            rows = read_table(resolve_path(config.path)).to_pylist()
        if not rows:
            raise SynthloomError(f"seed column '{config.name}': {config.path or config.taxonomy} has no rows")
        if config.fields:
            missing = [f for f in config.fields if f not in rows[0]]
            if missing:
                raise SynthloomError(
                    f"seed column '{config.name}': field(s) {', '.join(missing)} not in the seed data "
                    f"(it has {', '.join(rows[0])})"
                )
            rows = [{f: r.get(f) for f in config.fields} for r in rows]
        self.rows = rows

    def pick(self, index: int) -> int:
        n = len(self.rows)
        order = self.config.order
        if order == "ordered":
            return index % n
        if order == "shuffled":
            return self._permutation(index // n)[index % n]
        return random.Random(stable_int(self.recipe_seed, index, self.name, bits=63)).randrange(n)

    @lru_cache(maxsize=4)
    def _permutation(self, epoch: int) -> list[int]:
        perm = list(range(len(self.rows)))
        random.Random(stable_int(self.recipe_seed, "epoch", epoch, self.name, bits=63)).shuffle(perm)
        return perm

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        i = self.pick(ctx.row.index)
        row = dict(self.rows[i])
        ref: dict[str, Any] = {"column": self.name, "seed_index": i}
        if "leaf" in row:
            ref["leaf"] = row["leaf"]
        ctx.row.lineage.setdefault("seed", []).append(ref)
        return row
