"""Built-in recipes, kept as data (YAML + Jinja2 prompts), listed by `synthloom recipes list`.

Beside them ships an example InstructLab taxonomy written for synthloom (`taxonomy/`) with the
documents of its knowledge leaves (`knowledge_docs/`): the LAB recipes and the demo name them by
paths relative to the recipe, so a copied recipe gets them copied beside it."""

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


# The example's knowledge leaves all name this repository; it maps to `knowledge_docs/`.
EXAMPLE_DOCUMENT_REPO = "https://github.com/synthloom/example-knowledge"


def example_taxonomy() -> Path:
    """The bundled example taxonomy (package data, so it works from any folder)."""
    return _folder() / "taxonomy"


def example_document_map() -> dict[str, Path]:
    """The example's document repository mapped to the bundled documents."""
    return {EXAMPLE_DOCUMENT_REPO: _folder() / "knowledge_docs"}


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


def copy_recipe(name: str, directory: Path) -> tuple[Path, list[Path]]:
    """Copy a built-in recipe into `directory` for editing, with the bundled folders its seed
    columns name (the example taxonomy, its documents) so the copy runs as it is. Never
    overwrites: an existing recipe is an error, an existing folder is left as the user has it."""
    source = builtin_recipe_path(name)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / source.name
    if target.exists():
        raise SynthloomError(f"{target} already exists; choose another folder or remove it first")
    shutil.copyfile(source, target)
    copied = []
    for rel in _bundled_folders(source):
        if not (directory / rel).exists():
            shutil.copytree(_folder() / rel, directory / rel)
            copied.append(directory / rel)
    return target, copied


def _bundled_folders(recipe: Path) -> list[str]:
    """Relative folders named by the recipe's seed columns that ship beside the recipes."""
    data = yaml.safe_load(recipe.read_text(encoding="utf-8")) or {}
    named = []
    for column in data.get("columns") or []:
        if isinstance(column, dict) and column.get("kind") == "seed":
            named.append(column.get("taxonomy"))
            named.extend((column.get("document_map") or {}).values())
    found = []
    for rel in named:
        if isinstance(rel, str) and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
            if (_folder() / rel).is_dir() and rel not in found:
                found.append(rel)
    return found
