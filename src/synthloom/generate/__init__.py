"""The recipe engine: everything between a validated Recipe and a run directory. It owns the
column generators (`columns/`: one class per column kind, registered by the config class it
makes and built as `Class(config, BuildContext)`), the plan of column levels, batches as pure
functions of (recipe, batch index, seed, cache), the driver that commits them in order and
resumes, the model calls with their cache, usage and budget, and the sandbox Python validators
run in. The engine asks a generator only what `columns/base.py` declares (`ColumnGenerator`
and the `PartitionSource` / `SeedSource` capabilities); the invariants are docs/engine.md."""

from synthloom.generate.engine import RunSummary, generate_run, preview_rows, run_dir_of

__all__ = ["RunSummary", "generate_run", "preview_rows", "run_dir_of"]
