"""`synthloom curate`: a run or a dataset through its curation steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from rich.console import Console

from synthloom.cli.safe_text import one_line, safe

console = Console(emoji=False)


def curate(
    source: Annotated[Path, typer.Argument(
        help="A run directory, a CSV / Parquet / JSONL file or HF dataset dir, or a folder of Parquet shards.")],
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="Curation YAML (or a recipe with a `curation:` block).")
    ] = None,
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="Folder for a dataset's results (default: curated).")
    ] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="local, or ray (a folder of Parquet shards on Ray Data; pip install 'synthloom[ray]').")
    ] = "local",
    address: Annotated[Optional[str], typer.Option(
        "--address", help="With --executor ray: the Ray cluster to join (default: start Ray here).")] = None,
) -> None:
    """Remove duplicates, benchmark contamination, PII and low-quality rows; every removed row is
    kept with its reason, and the counts per step go to curation.json (and a run's dataset card)."""
    from synthloom.config.errors import SynthloomError
    from synthloom.config.loader import load_curation
    from synthloom.curate.run_curation import curate_dataset, curate_run, curate_shards, is_shard_folder
    from synthloom.data.runs.run_reader import is_run_dir

    spec = load_curation(config) if config else None
    if is_shard_folder(source) and not is_run_dir(source):
        if spec is None:
            raise SynthloomError("a folder of shards needs --config FILE with the curation steps")
        counts, path = curate_shards(source, spec, output or Path("curated"), executor=executor, address=address)
        _print_counts(source, counts)
        kept = counts[-1].rows_in - counts[-1].removed
        console.print(f"kept {kept:,} of {counts[0].rows_in:,} rows; results in {safe(path.parent)} "
                      "(kept/ and removed/ with reasons, one Parquet file per input shard; curation.json)")
        return
    if executor != "local":
        raise SynthloomError("--executor ray curates a folder of Parquet shards; give such a folder")
    if is_run_dir(source):
        result, path = curate_run(source, spec)
    else:
        if spec is None:
            raise SynthloomError("a dataset needs --config FILE with the curation steps")
        result, path = curate_dataset(source, spec, output or Path("curated"))
    _print_counts(source, result.steps)
    console.print(f"kept {len(result.kept):,} of {len(result.kept) + len(result.removed):,} rows; "
                  f"results in {safe(path.parent)} (kept.jsonl, removed.jsonl with reasons, curation.json)")


def _print_counts(source: Path, steps: list) -> None:
    table = Table(title=f"curation of {safe(source)}")
    for col in ("step", "kind", "rows in", "removed", "rewritten", "seconds"):
        table.add_column(col, justify="left" if col in ("step", "kind") else "right")
    for s in steps:
        table.add_row(one_line(s.name), one_line(s.kind), f"{s.rows_in:,}", f"{s.removed:,}", f"{s.rewritten:,}", f"{s.seconds:.2f}")
    console.print(table)
