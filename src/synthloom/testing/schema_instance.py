"""A deterministic JSON value that satisfies a (simple) JSON Schema, for scripted answers."""

from __future__ import annotations

import random
from typing import Any

WORDS = (
    "river", "signal", "garden", "vector", "harbor", "lantern", "meadow", "prism", "quartz", "summit",
    "timber", "violet", "willow", "cobalt", "ember", "falcon", "glacier", "hollow", "ivory", "jasper",
)


def instance_for(schema: dict[str, Any], rng: random.Random, depth: int = 0, enum_choice: str = "random") -> Any:
    """`enum_choice="max"` picks the last enum value (a judge's best score)."""
    if "enum" in schema:
        return schema["enum"][-1] if enum_choice == "max" else rng.choice(schema["enum"])
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return instance_for(rng.choice(schema[key]), rng, depth + 1, enum_choice)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: instance_for(v, rng, depth + 1, enum_choice) for k, v in props.items()}
    if kind == "array":
        lo = schema.get("minItems", 1)
        hi = max(lo, min(schema.get("maxItems", 3), lo + 2))
        return [instance_for(schema.get("items", {}), rng, depth + 1, enum_choice) for _ in range(rng.randint(lo, hi))]
    if kind == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 100)
        return rng.randint(lo, hi)
    if kind == "number":
        return round(rng.uniform(schema.get("minimum", 0.0), schema.get("maximum", 1.0)), 4)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8)))
    while len(text) < schema.get("minLength", 0):
        text += " " + rng.choice(WORDS)
    return text[: schema.get("maxLength", len(text))].strip() or "x" * schema.get("minLength", 1)
