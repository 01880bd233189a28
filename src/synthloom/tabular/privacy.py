"""Differential-privacy accounting: every mechanism records the epsilon it spends, and the
report says how the budget was split."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from synthloom.config.errors import SynthloomError


@dataclass
class Accountant:
    budget: float
    spent: list[tuple[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (self.budget > 0 and math.isfinite(self.budget)):
            raise SynthloomError(f"epsilon must be a positive number, not {self.budget}")

    def spend(self, what: str, epsilon: float) -> float:
        if self.total + epsilon > self.budget * (1 + 1e-9):
            raise SynthloomError(f"{what} would exceed the privacy budget epsilon={self.budget}")
        self.spent.append((what, epsilon))
        return epsilon

    def spend_rest(self, what: str) -> float:
        """The last mechanism takes what is left, so the total is the budget itself."""
        rest = self.budget - self.total
        self.spent.append((what, rest))
        return rest

    @property
    def total(self) -> float:
        return math.fsum(e for _, e in self.spent)

    def summary(self) -> dict[str, float]:
        by: dict[str, float] = {}
        for what, e in self.spent:
            key = what.split(":")[0]
            by[key] = math.fsum([by.get(key, 0.0), e])
        return {"epsilon": self.budget, "spent": self.total, **{f"spent_{k}": v for k, v in by.items()}}


def mi_sensitivity(n: int) -> float:
    """Sensitivity of empirical mutual information between two attributes (PrivBayes, Lemma 4.1)."""
    return (2 / n) * math.log((n + 1) / 2) + ((n - 1) / n) * math.log((n + 1) / (n - 1))
