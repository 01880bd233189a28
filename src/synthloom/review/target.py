"""What a review is of, and where it is kept:

- a run directory: the rows curation kept (or all accepted rows), reviewed in
  `RUN/review/review.sqlite`, which `synthloom export` then applies;
- a dataset: a JSONL, Parquet or CSV file, or a Hugging Face `save_to_disk` folder, reviewed in
  `<dataset>.review/review.sqlite` beside it.

Opening a review imports the rows it does not have yet (a run that grew adds its new rows; the
decisions already made stay)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthloom.config.errors import SynthloomError
from synthloom.data.files.tables import read_table
from synthloom.data.review.outcome import review_path
from synthloom.data.review.store import ReviewStore
from synthloom.data.runs.run_reader import RunReader, is_run_dir, open_run


def review_location(target: Path) -> Path:
    target = Path(target)
    if is_run_dir(target):
        return review_path(target)
    if not target.exists():
        raise SynthloomError(f"{target} does not exist; name a run directory or a JSONL, Parquet or CSV dataset")
    return target.parent / f"{target.name}.review" / "review.sqlite"


def _signature(target: Path) -> str:
    """Changes when the rows to review may have: the files they are read from (size, mtime)."""
    if is_run_dir(target):
        files = [target / "run.sqlite", target / "run.sqlite-wal", target / "curation" / "kept.jsonl"]
    elif target.is_dir():
        files = sorted(target.glob("*.arrow"))
    else:
        files = [target]
    return ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files if f.exists())


def _dataset_rows(target: Path) -> Iterator[dict[str, Any]]:
    for batch in read_table(target).to_batches(max_chunksize=5000):  # a chunk at a time: less memory at peak
        yield from batch.to_pylist()


def curation_flags(run: RunReader) -> dict[str, list[str]]:
    """What curation did to each row it kept ("pii: redacted"), by row id."""
    flags: dict[str, list[str]] = {}
    for row_id, step, action in run.db.conn.execute(
            "SELECT row_id, step, action FROM curation_rows WHERE action != 'removed'"):
        flags.setdefault(row_id, []).append(f"{step}: {action}")
    return flags


def open_review(target: Path, *, import_rows: bool = True) -> ReviewStore:
    """The review of `target`, created if new, with the rows it lacks imported (skipped when the
    files they come from have not changed since the last import)."""
    target = Path(target)
    path = review_location(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = ReviewStore(path)
    try:
        signature = _signature(target)
        if import_rows and store.get_meta("imported_from") != signature:
            if is_run_dir(target):
                with open_run(target) as run:
                    store.import_rows(run.rows("review"))
                    store.set_flags(curation_flags(run))
                store.set_meta("kind", "run")
            else:
                store.import_rows(_dataset_rows(target))
                store.set_meta("kind", "dataset")
            store.set_meta("target", str(target.resolve()))
            store.set_meta("imported_from", signature)
    except BaseException:
        store.close()
        raise
    return store
