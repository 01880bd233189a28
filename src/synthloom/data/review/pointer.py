"""JSON pointers (RFC 6901) into a row: how an edit names the field it changes, nested ones too
(`/messages/1/content`). Only existing places can be read or set: an edit changes a value, it
does not grow the row."""

from __future__ import annotations

from typing import Any


class PointerError(ValueError):
    pass


def parse(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"{pointer!r} is not a JSON pointer (it starts with '/')")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def quote(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _step(container: Any, part: str, pointer: str) -> tuple[Any, Any]:
    """(the container, its key) for one step, or PointerError."""
    if isinstance(container, dict):
        if part not in container:
            raise PointerError(f"the row has no field {pointer}")
        return container, part
    if isinstance(container, list):
        if not part.isdigit() or (len(part) > 1 and part.startswith("0")) or int(part) >= len(container):
            raise PointerError(f"the row has no item {pointer}")
        return container, int(part)
    raise PointerError(f"{pointer} goes inside a value that has no fields")


def get_at(doc: Any, pointer: str) -> Any:
    value = doc
    for part in parse(pointer):
        container, key = _step(value, part, pointer)
        value = container[key]
    return value


def set_at(doc: Any, pointer: str, value: Any) -> None:
    parts = parse(pointer)
    if not parts:
        raise PointerError("an edit names a field, not the whole row")
    target = doc
    for part in parts[:-1]:
        container, key = _step(target, part, pointer)
        target = container[key]
    container, key = _step(target, parts[-1], pointer)
    container[key] = value
