"""Which rows of a review a filter matches, as one parameterised SQL query: words (full-text),
review state, who decided, the rejection reason, a curation flag, and conditions on any field of the row (by JSON
pointer: `/score/helpfulness >= 3`). Also the fields a table view can filter on.

Nothing a user types becomes SQL: field paths are checked and quoted, values are parameters,
and full-text words are quoted FTS5 prefixes."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from synthloom.data.review.pointer import PointerError, parse

STATES = ("undecided", "accepted", "rejected", "edited", "commented")
OPERATORS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "contains": "LIKE"}
MAX_CONDITIONS = 20


class FilterError(ValueError):
    """A filter that cannot be run (the message says why, in one sentence)."""


@dataclass
class Filter:
    text: str = ""
    state: str | None = None
    reviewer: str | None = None  # rows this reviewer decided
    reason: str | None = None  # the latest decision's reason
    flag: str | None = None  # a curation flag the row carries ("pii: redacted")
    where: list[tuple[str, str, Any]] = field(default_factory=list)  # (JSON pointer, operator, value)

    @classmethod
    def from_json(cls, data: Any) -> Filter:
        if data in (None, ""):
            return cls()
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise FilterError("the filter is not JSON") from None
        if not isinstance(data, dict):
            raise FilterError("the filter is a JSON object")
        where = data.get("where") or []
        if not isinstance(where, list) or len(where) > MAX_CONDITIONS:
            raise FilterError(f"`where` is a list of at most {MAX_CONDITIONS} [field, operator, value] conditions")
        conditions = []
        for cond in where:
            if not isinstance(cond, list) or len(cond) != 3:
                raise FilterError("each condition is [field, operator, value]")
            conditions.append((str(cond[0]), str(cond[1]), cond[2]))
        return cls(text=str(data.get("text") or ""), state=data.get("state") or None,
                   reviewer=data.get("reviewer") or None, reason=data.get("reason") or None,
                   flag=data.get("flag") or None, where=conditions)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "state": self.state, "reviewer": self.reviewer, "reason": self.reason,
                "flag": self.flag, "where": [list(c) for c in self.where]}


def json_path(pointer: str) -> str:
    """A JSON pointer as an SQLite JSON path (`/a/0/b c` -> `$."a"[0]."b c"`)."""
    try:
        parts = parse(pointer)
    except PointerError as exc:
        raise FilterError(str(exc)) from None
    if not parts:
        raise FilterError("a condition names a field, not the whole row")
    path = "$"
    for part in parts:
        if part.isdigit():
            path += f"[{int(part)}]"
        elif '"' in part or "\\" in part:
            raise FilterError(f"the field name {part!r} cannot be filtered on (it holds a quote or backslash)")
        else:
            path += f'."{part}"'
    return path


def fts_match(text: str) -> str | None:
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return " ".join(f'"{w}"*' for w in words) or None


def where_clause(flt: Filter) -> tuple[str, list[Any]]:
    clauses, args = [], []
    match = fts_match(flt.text)
    if match is not None:
        clauses.append("i.item IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        args.append(match)
    if flt.state is not None:
        states = {"undecided": "s.decision IS NULL", "accepted": "s.decision = 'accept'",
                  "rejected": "s.decision = 'reject'", "edited": "s.edited = 1", "commented": "s.comments > 0"}
        if flt.state not in states:
            raise FilterError(f"state is one of {', '.join(STATES)}, not {flt.state!r}")
        clauses.append(states[flt.state])
    if flt.reviewer is not None:
        clauses.append("json_extract(s.decisions, ?) IS NOT NULL")
        args.append(json_path("/" + flt.reviewer))
    if flt.reason is not None:
        clauses.append("s.reason = ?")
        args.append(flt.reason)
    if flt.flag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(i.flags) WHERE json_each.value = ?)")
        args.append(flt.flag)
    for pointer, op, value in flt.where:
        if op not in OPERATORS:
            raise FilterError(f"operator {op!r} is not one of {', '.join(OPERATORS)}")
        if isinstance(value, (dict, list)):
            raise FilterError("a condition compares with a number, a text, true, false or null")
        target = "json_extract(i.data, ?)"  # the path is a parameter too
        args.append(json_path(pointer))
        if op == "contains":
            clauses.append(f"{target} LIKE ? ESCAPE '\\'")
            args.append("%" + str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        elif value is None:
            clauses.append(f"{target} IS {'NOT ' if op == '!=' else ''}NULL")
        else:
            clauses.append(f"{target} {OPERATORS[op]} ?")
            args.append(int(value) if isinstance(value, bool) else value)
    return (" AND ".join(clauses) or "1"), args


FROM = "FROM items i LEFT JOIN item_state s ON s.item = i.item"


def matching(conn: sqlite3.Connection, flt: Filter, *, offset: int = 0, limit: int | None = 100) -> list[int]:
    where, args = where_clause(flt)
    sql = f"SELECT i.item {FROM} WHERE {where} ORDER BY i.item"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args = [*args, limit, offset]
    return [r[0] for r in conn.execute(sql, args)]


def count(conn: sqlite3.Connection, flt: Filter) -> int:
    where, args = where_clause(flt)
    return conn.execute(f"SELECT COUNT(*) {FROM} WHERE {where}", args).fetchone()[0]


def fields(conn: sqlite3.Connection, sample: int = 500, depth: int = 3) -> list[dict[str, Any]]:
    """The fields rows have (JSON pointers, to `depth`), each with its kind and, for a text with
    few values, the values: what a table view offers to filter on."""
    seen: dict[str, dict[str, Any]] = {}

    def walk(value: Any, pointer: str, level: int) -> None:
        if isinstance(value, dict) and level < depth:
            for key, inner in value.items():
                if not str(key).startswith("_"):
                    walk(inner, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}", level + 1)
            return
        if isinstance(value, (dict, list)) or not pointer:
            return
        kind = "bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else "text"
        info = seen.setdefault(pointer, {"field": pointer, "kind": kind, "values": set()})
        if info["kind"] != kind and value is not None:
            info["kind"] = "text"
        if info["values"] is not None and isinstance(value, str) and len(value) <= 80:
            info["values"].add(value)
            if len(info["values"]) > 30:
                info["values"] = None
        elif not isinstance(value, str) or len(value) > 80:
            info["values"] = None

    for (data,) in conn.execute("SELECT data FROM items ORDER BY item LIMIT ?", (sample,)):
        walk(json.loads(data), "", 0)
    return [{**info, "values": sorted(info["values"]) if info["values"] else None} for info in seen.values()]


def flag_counts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The curation flags rows carry, most common first."""
    return [{"flag": f, "rows": n} for f, n in conn.execute(
        "SELECT json_each.value, COUNT(*) FROM items, json_each(items.flags) GROUP BY 1 ORDER BY 2 DESC, 1")]
