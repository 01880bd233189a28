"""Folders synthloom writes into are its own: a run, a mix or a curation output is created
with a marker file, and a folder that already holds something else is refused, so a recipe
(or a typo) cannot make synthloom overwrite or delete a user's files."""

from __future__ import annotations

from pathlib import Path

from synthloom.config.errors import SynthloomError

RUN_MARKER = ".synthloom-run"
MIX_MARKER = ".synthloom-mix"
CURATION_MARKER = ".synthloom-curation"

_WHAT = {RUN_MARKER: "run", MIX_MARKER: "mix", CURATION_MARKER: "curation output"}


def claim_folder(folder: Path, marker: str, *, legacy: tuple[str, ...] = (), create: bool = True) -> Path:
    """Create `folder` (and its marker) or accept it when it is empty or already ours; a folder
    holding anything else is refused with one sentence. `legacy`: files that show a folder made
    by a synthloom from before the markers (e.g. run.sqlite), which then gets its marker."""
    folder = Path(folder)
    what = _WHAT.get(marker, "output")
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise SynthloomError(f"{folder} is not a folder synthloom made; choose another {what} name or output_dir")
    if folder.is_dir() and not (folder / marker).is_file():
        ours = any((folder / name).exists() for name in legacy)
        if not ours and any(folder.iterdir()):
            raise SynthloomError(
                f"{folder} already holds files that synthloom did not write (no {marker} marker); choose another "
                f"{what} name or output_dir, or empty that folder"
            )
    if create:  # create=False only checks, so a step that fails later leaves nothing behind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / marker).touch()
    return folder
