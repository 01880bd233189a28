"""Built-in recipes, kept as data (YAML + Jinja2 prompts)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def builtin_recipe_path(name: str) -> Path:
    path = Path(str(resources.files(__package__) / f"{name}.yaml"))
    if not path.is_file():
        from synthloom.config.errors import SynthloomError

        known = sorted(p.stem for p in Path(path.parent).glob("*.yaml"))
        raise SynthloomError(f"there is no built-in recipe '{name}'; known: {', '.join(known)}")
    return path
