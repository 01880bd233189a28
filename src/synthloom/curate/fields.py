"""The text of a row that curation reads: named fields by dotted path, or every string field;
message lists (dialogues, SFT records) contribute their contents."""

from __future__ import annotations

from typing import Any

from synthloom.config.errors import SynthloomError


def value_at(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_flatten(v.get("content", "") if isinstance(v, dict) else v) for v in value)
    return ""


def text_of(row: dict[str, Any], fields: list[str] | None) -> str:
    if fields:
        return "\n".join(t for t in (_flatten(value_at(row, f)) for f in fields) if t)
    return "\n".join(t for k, v in row.items() if not k.startswith("_") and (t := _flatten(v)))


def check_fields(rows: list[dict[str, Any]], fields: list[str] | None, where: str) -> None:
    """One sentence when a named text field is in no row at all (a typo, most likely)."""
    if not rows:
        raise SynthloomError(f"{where} is empty: there is nothing to curate")
    for f in fields or []:
        if all(value_at(r, f) is None for r in rows):
            known = sorted({k for r in rows[:50] for k in r if not k.startswith("_")})
            raise SynthloomError(f"text field '{f}' is not in {where}; its fields are: {', '.join(known)}")
