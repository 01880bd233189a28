"""How much of a real text collection's vocabulary a generated one still uses: its word types,
its rare types (seen at most RARE_COUNT times in the real texts; they go first when a model
trains on its own output) and its word pairs. Texts come as word lists, tokenised by the caller."""

from __future__ import annotations

from collections import Counter

RARE_COUNT = 2


def _pairs(rows: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) for row in rows for a, b in zip(row, row[1:])}


def word_support(real: list[list[str]], generated: list[list[str]]) -> dict[str, float | None]:
    counts = Counter(w for row in real for w in row)
    used = {w for row in generated for w in row}
    rare = {w for w, c in counts.items() if c <= RARE_COUNT}
    real_pairs = _pairs(real)
    return {
        "type_coverage": len(used & set(counts)) / len(counts) if counts else None,
        "rare_type_coverage": len(used & rare) / len(rare) if rare else None,
        "pair_coverage": len(_pairs(generated) & real_pairs) / len(real_pairs) if real_pairs else None,
    }
