"""Relative paths in a YAML file start at that file's folder."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, PrivateAttr


class RelativePaths(BaseModel):
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    def with_base_dir(self, base_dir: Path):  # noqa: ANN201 - returns the subclass
        self._base_dir = Path(base_dir)
        return self

    def resolve_path(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p
