"""The recipe engine: column generators, batches, the driver with resume."""

from synthloom.generate.engine import RunSummary, generate_run, preview_rows, run_dir_of

__all__ = ["RunSummary", "generate_run", "preview_rows", "run_dir_of"]
