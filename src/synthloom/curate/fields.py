"""The text of a row that curation reads, and where each piece of it lives.

A field is a dotted path into dicts and lists (`answer.steps`, `messages.content`,
`answer.steps.0`); a path reads every string nested under the place it names, so `answer`
means every string inside a structured answer. Without fields, every string of every public
field is read. `map_text` rewrites exactly the strings `strings_of` reads, each in its place,
so PII redaction writes a string back where it came from instead of flattening the row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from synthloom.config.errors import SynthloomError

Rewrite = Callable[[str], str]


def value_at(row: dict[str, Any], path: str) -> Any:
    """The single value at a dotted path (a number indexes a list), or None."""
    value: Any = row
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _is_message(value: dict[str, Any]) -> bool:
    # a chat message's role is not text anyone wrote; only its content is
    return "role" in value and "content" in value


def _strings(value: Any) -> Iterator[str]:
    """Each string nested in `value`, in order (private `_` keys skipped)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if _is_message(value):
            yield from _strings(value["content"])
        else:
            for k, v in value.items():
                if not str(k).startswith("_"):
                    yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _rewritten(value: Any, fn: Rewrite) -> Any:
    """`value` with `fn` applied to each string `_strings` reads, each in its place."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        if _is_message(value):
            return {**value, "content": _rewritten(value["content"], fn)}
        return {k: v if str(k).startswith("_") else _rewritten(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewritten(v, fn) for v in value]
    return value


def _reached(value: Any, parts: list[str]) -> Iterator[Any]:
    """The values a dotted path leads to; a name that meets a list goes into each item (so
    `messages.content` reads every message), a number picks one."""
    if not parts:
        yield value
    elif isinstance(value, dict):
        if parts[0] in value:
            yield from _reached(value[parts[0]], parts[1:])
    elif isinstance(value, list):
        if parts[0].isdigit():
            if int(parts[0]) < len(value):
                yield from _reached(value[int(parts[0])], parts[1:])
        else:
            for v in value:
                yield from _reached(v, parts)


def _rewritten_at(value: Any, parts: list[str], fn: Rewrite) -> Any:
    """`value` with `fn` applied to the strings under the path `_reached` follows."""
    if not parts:
        return _rewritten(value, fn)
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        return {**value, head: _rewritten_at(value[head], rest, fn)} if head in value else value
    if isinstance(value, list):
        if head.isdigit():
            return [_rewritten_at(v, rest, fn) if k == int(head) else v for k, v in enumerate(value)]
        return [_rewritten_at(v, parts, fn) for v in value]
    return value


def strings_of(row: dict[str, Any], fields: list[str] | None) -> list[str]:
    if not fields:
        return list(_strings(row))
    return [s for f in fields for v in _reached(row, f.split(".")) for s in _strings(v)]


def text_of(row: dict[str, Any], fields: list[str] | None) -> str:
    return "\n".join(s for s in strings_of(row, fields) if s)


def map_text(row: dict[str, Any], fields: list[str] | None, fn: Rewrite) -> dict[str, Any]:
    """The row with `fn` applied to every string curation reads in it, each in its place."""
    if not fields:
        return _rewritten(row, fn)
    for f in fields:
        row = _rewritten_at(row, f.split("."), fn)
    return row


def _leads_somewhere(row: dict[str, Any], path: str) -> bool:
    return any(True for _ in _reached(row, path.split(".")))


def _kinds_at(rows: list[dict[str, Any]], path: str) -> str:
    kinds: set[str] = set()
    for r in rows[:50]:
        kinds.update(type(v).__name__ for v in _reached(r, path.split(".")))
    return ", ".join(sorted(kinds))


def check_fields(rows: list[dict[str, Any]], fields: list[str] | None, where: str) -> None:
    """One sentence when a named text field is in no row at all (a typo, most likely), or
    holds no string anywhere (a number, a flag, a dict of scores): curation would read nothing."""
    if not rows:
        raise SynthloomError(f"{where} is empty: there is nothing to curate")
    for f in fields or []:
        if not any(_leads_somewhere(r, f) for r in rows):
            known = sorted({k for r in rows[:50] for k in r if not str(k).startswith("_")})
            raise SynthloomError(f"text field '{f}' is not in {where}; its fields are: {', '.join(known)}")
        if not any(strings_of(r, [f]) for r in rows):
            raise SynthloomError(f"text field '{f}' holds no text in {where} (its values are {_kinds_at(rows, f)}); "
                                 "name fields whose values are strings or hold strings")
