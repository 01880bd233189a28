"""A reviewed dataset written out: every row in its original order, less the rows whose latest
decision is a rejection, with the edits applied. (A run is released by `synthloom export`, which
applies its review the same way and writes the training files and the card.)"""

from __future__ import annotations

import json
from pathlib import Path

from synthloom.config.errors import SynthloomError
from synthloom.data.files.tables import rows_to_table, write_parquet_atomic
from synthloom.data.release.export import write_jsonl
from synthloom.data.review.outcome import ReviewOutcome, summarize
from synthloom.data.runs.run_reader import is_run_dir
from synthloom.review.target import open_review

FORMATS = {".jsonl": "jsonl", ".parquet": "parquet"}


def export_reviewed(target: Path, out: Path) -> tuple[int, ReviewOutcome]:
    """Write the reviewed rows of a dataset to `out` (.jsonl or .parquet); returns how many."""
    if is_run_dir(target):
        raise SynthloomError(f"{target} is a run: `synthloom export {target}` applies its review and writes "
                             "its training files and card")
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise SynthloomError(f"{out}: write the reviewed rows as {' or '.join(FORMATS)}")
    with open_review(target, import_rows=False) as store:
        state = store.state()
        rows = []
        for item, data in store.conn.execute("SELECT item, data FROM items ORDER BY item"):
            s = state.get(item)
            if s is not None and s["decision"] == "reject":
                continue
            rows.append(store.current(item) if s is not None and s["edited"] else json.loads(data))
        outcome = summarize(store)
    if fmt == "jsonl":
        write_jsonl(Path(out), rows)
    else:
        write_parquet_atomic(rows_to_table(rows), Path(out))
    return len(rows), outcome
