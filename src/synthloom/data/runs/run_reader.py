"""The one way to open a finished run for reading: what export, evaluate, curate, mix and the
dataset card (and, next, human review) ask of a run, read from its folder and never written.

    with open_run("runs/demo") as run:
        rows = run.rows("export")          # the rows curation kept; one sentence when none
        run.recipe, run.manifest, run.curation, run.lineage(rows[0]["_row_id"])

Every part is read the first time it is asked for and then kept, so opening a run costs a
file check and each caller pays only for what it reads. Nothing in the run's folder changes:
run.sqlite is opened read-only (`run_db.read_only_connection`), and a run.sqlite from an older
synthloom reads as if it had today's tables. A finished run is read as it is when its parts
are first asked for; a run still being generated or curated meanwhile is not its business.

The surface:
    root                 the run's folder, as given
    recipe               the resolved recipe (its relative paths from the recipe file's folder)
    manifest             manifest.json as a dict ({} when the run wrote none)
    fingerprint          the recipe fingerprint the run was made with
    all_rows             the accepted rows before curation, in batch order
    rejected_rows        the rejected rows, with `_column` and `_reason`
    curation             curation/curation.json (counts per step), None when not curated
    kept_rows            the rows curation kept (all_rows when not curated)
    rows(purpose)        kept_rows, or one sentence when there are none to `purpose`
    lineage(row_id)      how a row was made and what curation did to it
    accepted_lineage()   the lineage of every accepted row, by row id
    stamp(rows)          the report stamp (fingerprint, count and hash of the judged rows)
    current_report(rows) report.json when it judged exactly these rows (report_stamp.py)
    db                   the read-only RunDB: usage, batches, rejections, curation steps
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

from synthloom.config.errors import SynthloomError
from synthloom.config.loader import parse_recipe
from synthloom.config.recipe import Recipe
from synthloom.data.runs.report_stamp import current_report, run_stamp
from synthloom.data.runs.run_db import RunDB
from synthloom.data.runs.run_store import open_existing

Row = dict[str, Any]


def is_run_dir(path: Path) -> bool:
    """Whether `path` holds a synthloom run (rather than a dataset file or folder)."""
    return path.is_dir() and (path / "run.sqlite").exists()


def read_jsonl(path: Path) -> list[Row]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def open_run(run_dir: str | Path) -> RunReader:
    """The run in `run_dir`, for reading; one sentence when it is not a run."""
    return RunReader(run_dir)


class RunReader:
    """A finished run, read lazily and never written; `close()` it, or use it in `with`."""

    def __init__(self, run_dir: str | Path):
        self._store = open_existing(Path(run_dir), readonly=True)  # one sentence when it is not a run
        self.root = self._store.root

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._store.close()

    @property
    def db(self) -> RunDB:
        return self._store.db

    # ---- what made the run ----
    @cached_property
    def recipe(self) -> Recipe:
        path = self.root / "recipe.yaml"
        if not path.exists():
            raise SynthloomError(f"{self.root} has no recipe.yaml; it is not a complete synthloom run")
        return parse_recipe(path.read_text(encoding="utf-8"), source=str(path), base_dir=self.recipe_dir)

    @cached_property
    def recipe_dir(self) -> Path | None:
        """Where the recipe file was, so its relative paths keep working: found from the run's own
        folder first (the project may have moved), else the absolute path it had."""
        relative, absolute = self.db.get_meta("recipe_dir_from_run"), self.db.get_meta("recipe_dir")
        if relative is not None and (self.root / relative).is_dir():
            return (self.root / relative).resolve()
        return Path(absolute) if absolute else None

    @cached_property
    def fingerprint(self) -> str | None:
        return self.db.get_meta("fingerprint")

    @cached_property
    def manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        return json.loads(path.read_text()) if path.exists() else {}

    # ---- rows ----
    @cached_property
    def all_rows(self) -> list[Row]:
        return self._store.read_accepted().to_pylist()

    @cached_property
    def rejected_rows(self) -> list[Row]:
        return self._store.read_rejected().to_pylist()

    @cached_property
    def curation(self) -> dict[str, Any] | None:
        path = self.root / "curation" / "curation.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    @cached_property
    def kept_rows(self) -> list[Row]:
        """The rows curation kept, once the run is curated; one sentence when the run has grown
        since (its curation judged other rows)."""
        if self.curation is None:
            return self.all_rows
        if self.curation.get("accepted_rows") != len(self.all_rows):
            raise SynthloomError(
                f"run {self.root} has {len(self.all_rows)} accepted rows but was curated when it had "
                f"{self.curation.get('accepted_rows')}; run `synthloom curate {self.root}` again")
        return read_jsonl(self.root / "curation" / "kept.jsonl")

    def rows(self, purpose: str, *, curated: bool = True) -> list[Row]:
        """The rows to `purpose` (a verb: "export", "evaluate"): those curation kept, or with
        curated=False all accepted rows; one sentence when there are none."""
        if not self.all_rows:
            raise SynthloomError(f"run {self.root} has no accepted rows to {purpose}")
        if not curated or self.curation is None:
            return self.all_rows
        if not self.kept_rows:
            raise SynthloomError(f"curation removed every row of run {self.root}; nothing is left to {purpose}")
        return self.kept_rows

    # ---- lineage ----
    def lineage(self, row_id: str) -> dict[str, Any] | None:
        return self.db.lineage_of(row_id)

    def accepted_lineage(self) -> list[dict[str, Any]]:
        return self.db.accepted_lineage()

    # ---- the report stamp ----
    def stamp(self, rows: list[Row] | None = None) -> dict[str, Any]:
        """Which rows a report of `rows` (default: the kept rows) judged."""
        return run_stamp(self, self.kept_rows if rows is None else rows)

    def current_report(self, rows: list[Row] | None = None) -> dict[str, Any] | None:
        return current_report(self, self.kept_rows if rows is None else rows)
