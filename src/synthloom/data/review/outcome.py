"""What a review means for the rows released: the latest decision per row applies (rejected rows
leave, edits are applied), and the figures the card and the gates read: reviewed share,
acceptance with its Wilson interval, edits, and agreement between reviewers where rows were
decided by more than one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthloom.data.review.agreement import Agreement, alpha_with_interval, kappa_with_interval
from synthloom.data.review.sampling import wilson_interval
from synthloom.data.review.store import ReviewStore

REVIEW_DIR = "review"
REVIEW_DB = "review.sqlite"


def review_path(run_root: Path) -> Path:
    """Where a run's review lives."""
    return Path(run_root) / REVIEW_DIR / REVIEW_DB


@dataclass
class ReviewOutcome:
    rows_in: int  # rows offered for release before the review
    reviewed: int  # of those, rows with a decision
    accepted: int
    rejected: int
    edited: int
    reviewers: list[str]
    alpha: Agreement | None = None  # over rows decided by two or more reviewers
    kappa: Agreement | None = None  # when exactly two reviewers overlap
    rows: list[dict[str, Any]] = field(default_factory=list)  # what is released

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.reviewed if self.reviewed else None

    def summary(self) -> dict[str, Any]:
        """The review.* figures gates may name (evaluate/metrics.py registers them)."""
        low_high = wilson_interval(self.accepted, self.reviewed)
        out: dict[str, Any] = {
            "review.reviewed": self.reviewed,
            "review.reviewed_fraction": self.reviewed / self.rows_in if self.rows_in else 0.0,
            "review.edited": self.edited,
        }
        if self.reviewed:
            out["review.acceptance_rate"] = self.acceptance
            out["review.acceptance_low"], out["review.acceptance_high"] = low_high
        if self.alpha is not None and self.alpha.value is not None:
            out["review.agreement_alpha"] = self.alpha.value
        if self.kappa is not None and self.kappa.value is not None:
            out["review.agreement_kappa"] = self.kappa.value
        return out

    def to_json(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "reviewed": self.reviewed, "accepted": self.accepted,
                "rejected": self.rejected, "edited": self.edited, "reviewers": self.reviewers,
                "acceptance_interval": wilson_interval(self.accepted, self.reviewed),
                "alpha": self.alpha.to_json() if self.alpha else None,
                "kappa": self.kappa.to_json() if self.kappa else None}


def apply_review(rows: list[dict[str, Any]], store: ReviewStore, *, id_field: str = "_row_id") -> ReviewOutcome:
    """The rows as the review leaves them, and what the review says. Rows the review never
    imported pass as they are (and count as not reviewed)."""
    state = store.state()
    names = dict(store.conn.execute("SELECT row_id, item FROM items"))
    released, accepted, rejected, edited = [], 0, 0, 0
    decided: list[dict[str, str]] = []
    for row in rows:
        item = names.get(str(row.get(id_field)))
        s = state.get(item) if item is not None else None
        if s is None:
            released.append(row)
            continue
        if s["decision"] == "reject":
            rejected += 1
            decided.append(s["decisions"])
            continue
        if s["decision"] == "accept":
            accepted += 1
            decided.append(s["decisions"])
        if s["edited"]:
            edited += 1
            row = store.current(item)
        released.append(row)
    reviewers, alpha, kappa = _agreement(decided)
    return ReviewOutcome(len(rows), accepted + rejected, accepted, rejected, edited, reviewers, alpha, kappa, released)


def summarize(store: ReviewStore) -> ReviewOutcome:
    """What the review says over every row it holds (no rows are released: the app's figures)."""
    state = store.state()
    decided = [s["decisions"] for s in state.values() if s["decision"] is not None]
    accepted = sum(1 for s in state.values() if s["decision"] == "accept")
    rejected = sum(1 for s in state.values() if s["decision"] == "reject")
    edited = sum(1 for s in state.values() if s["edited"] and s["decision"] != "reject")
    reviewers, alpha, kappa = _agreement(decided)
    return ReviewOutcome(store.count(), accepted + rejected, accepted, rejected, edited, reviewers, alpha, kappa)


def _agreement(decided: list[dict[str, str]]) -> tuple[list[str], Agreement | None, Agreement | None]:
    """Alpha over rows two or more reviewers decided; kappa too when there are exactly two."""
    reviewers = sorted({who for d in decided for who in d})
    alpha = kappa = None
    overlapping = [d for d in decided if len(d) >= 2]
    if overlapping:
        ratings = [[d.get(who) for d in overlapping] for who in reviewers]
        alpha = alpha_with_interval(ratings, "nominal")
        if len(reviewers) == 2:
            kappa = kappa_with_interval(ratings[0], ratings[1])
    return reviewers, alpha, kappa


def review_of_run(run_root: Path, rows: list[dict[str, Any]]) -> ReviewOutcome | None:
    """apply_review with the run's own review, or None when it has none."""
    path = review_path(run_root)
    if not path.exists():
        return None
    with ReviewStore(path) as store:
        return apply_review(rows, store)
