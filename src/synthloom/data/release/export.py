"""`synthloom export`: a run's accepted rows as training files, with a dataset card.

    runs/<name>/export/
      sft.jsonl | dpo.jsonl   training records (the recipe's `export` block says how)
      train.parquet           the same records (or the raw rows when there is no block)
      hf/                     a Hugging Face `datasets` directory (save_to_disk)
      README.md               the dataset card
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from synthloom.config.errors import SynthloomError
from synthloom.config.recipe import Recipe
from synthloom.data.files.atomic import write_atomic, write_text_atomic
from synthloom.data.release.card import render_card
from synthloom.data.review.outcome import review_of_run
from synthloom.data.runs.run_reader import RunReader, open_run
from synthloom.data.files.tables import rows_to_table, write_parquet_atomic
from synthloom.data.release.training_records import RecordMaker

FORMATS = ("sft", "dpo", "parquet", "hf")


def _records(recipe: Recipe, rows: list[dict[str, Any]], fmt: str, dpo_style: str) -> list[dict[str, Any]]:
    spec = recipe.export
    if spec is None:
        raise SynthloomError(
            f"recipe '{recipe.name}' has no `export` block, so rows cannot become {fmt.upper()} records; "
            "add one (format, prompt, response / chosen, rejected) or export --format parquet"
        )
    if spec.format != fmt:
        raise SynthloomError(f"recipe '{recipe.name}' exports {spec.format.upper()} records, not {fmt.upper()}")
    maker = RecordMaker(spec, dpo_style)
    return [maker.make(r) for r in rows]


def run_records(run_dir: str | Path, dpo_style: str = "standard") -> list[dict[str, Any]]:
    """A run's accepted rows as the training records its recipe's `export` block describes."""
    with open_run(run_dir) as run:
        return training_records(run, dpo_style)


def training_records(run: RunReader, dpo_style: str = "standard") -> list[dict[str, Any]]:
    """The kept rows of an opened run as the training records its recipe's `export` block describes."""
    recipe = run.recipe
    rows = run.rows("use as training records")
    if recipe.export is None:
        raise SynthloomError(f"run {run.root}: its recipe has no `export` block, so it has no training records")
    return _records(recipe, rows, recipe.export.format, dpo_style)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    write_atomic(path, write)


def write_hf(path: Path, records: list[dict[str, Any]]) -> None:
    try:
        import datasets
    except ImportError:
        raise SynthloomError("the `hf` format needs the `datasets` package: pip install 'synthloom[hf]'") from None
    import shutil
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".hf-", dir=path.parent))
    try:
        datasets.Dataset.from_list(records).save_to_disk(str(tmp))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def export_run(
    run_dir: str | Path, formats: list[str], *, out_dir: Path | None = None, dpo_style: str = "standard"
) -> list[Path]:
    """Write the requested formats and the card; returns the files written."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise SynthloomError(f"unknown export format {unknown[0]!r}; use one of {', '.join(FORMATS)}")
    if dpo_style not in ("standard", "conversational"):
        raise SynthloomError("dpo style must be `standard` or `conversational`")
    with open_run(run_dir) as run:
        recipe = run.recipe
        offered = run.rows("export")
        run.current_report(offered)  # a stale report stops the export before any file is written
        # People's decisions come last: rejected rows leave, edited rows go out as edited.
        review = review_of_run(run.root, offered)
        rows = review.rows if review is not None else offered
        if review is not None:
            if not rows:
                raise SynthloomError(f"the review of run {run.root} rejected every row; nothing is left to export")
        out = out_dir or run.root / "export"
        written: list[Path] = []
        training = recipe.export.format if recipe.export else None
        records = None
        for fmt in formats:
            if fmt in ("sft", "dpo"):
                records = _records(recipe, rows, fmt, dpo_style)
                written.append(out / f"{fmt}.jsonl")
                write_jsonl(written[-1], records)
            elif fmt == "parquet":
                data = records or (_records(recipe, rows, training, dpo_style) if training else rows)
                written.append(out / "train.parquet")
                write_parquet_atomic(rows_to_table(data) if data else pa.table({}), written[-1])
            else:
                data = records or (_records(recipe, rows, training, dpo_style) if training else rows)
                written.append(out / "hf")
                write_hf(written[-1], data)
        card = render_card(recipe, run, rows=offered, files=[p.name for p in written], formats=formats,
                           dpo_style=dpo_style, review=review.to_json() if review is not None else None)
        written.append(out / "README.md")
        write_text_atomic(written[-1], card)
        return written
