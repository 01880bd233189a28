"""What a review is of, and where it is kept:

- a run directory: the rows curation kept (or all accepted rows), reviewed in
  `RUN/review/review.sqlite`, which `synthloom export` then applies;
- a dataset: a JSONL, Parquet or CSV file, or a Hugging Face `save_to_disk` folder, reviewed in
  `<dataset>.review/review.sqlite` beside it.

Opening a review imports the rows it does not have yet (a run that grew adds its new rows; the
decisions already made stay)."""

from __future__ import annotations

from pathlib import Path

from synthloom.config.errors import SynthloomError
from synthloom.data.files.tables import read_table
from synthloom.data.review.outcome import review_path
from synthloom.data.review.store import ReviewStore
from synthloom.data.runs.run_reader import is_run_dir, open_run


def review_location(target: Path) -> Path:
    target = Path(target)
    if is_run_dir(target):
        return review_path(target)
    if not target.exists():
        raise SynthloomError(f"{target} does not exist; name a run directory or a JSONL, Parquet or CSV dataset")
    return target.parent / f"{target.name}.review" / "review.sqlite"


def open_review(target: Path, *, import_rows: bool = True) -> ReviewStore:
    """The review of `target`, created if new, with the rows it lacks imported."""
    target = Path(target)
    path = review_location(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = ReviewStore(path)
    try:
        if import_rows:
            if is_run_dir(target):
                with open_run(target) as run:
                    store.import_rows(run.rows("review"))
                store.set_meta("kind", "run")
            else:
                store.import_rows(read_table(target).to_pylist())
                store.set_meta("kind", "dataset")
            store.set_meta("target", str(target.resolve()))
    except BaseException:
        store.close()
        raise
    return store
