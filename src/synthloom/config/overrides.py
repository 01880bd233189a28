"""`--set path=value` overrides applied to a recipe's YAML data before validation.

Paths are dotted; list items are addressed by position or, for columns, by name:
`target_rows=50`, `columns.seed.taxonomy=/data/taxonomy`, `models.default.workers=1`.
Values are read as YAML, so numbers, booleans, lists and mappings work."""

from __future__ import annotations

from typing import Any

import yaml

from synthloom.config.errors import RecipeError
from synthloom.config.yaml_reader import load_yaml


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise RecipeError(f"override {item!r} is not of the form path=value (e.g. target_rows=50)", source=source)
        try:
            value = load_yaml(raw, source) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        _set(data, path.split("."), value, item, source)
    return data


def _set(node: Any, keys: list[str], value: Any, item: str, source: str) -> None:
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            index = _list_index(node, key)
            if index is None:
                raise RecipeError(f"override {item!r}: no item {key!r} in {'.'.join(keys[:depth]) or 'the recipe'}", source=source)
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[key] = value
                return
            node = node.setdefault(key, {})
        else:
            raise RecipeError(f"override {item!r}: {'.'.join(keys[:depth])} is not a mapping or list", source=source)


def _list_index(items: list[Any], key: str) -> int | None:
    if key.lstrip("-").isdigit():
        i = int(key)
        return i if -len(items) <= i < len(items) else None
    for i, it in enumerate(items):
        if isinstance(it, dict) and it.get("name") == key:
            return i
    return None
