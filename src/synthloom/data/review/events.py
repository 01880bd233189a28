"""Review events and what they add up to: an event per decision, edit, comment or undo, folded
(undone ones left out) into each row's state; and the text of a row that search indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DECISIONS = ("accept", "reject")


@dataclass(frozen=True)
class Event:
    event: int
    item: int
    reviewer: str
    at: float
    action: str
    reason: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None
    target: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}



def fold_events(events: Iterable[Event]) -> dict[int, dict[str, Any]]:
    """Per item with any event not taken back: its latest decision, by whom, the reason,
    whether it was edited, its comments, and each reviewer's own latest decision."""
    events = list(events)
    undone = {e.target for e in events if e.action == "undo"}
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.action == "undo" or e.event in undone:
            continue
        s = out.setdefault(e.item, {"decision": None, "by": None, "reason": None, "edited": False,
                                    "comments": 0, "decisions": {}})
        if e.action in DECISIONS:
            s.update(decision=e.action, by=e.reviewer, reason=e.reason)
            s["decisions"][e.reviewer] = e.action
        elif e.action == "edit":
            s["edited"] = True
        elif e.action == "comment":
            s["comments"] += 1
    return out



def searchable_text(value: Any) -> str:
    """Every string and number of a row, nested ones too, for full-text search."""
    parts: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for key, inner in v.items():
                if not str(key).startswith("_"):
                    walk(inner)
        elif isinstance(v, (list, tuple)):
            for inner in v:
                walk(inner)
        elif v is not None and not isinstance(v, bool):
            parts.append(str(v))

    walk(value)
    return "\n".join(parts)
