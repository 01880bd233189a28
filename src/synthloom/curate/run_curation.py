"""Curate a generation run (into RUN/curation/, which `synthloom export` then uses and the
dataset card reports) or any dataset file or Hugging Face directory (into -o DIR)."""

from __future__ import annotations

from pathlib import Path

from synthloom.config.curation import CurationSpec
from synthloom.config.errors import SynthloomError
from synthloom.curate.pipeline import CurationResult, curate, write_curation
from synthloom.data.export import opened_run
from synthloom.data.tables import read_table


def is_run(path: Path) -> bool:
    return path.is_dir() and (path / "run.sqlite").exists()


def curate_run(run_dir: Path, spec: CurationSpec | None) -> tuple[CurationResult, Path]:
    with opened_run(run_dir, "curate", curated=False) as (_, recipe, rows):
        spec = spec or recipe.curation
        if spec is None:
            raise SynthloomError(f"recipe '{recipe.name}' has no `curation:` block; add one or pass --config FILE")
        result = curate(rows, spec, where=f"run {run_dir}")
    # accepted_rows lets export notice a run that grew after it was curated
    return result, write_curation(result, run_dir / "curation", {"accepted_rows": len(rows)})


def curate_dataset(path: Path, spec: CurationSpec, out_dir: Path) -> tuple[CurationResult, Path]:
    if not path.exists():
        raise SynthloomError(f"{path} does not exist; give a run directory, a CSV/Parquet/JSONL file or a "
                             "Hugging Face dataset directory")
    rows = read_table(path).to_pylist()
    result = curate(rows, spec, where=str(path))
    return result, write_curation(result, out_dir, {"source": str(path)})
