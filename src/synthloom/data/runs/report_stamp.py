"""Which rows an evaluation report judged, so release gates and the dataset card never trust
a stale one.

A run's text report carries a stamp: the run's recipe fingerprint and a hash of the rows it
judged (the rows curation kept, once a run is curated). A report in the run's folder counts
only while its stamp matches the run as it is now; regenerating (--overwrite) and curating
remove it, and anything else that changes the rows (a resume that added some, a hand-edited
kept.jsonl, a report copied from elsewhere) makes it refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthloom.config.errors import SynthloomError

if TYPE_CHECKING:  # a run being written, or one opened for reading: each has a root and a RunDB
    from synthloom.data.runs.run_reader import RunReader
    from synthloom.data.runs.run_store import RunStore

    Run = RunStore | RunReader

REPORT_FILES = ("report.json", "report.html")


def rows_sha256(rows: list[dict[str, Any]]) -> str:
    """Order-sensitive hash of the rows' content (keys sorted, so column order does not matter)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def run_stamp(store: Run, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"fingerprint": store.db.get_meta("fingerprint"), "rows": len(rows), "rows_sha256": rows_sha256(rows)}


def remove_run_reports(run_root: Path) -> None:
    """The run's report judged rows that are about to change; a new one must be made."""
    for name in REPORT_FILES:
        (Path(run_root) / name).unlink(missing_ok=True)


def current_report(store: Run, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run's report.json when it judged exactly these rows of this run, None when there is
    none; one sentence when it judged something else."""
    path = store.root / "report.json"
    if not path.exists():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise SynthloomError(f"{path} is not valid JSON; run `synthloom evaluate {store.root}` again") from None
    stamp = report.get("judged") if isinstance(report, dict) else None
    now = run_stamp(store, rows)
    again = f"run `synthloom evaluate {store.root}` again"
    if not isinstance(stamp, dict):
        raise SynthloomError(f"{path} does not say which rows it judged (it was not written by "
                             f"`synthloom evaluate` of this run), so it is not trusted; {again}")
    if stamp.get("fingerprint") != now["fingerprint"]:
        raise SynthloomError(f"{path} judged a run of another recipe (fingerprint {stamp.get('fingerprint')}, "
                             f"the run's is {now['fingerprint']}), so it is not trusted; {again}")
    if stamp.get("rows_sha256") != now["rows_sha256"]:
        raise SynthloomError(f"{path} judged other rows than run {store.root} holds now ({stamp.get('rows')} rows "
                             f"then, {now['rows']} now: regenerated, resumed or curated since), so it is not "
                             f"trusted; {again}")
    return report
