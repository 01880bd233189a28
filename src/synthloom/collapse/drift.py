"""`synthloom drift REAL GEN1 GEN2 ...`: each generation of a dataset against the real one it
descends from, and whether the series is collapsing (alarm.py): CSV, Parquet, JSONL files or HF
folders, runs (the rows curation kept), or plain text files (.txt, one text per line, read as a
column `text`). Numeric, categorical and text columns each give their signals (signals.py)."""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pandas as pd

from synthloom.collapse.alarm import first_alarm
from synthloom.collapse.manifold import TableFeatures, precision_recall, text_features
from synthloom.collapse.signals import SUMMARY_TEXT, ColumnKinds, column_kinds, generation_signals
from synthloom.data.files.atomic import write_text_atomic
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


# what each generation's plot shows, and the last generation's value of each in the summary
PLOTTED = ("log_variance_ratio", "tail_mass_ratio", "support_coverage", *SUMMARY_TEXT, "precision", "recall",
           "coverage")


def _features(reference: pd.DataFrame, kinds: ColumnKinds, embedding: str) -> Callable[[pd.DataFrame], Any] | None:
    """Rows to points for precision and recall: text embeddings when the data has text columns
    (their values joined per row), else the table's numbers and categories; None for "none"."""
    if embedding == "none":
        return None
    if kinds.text:
        def joined(frame: pd.DataFrame) -> list[str]:
            present = [c for c in kinds.text if c in frame.columns]
            return frame[present].fillna("").astype(str).agg("\n".join, axis=1).tolist() if present else []

        encode = text_features(joined(reference), embedding)
        return lambda frame: encode(joined(frame))
    if kinds.numeric or kinds.categorical:
        return TableFeatures(reference, kinds.numeric, kinds.categorical)
    return None


def drift_report(real: Path, generations: list[Path], embedding: str = "auto") -> dict[str, Any]:
    """`embedding`: for precision and recall of text (auto, minilm or tfidf), or none to skip them."""
    reference = _frame(real)
    kinds = column_kinds(reference)
    frames = [_frame(g) for g in generations]
    series = [generation_signals(reference, f, kinds) for f in frames]
    alarm = first_alarm(series)
    signals = [s.to_json() for s in series]
    features = _features(reference, kinds, embedding)
    if features is not None:
        real_points = features(reference)
        for signal, frame in zip(signals, frames):
            signal.update(precision_recall(real_points, features(frame)) or {})
    summary: dict[str, Any] = {"collapse.alarm": alarm is not None,
                               "collapse.alarm_generation": None if alarm is None else alarm.generation,
                               "collapse.categories_lost": sum(len(v) for v in series[-1].lost.values())}
    summary.update({f"collapse.{name}": signals[-1].get(name) for name in PLOTTED})
    return {"real": str(real), "generations": [str(g) for g in generations], "summary": summary,
            "plotted": list(PLOTTED), "signals": signals,
            "alarm": None if alarm is None else {"generation": alarm.generation, "reason": alarm.reason}}


def write_drift(report: dict[str, Any], out_dir: Path, gates: list[dict[str, Any]] | None = None) -> Path:
    """drift.json and drift.html (with a row per gate, if any) into `out_dir`; returns the JSON's path."""
    from synthloom.collapse.html import render_drift_html

    path = out_dir / "drift.json"
    write_text_atomic(path, json.dumps(report, indent=1))
    write_text_atomic(out_dir / "drift.html", render_drift_html(report, gates))
    return path
