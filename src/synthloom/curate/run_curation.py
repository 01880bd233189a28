"""Curate a generation run (into RUN/curation/, which `synthloom export` then uses and the
dataset card reports) or any dataset file or Hugging Face directory (into -o DIR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthloom.config.curation import CurationSpec
from synthloom.config.errors import SynthloomError
from synthloom.curate.pipeline import CurationResult, curate, write_curation
from synthloom.curate.step import Removal, RowMatch
from synthloom.data.files.output_folder import CURATION_MARKER, claim_folder
from synthloom.data.runs.report_stamp import remove_run_reports
from synthloom.data.runs.run_db import RunDB
from synthloom.data.runs.run_reader import open_run
from synthloom.data.runs.run_store import open_existing
from synthloom.data.files.tables import read_table


def curate_run(run_dir: Path, spec: CurationSpec | None) -> tuple[CurationResult, Path]:
    with open_run(run_dir) as run:
        recipe = run.recipe
        rows = run.rows("curate", curated=False)
        spec = spec or recipe.curation
        if spec is None:
            raise SynthloomError(f"recipe '{recipe.name}' has no `curation:` block; add one or pass --config FILE")
        result = curate(rows, spec, where=f"run {run_dir}")
        # accepted_rows lets export notice a run that grew after it was curated
        path = write_curation(result, run_dir / "curation", {"accepted_rows": len(rows)})
        remove_run_reports(run_dir)  # it judged the rows as they were before this curation
    store = open_existing(run_dir)  # the reader writes nothing: the record goes through the run's store
    try:
        record_in_lineage(store.db, result, rows)
    finally:
        store.close()
    return result, path


def record_in_lineage(db: RunDB, result: CurationResult, rows: list[dict[str, Any]]) -> None:
    """Counts per step and each row's fate go into run.sqlite beside how the row was made."""
    steps = [(s.name, s.kind, s.rows_in, s.removed, s.rewritten, s.seconds) for s in result.steps]

    def matched(removal: Removal) -> str | None:  # another row by its id, a reference item by file#row
        if isinstance(removal.matched, RowMatch):
            return rows[removal.matched.row].get("_row_id", str(removal.matched))
        return None if removal.matched is None else str(removal.matched)

    events = [(rows[r.row]["_row_id"], r.step, r.action, None, None) for r in result.rewrites]
    events += [(rows[pos]["_row_id"], r.step, "removed", r.reason, matched(r)) for pos, r in result.removals.items()]
    db.record_curation(steps, events)


def curate_dataset(path: Path, spec: CurationSpec, out_dir: Path) -> tuple[CurationResult, Path]:
    if not path.exists():
        raise SynthloomError(f"{path} does not exist; give a run directory, a CSV/Parquet/JSONL file or a "
                             "Hugging Face dataset directory")
    claim_folder(out_dir, CURATION_MARKER, legacy=("curation.json",), create=False)  # refused before any work
    rows = read_table(path).to_pylist()
    result = curate(rows, spec, where=str(path))
    claim_folder(out_dir, CURATION_MARKER, legacy=("curation.json",))
    return result, write_curation(result, out_dir, {"source": str(path)})


def is_shard_folder(path: Path) -> bool:
    """A folder of Parquet files (not a run, not a Hugging Face `save_to_disk` folder)."""
    return path.is_dir() and any(path.glob("*.parquet")) and not any(path.glob("*.arrow"))


def curate_shards(folder: Path, spec: CurationSpec, out_dir: Path, *, executor: str = "local",
                  address: str | None = None) -> tuple[list[Any], Path]:
    """A folder of Parquet shards into out_dir/kept/ and out_dir/removed/ (one file per shard) and
    out_dir/curation.json; on this process (`local`) or on Ray (`ray`, at `address`)."""
    from synthloom.curate.shards import ShardSet, check_spec
    from synthloom.curate.shards_write import ShardOutput

    if executor not in ("local", "ray"):
        raise SynthloomError(f"executor is local or ray, not {executor!r}")
    shards = ShardSet.of(folder)
    if executor == "ray":
        check_spec(spec)
    claim_folder(out_dir, CURATION_MARKER, legacy=("curation.json",), create=False)  # refused before any work
    claim_folder(out_dir, CURATION_MARKER, legacy=("curation.json",))
    out = ShardOutput.of(out_dir, shards.paths)
    if executor == "ray":
        from synthloom.curate.ray_curation import curate_shards_ray

        counts = curate_shards_ray(folder, spec, out, address=address)
    else:
        from synthloom.curate.shards_local import curate_shards_local

        counts = curate_shards_local(folder, spec, out)
    return counts, out.write_counts(counts, folder, executor)
