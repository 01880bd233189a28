"""Seed columns: one row of a file or taxonomy per generated row, chosen by global row index
so any batch can be computed on its own."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from synthloom.config.columns import SeedColumn
from synthloom.config.errors import SynthloomError
from synthloom.data.sources.seed_rows import load_seed_rows
from synthloom.generate.cells import CellContext, stable_int
from synthloom.generate.columns.base import BaseGenerator, BatchEnv, BuildContext
from synthloom.generate.columns.registry import generates


@generates(SeedColumn)
class SeedGenerator(BaseGenerator[SeedColumn]):
    """A PartitionSource and a SeedSource (base.py)."""

    def __init__(self, config: SeedColumn, ctx: BuildContext):
        super().__init__(config, ctx)
        self.recipe_seed = ctx.seed
        self.rows = load_seed_rows(config, ctx.resolve_path, self.notices)
        self.groups: list[list[int]] = [list(range(len(self.rows)))]  # one group unless partitioned
        self._perms: dict[tuple[int, int], list[int]] = {}

    def seed_rows(self) -> Sequence[Mapping[str, Any]]:
        return self.rows

    def partition_on(self, field: str) -> list[str]:
        """Group the seed rows by `field`; returns the partition values in a stable order."""
        if field not in self.rows[0]:
            raise SynthloomError(
                f"partition_by: seed column '{self.name}' has no field '{field}' (it has {', '.join(self.rows[0])})"
            )
        by_value: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            by_value.setdefault(str(row.get(field)), []).append(i)
        values = sorted(by_value)
        self.groups = [by_value[v] for v in values]
        return values

    def pick(self, index: int, group: int = 0) -> int:
        members = self.groups[group]
        n = len(members)
        order = self.config.order
        if order == "ordered":
            return members[index % n]
        if order == "shuffled":
            return members[self._permutation(index // n, group)[index % n]]
        return members[random.Random(stable_int(self.recipe_seed, group, index, self.name, bits=63)).randrange(n)]

    def _permutation(self, epoch: int, group: int) -> list[int]:
        key = (epoch, group)
        if key not in self._perms:
            perm = list(range(len(self.groups[group])))
            random.Random(stable_int(self.recipe_seed, "epoch", epoch, group, self.name, bits=63)).shuffle(perm)
            self._perms[key] = perm
        return self._perms[key]

    async def generate(self, ctx: CellContext, env: BatchEnv) -> Any:
        partitioned = len(self.groups) > 1 or ctx.row.partition > 0
        i = self.pick(ctx.row.part_index, ctx.row.partition) if partitioned else self.pick(ctx.row.index)
        if self.config.sample_size > 1:
            return self._sample(ctx, i)
        row = dict(self.rows[i])
        ref: dict[str, Any] = {"column": self.name, "seed_index": i}
        if "leaf" in row:
            ref["leaf"] = row["leaf"]
            if row.get("chunk", -1) >= 0:
                ref["chunk"] = f"{row['source']}#{row['chunk']}"
        ctx.row.lineage.setdefault("seed", []).append(ref)
        return row

    def _sample(self, ctx: CellContext, first: int) -> list[dict[str, Any]]:
        """`first` plus distinct others from the same group, seeded per cell."""
        members = self.groups[ctx.row.partition if len(self.groups) > 1 else 0]
        others = [m for m in members if m != first]
        k = min(self.config.sample_size - 1, len(others))
        chosen = [first, *ctx.rng().sample(others, k)]
        ctx.row.lineage.setdefault("seed", []).append({"column": self.name, "seed_index": chosen})
        return [dict(self.rows[i]) for i in chosen]
