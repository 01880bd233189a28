"""Order columns into levels: every column's inputs are in earlier levels, so the columns
of one level can run concurrently."""

from __future__ import annotations

from synthloom.config.recipe import Recipe


def column_levels(recipe: Recipe) -> list[list[str]]:
    deps = {c.name: c.references() for c in recipe.columns}
    order = [c.name for c in recipe.columns]
    level_of: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in level_of:
            level_of[name] = 1 + max((level(d) for d in deps[name]), default=-1)
        return level_of[name]

    for name in order:
        level(name)  # recipe validation has already ruled out cycles
    levels: list[list[str]] = [[] for _ in range(max(level_of.values()) + 1)]
    for name in order:
        levels[level_of[name]].append(name)
    return levels
