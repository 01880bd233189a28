"""Relative paths in a YAML file start at that file's folder."""

from __future__ import annotations

from pathlib import Path

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, PrivateAttr

_FOLDER_NAME = re.compile(r"^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


def _folder_name(name: str) -> str:
    if len(name) > 200 or not _FOLDER_NAME.match(name):
        raise ValueError(
            f"{name[:40]!r} cannot name a folder: use up to 200 letters, digits, `_`, `.` and `-`, not only dots "
            "(`.` and `..` would be the output folder itself or its parent)"
        )
    return name


# A name that becomes a folder under output_dir (a run, a mix, a phase).
FolderName = Annotated[str, AfterValidator(_folder_name)]


class RelativePaths(BaseModel):
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    def with_base_dir(self, base_dir: Path):  # noqa: ANN201 - returns the subclass
        self._base_dir = Path(base_dir)
        return self

    def resolve_path(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p
