"""Built-in recipes, kept as data (YAML + Jinja2 prompts), listed by `synthloom recipes list`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from synthloom.config.errors import SynthloomError


@dataclass(frozen=True)
class BuiltinRecipe:
    name: str
    path: Path
    description: str


def _folder() -> Path:
    return Path(str(resources.files(__package__)))


def builtin_recipes() -> list[BuiltinRecipe]:
    found = []
    for path in sorted(_folder().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.append(BuiltinRecipe(path.stem, path, str(data.get("description", "")).strip()))
    return found


def builtin_recipe_path(name: str) -> Path:
    path = _folder() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(r.name for r in builtin_recipes())
        raise SynthloomError(f"there is no built-in recipe '{name}'; known: {known}")
    return path


def copy_recipe(name: str, directory: Path) -> Path:
    """Copy a built-in recipe into `directory` for editing; never overwrites."""
    source = builtin_recipe_path(name)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / source.name
    if target.exists():
        raise SynthloomError(f"{target} already exists; choose another folder or remove it first")
    shutil.copyfile(source, target)
    return target
