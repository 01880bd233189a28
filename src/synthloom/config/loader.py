"""Load a recipe from YAML; every error names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import jinja2
import yaml
from pydantic import ValidationError

from synthloom.config.curation import CurationSpec
from synthloom.config.errors import RecipeError
from synthloom.config.mix import Mix
from synthloom.config.overrides import apply_overrides
from synthloom.config.recipe import Recipe
from synthloom.config.yaml_reader import compose_yaml, load_yaml, read_yaml_text


def _read(path: Path, what: str) -> str:
    return read_yaml_text(path, what)


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    path = Path(path)
    text = _read(path, "recipe")
    return parse_recipe(text, source=str(path), base_dir=path.resolve().parent, overrides=overrides)


def parse_recipe(
    text: str, *, source: str = "<recipe>", base_dir: Path | None = None, overrides: list[str] | None = None
) -> Recipe:
    return parse_yaml_model(Recipe, text, source=source, base_dir=base_dir, overrides=overrides)


def load_mix(path: str | Path) -> Mix:
    path = Path(path)
    text = _read(path, "mix")
    return parse_yaml_model(Mix, text, source=str(path), base_dir=path.resolve().parent)


def load_curation(path: str | Path) -> CurationSpec:
    """A standalone curation file, or the `curation:` block of a recipe."""
    path = Path(path)
    text = _read(path, "curation")
    try:
        data = load_yaml(text, str(path))
    except yaml.YAMLError:
        data = None  # parse_yaml_model below reports it with the line
    if isinstance(data, dict) and "columns" in data:  # a recipe: take its curation block
        recipe = parse_recipe(text, source=str(path), base_dir=path.resolve().parent)
        if recipe.curation is None:
            raise RecipeError("has no `curation:` block; add one or give a curation file", source=str(path))
        return recipe.curation.with_base_dir(path.resolve().parent)
    return parse_yaml_model(CurationSpec, text, source=str(path), base_dir=path.resolve().parent)


M = TypeVar("M", Recipe, Mix, CurationSpec)


def parse_yaml_model(
    model: type[M], text: str, *, source: str, base_dir: Path | None = None, overrides: list[str] | None = None
) -> M:
    what = model.__name__.lower()
    try:
        root = compose_yaml(text, source)
        data = load_yaml(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RecipeError(
            f"is not valid YAML ({problem}); fix the syntax there",
            source=source,
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(data, dict):
        raise RecipeError(f"must be a YAML mapping (a {what})", source=source)
    if overrides:
        data = apply_overrides(data, overrides, source)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, root, data, source) from None
    except jinja2.TemplateSyntaxError as exc:  # raised directly by template parsing in validators
        raise RecipeError(f"a template has a Jinja2 syntax error: {exc.message}", source=source) from None
    return parsed.with_base_dir(base_dir or Path.cwd())


def _explain(exc: ValidationError, root: yaml.Node | None, data: dict[str, Any], source: str) -> RecipeError:
    # A misspelled field also makes the real one "missing": report the misspelling first.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = list(err["loc"])
    discriminator = str(err.get("ctx", {}).get("discriminator", "")).strip("'")
    node, path = _locate(root, loc)
    if err["type"] == "union_tag_invalid" and discriminator:
        node = _locate(root, loc + [discriminator])[0] or node
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    where = _describe(path, data)
    if kind == "missing":
        text = f"{where} is missing the required field `{loc[-1]}`"
    elif kind == "extra_forbidden":
        text = f"{where} has an unknown field `{loc[-1]}`; check its spelling against `synthloom schema`"
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        text = (
            f"{where} has {discriminator or 'kind'} {ctx.get('tag')!r}, which is not known; "
            f"use one of {ctx.get('expected_tags')}"
        )
    elif kind == "union_tag_not_found":
        text = f"{where} needs a `{discriminator or 'kind'}` field"
    else:
        where = _describe_loc(loc, data) or where  # the whole location: a --set value has no node of its own
        text = f"{where}: {msg}" if where else msg
    if len(exc.errors()) > 1:
        text += f" (and {len(exc.errors()) - 1} more problem(s) after fixing this one)"
    line = node.start_mark.line + 1 if node is not None else _line_of_named_column(root, msg)
    return RecipeError(text, source=source, line=line)


def _locate(root: yaml.Node | None, loc: list[Any]) -> tuple[yaml.Node | None, list[Any]]:
    """Follow a pydantic error location through the YAML node tree, skipping the union tags
    pydantic inserts (e.g. 'llm_text'); returns the deepest node found and the path to it."""
    node, path = root, []
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    node = v
                    path.append(key)
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            path.append(key)
    return (node if path else None), path


def _describe(path: list[Any], data: dict[str, Any]) -> str:
    parts: list[str] = []
    cursor: Any = data
    for key in path:
        try:
            cursor = cursor[key]
        except (KeyError, IndexError, TypeError):
            cursor = None
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(cursor, dict) and "name" in cursor:
                label += f" ({cursor['name']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts) if parts else "the file"


def _describe_loc(loc: list[Any], data: Any) -> str:
    """A pydantic location as the user wrote it, skipping the union tags pydantic inserts."""
    parts: list[str] = []
    cursor: Any = data
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(cursor, list) and key < len(cursor):
            cursor = cursor[key]
            label = f"[{key}]"
            if isinstance(cursor, dict) and "name" in cursor:
                label += f" ({cursor['name']})"
            parts.append(label)
        elif isinstance(cursor, dict) and key in cursor:
            cursor = cursor[key]
            parts.append(("." if parts else "") + str(key))
        elif i == len(loc) - 1 or not isinstance(cursor, dict):
            parts.append(("." if parts else "") + str(key))
            cursor = None
    return "".join(parts)


def _line_of_named_column(root: yaml.Node | None, msg: str) -> int | None:
    """Recipe-level errors quote a column name; point at that column's line."""
    if not isinstance(root, yaml.MappingNode):
        return None
    found = None
    for k, v in root.value:
        if k.value == "columns" and isinstance(v, yaml.SequenceNode):
            for item in v.value:
                if isinstance(item, yaml.MappingNode):
                    for ik, iv in item.value:
                        if ik.value == "name" and f"'{iv.value}'" in msg:
                            found = item.start_mark.line + 1  # the last one: a duplicate's second use
            return found or v.start_mark.line + 1
    return None
