"""What a run has paid for, committed or not, held against its budget.

Every model call that is not answered from the cache adds its tokens and cost here the moment
it returns, so batches still running count as much as committed ones. Once the budget is
reached, or the run has all the rows it needs, no new call is sent: only calls already sent
can carry the spend past the budget."""

from __future__ import annotations

from dataclasses import dataclass


class SpendingStopped(Exception):
    """A model call was not sent: the budget is spent or the run needs no more rows."""


@dataclass
class SpendMeter:
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    tokens: int = 0
    cost: float = 0.0
    closed: bool = False  # set when the run needs no more calls

    def add(self, tokens: int, cost: float) -> None:
        self.tokens += tokens
        self.cost += cost

    @property
    def budget_reached(self) -> bool:
        return (self.max_tokens is not None and self.tokens >= self.max_tokens) or (
            self.max_cost_usd is not None and self.cost >= self.max_cost_usd
        )

    def close(self) -> None:
        self.closed = True

    def check_can_spend(self) -> None:
        """Called right before a call is sent; raises SpendingStopped if it must not be."""
        if self.closed or self.budget_reached:
            raise SpendingStopped()
