"""The run directory (DESIGN.md): resolved recipe, shards, rejected rows, run.sqlite, manifest."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthloom.config.errors import SynthloomError
from synthloom.data.files.atomic import write_text_atomic
from synthloom.data.files.output_folder import RUN_MARKER, claim_folder
from synthloom.data.runs.report_stamp import remove_run_reports
from synthloom.data.runs.run_db import RunDB
from synthloom.data.files.tables import concat_tables, write_parquet_atomic

SHARD_RE = re.compile(r"^part-(\d{5,})\.parquet$")
CURATION_FILES = ("kept.jsonl", "removed.jsonl", "curation.json")  # what `synthloom curate` writes there


class RunStore:
    def __init__(self, root: Path, *, readonly: bool = False):
        """readonly: its run.sqlite is opened read-only (`RunDB`), for readers of a finished run."""
        self.root = Path(root)
        self.shards = self.root / "shards"
        self.rejected = self.root / "rejected"
        self.db_path = self.root / "run.sqlite"
        self.readonly = readonly
        self._db: RunDB | None = None

    # ---- lifecycle ----
    @classmethod
    def open(cls, root: Path, fingerprint: str, recipe_yaml: str, *, resume: bool, overwrite: bool,
             recipe_dir: Path | None = None) -> "RunStore":
        """recipe_dir: the recipe file's folder, where its relative paths (reference sets of a
        `curation:` block, seed files) keep resolving when the run is curated or exported later."""
        store = cls(root)
        claim_folder(store.root, RUN_MARKER, legacy=("run.sqlite",))  # never a folder of the user's
        existed = store.db_path.exists()
        if existed and not (resume or overwrite):
            raise SynthloomError(
                f"run directory {root} already holds a run; pass --resume to continue it "
                "or --overwrite to start again (the response cache is kept)"
            )
        store.shards.mkdir(parents=True, exist_ok=True)
        store.rejected.mkdir(parents=True, exist_ok=True)
        db = store.db
        previous = db.get_meta("fingerprint")
        if existed and overwrite:
            db.reset_results()
            store.remove_written(shards=True)  # only what the run wrote: a user's file there stays
            store.remove_curation()  # it curated the rows now gone
            remove_run_reports(store.root)  # it judged the rows now gone
        elif existed and resume and previous and previous != fingerprint:
            raise SynthloomError(
                f"run {root} was made by a different recipe (fingerprint {previous}, now {fingerprint}); "
                "resume only with the same recipe, or pass --overwrite to regenerate with the cache"
            )
        db.set_meta("fingerprint", fingerprint)
        if recipe_dir is not None:  # relative to the run too, so a project moved as a whole still resolves
            db.set_meta("recipe_dir", str(Path(recipe_dir).resolve()))
            db.set_meta("recipe_dir_from_run", os.path.relpath(Path(recipe_dir).resolve(), store.root.resolve()))
        write_text_atomic(store.root / "recipe.yaml", f"# fingerprint: {fingerprint}\n{recipe_yaml}")
        store.remove_orphans()
        return store

    @property
    def db(self) -> RunDB:
        if self._db is None:
            self._db = RunDB(self.db_path, readonly=self.readonly)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def remove_written(self, *, shards: bool) -> None:
        """Delete the shard files the run wrote (and temp files), nothing else in shards/ and rejected/."""
        for directory in (self.shards, self.rejected):
            for f in directory.iterdir():
                if f.name.endswith(".tmp") or (shards and SHARD_RE.match(f.name)):
                    f.unlink(missing_ok=True)

    def remove_curation(self) -> None:
        """Delete what `synthloom curate` wrote into curation/; the folder goes only when that empties it."""
        folder = self.root / "curation"
        if folder.is_dir() and not folder.is_symlink():
            for name in CURATION_FILES:
                (folder / name).unlink(missing_ok=True)
            try:
                folder.rmdir()
            except OSError:
                pass  # something else is in it: not ours to delete

    def remove_orphans(self) -> None:
        """Delete temp files and shards written by a batch that never committed."""
        committed = self.db.committed_batches()
        for directory in (self.shards, self.rejected):
            for f in directory.iterdir():
                m = SHARD_RE.match(f.name)
                if f.name.endswith(".tmp") or (m and int(m.group(1)) not in committed):
                    f.unlink(missing_ok=True)

    # ---- writing ----
    @staticmethod
    def shard_name(batch: int) -> str:
        return f"part-{batch:05d}.parquet"

    def write_batch_files(self, batch: int, accepted: pa.Table | None, rejected: pa.Table | None) -> tuple[str | None, str | None]:
        shard = rej = None
        if rejected is not None and rejected.num_rows:
            rej = self.shard_name(batch)
            write_parquet_atomic(rejected, self.rejected / rej)
        if accepted is not None and accepted.num_rows:
            shard = self.shard_name(batch)
            write_parquet_atomic(accepted, self.shards / shard)
        return shard, rej

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_text_atomic(self.root / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")

    # ---- reading ----
    def read_accepted(self) -> pa.Table:
        return _read_dir(self.shards)

    def read_rejected(self) -> pa.Table:
        return _read_dir(self.rejected)


def _read_dir(directory: Path) -> pa.Table:
    files = sorted(f for f in directory.glob("part-*.parquet") if SHARD_RE.match(f.name))
    return concat_tables([pq.read_table(f) for f in files])


def open_existing(root: Path, *, readonly: bool = False) -> RunStore:
    store = RunStore(root, readonly=readonly)
    if not store.db_path.exists():
        raise SynthloomError(f"{root} is not a synthloom run directory (no run.sqlite); check the path")
    return store
