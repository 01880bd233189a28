"""Releasing a run: its training files and dataset card, written only when release gates pass
on a report that judged exactly the rows being released."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.gates import Gate
from synthloom.workflows.gates import GateOutcome, gate_run, gate_saved_run_report


@dataclass(frozen=True)
class Release:
    files: list[Path]  # the training files, then the dataset card
    gates: GateOutcome | None  # None when no gates were asked for


def release_run(run_dir: Path, formats: list[str], *, gates: Sequence[Gate] | None = None,
                out_dir: Path | None = None, dpo_style: str = "standard") -> Release:
    """Export a run as it is; with gates, only when its current report.json passes them (a
    missing or stale report, or a failed gate, is one sentence and writes nothing)."""
    outcome = None if gates is None else _released(gate_saved_run_report(run_dir, gates))
    return Release(_export(run_dir, formats, out_dir, dpo_style), outcome)


def evaluate_and_release(run_dir: Path, formats: list[str], *, gates: Sequence[Gate] = (),
                         out_dir: Path | None = None, dpo_style: str = "standard") -> Release:
    """Evaluate the run (its report.json and report.html), then export it if the gates pass."""
    outcome = _released(gate_run(run_dir, gates))
    return Release(_export(run_dir, formats, out_dir, dpo_style), outcome)


def _released(outcome: GateOutcome) -> GateOutcome:
    if outcome.failed:
        raise SynthloomError(f"not released: {len(outcome.failed)} gate(s) failed: {'; '.join(outcome.failures())}")
    return outcome


def _export(run_dir: Path, formats: list[str], out_dir: Path | None, dpo_style: str) -> list[Path]:
    from synthloom.data.release.export import export_run

    return export_run(run_dir, formats, out_dir=out_dir, dpo_style=dpo_style)
