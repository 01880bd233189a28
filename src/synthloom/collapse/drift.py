"""`synthloom drift REAL GEN1 GEN2 ...`: each generation of a dataset against the real one it
descends from, and whether the series is collapsing (alarm.py): CSV, Parquet, JSONL files or HF
folders, runs (the rows curation kept), or plain text files (.txt, one text per line, read as a
column `text`). Numeric, categorical and text columns each give their signals (signals.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from synthloom.collapse.alarm import first_alarm
from synthloom.collapse.signals import generation_signals
from synthloom.data.files.tables import read_table
from synthloom.data.runs.run_reader import is_run_dir, open_run


def _frame(path: Path) -> pd.DataFrame:
    if path.suffix == ".txt" and path.is_file():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return pd.DataFrame({"text": [line for line in lines if line.strip()]})
    if is_run_dir(path):
        with open_run(path) as run:
            return pd.DataFrame(run.rows("measure drift on", curated=True))
    return read_table(path).to_pandas()


def drift_report(real: Path, generations: list[Path]) -> dict[str, Any]:
    reference = _frame(real)
    series = [generation_signals(reference, _frame(g)) for g in generations]
    alarm = first_alarm(series)
    return {"real": str(real), "generations": [str(g) for g in generations],
            "signals": [s.to_json() for s in series],
            "alarm": None if alarm is None else {"generation": alarm.generation, "reason": alarm.reason}}
