"""Release gates on a report: the one place that evaluates (or reads) a report, checks the
rules against its summary and says which failed. The caller prints the outcome and picks the
exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.gates import Gate, apply_gates, check_gates, check_report_kind, describe


@dataclass(frozen=True)
class GateOutcome:
    """The rules, the ones that failed (each with the value it saw), and the report checked."""

    rules: list[Gate]
    failed: list[tuple[Gate, Any]]
    report: dict[str, Any]
    path: Path  # the report.json the rules were checked against

    @property
    def passed(self) -> bool:
        return not self.failed

    def failures(self) -> list[str]:
        return [describe(gate, value) for gate, value in self.failed]


def gate_report(report: dict[str, Any], rules: Sequence[Gate], output: Path) -> GateOutcome:
    """Check a fresh report against the rules and write it (report.json and report.html, with a
    row per gate) into `output`."""
    from synthloom.evaluate.report import write_report

    failed, rows = apply_gates(list(rules), report["summary"])
    return GateOutcome(list(rules), failed, report, write_report(report, output, rows))


def gate_run(run_dir: Path, rules: Sequence[Gate] = (), *, seed: int = 0, embedding: Any = "auto",
             output: Path | None = None) -> GateOutcome:
    """Evaluate a generation run against its seeds, check the rules and write the report
    (into the run directory unless `output` says otherwise)."""
    from synthloom.evaluate.text_run import evaluate_run

    check_report_kind(list(rules), "text")  # before the (slow) evaluation
    report = evaluate_run(run_dir, seed=seed, embedding=embedding)
    return gate_report(report, rules, output or Path(run_dir))


def gate_tables(real: Any, synthetic: Any, rules: Sequence[Gate] = (), *, output: Path, **options: Any) -> GateOutcome:
    """Evaluate a synthetic table against real rows (`options`: holdout, sensitive, target,
    seed, as `evaluate_tables` takes them), check the rules and write the report into `output`."""
    from synthloom.evaluate.report import evaluate_tables

    check_report_kind(list(rules), "table")  # before the (slow) evaluation
    return gate_report(evaluate_tables(real, synthetic, **options), rules, output)


def gate_drift(real: Path, generations: list[Path], rules: Sequence[Gate] = (), *, output: Path,
               embedding: str = "auto") -> GateOutcome:
    """The drift of each generation against the real data (collapse/drift.py), checked against
    the rules (`collapse.alarm == false`) and written as drift.json and drift.html into `output`."""
    from synthloom.collapse.drift import drift_report, write_drift

    check_report_kind(list(rules), "drift")  # before reading every generation
    report = drift_report(real, generations, embedding)
    failed, rows = apply_gates(list(rules), report["summary"])
    return GateOutcome(list(rules), failed, report, write_drift(report, output, rows))


def gate_saved_run_report(run_dir: Path, rules: Sequence[Gate]) -> GateOutcome:
    """Check the rules against the run's own report.json, which must exist and have judged
    exactly the rows the run holds now (a stale one is one sentence)."""
    from synthloom.data.runs.run_reader import open_run

    from synthloom.data.review.outcome import review_of_run

    check_report_kind(list(rules), "text")
    path = Path(run_dir) / "report.json"
    with open_run(run_dir) as run:
        run.recipe  # noqa: B018 - a run without its recipe is named before its report
        rows = run.rows("export")
        report = run.current_report(rows)  # a report of other rows than these is refused
    if report is None:
        raise SynthloomError(f"{path} does not exist; run `synthloom evaluate` with -o {path.parent} first")
    # People review after the report is made: their figures (review.*) are read beside it.
    review = review_of_run(Path(run_dir), rows)
    summary = {**report.get("summary", {}), **(review.summary() if review is not None else {})}
    return GateOutcome(list(rules), check_gates(list(rules), summary), report, path)
