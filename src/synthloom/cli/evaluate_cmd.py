"""`synthloom evaluate`: a report on synthetic data against real data, and release gates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from synthloom.cli.errors import err_console

console = Console()
GATES_FAILED = 4


def evaluate(
    real: Annotated[Path, typer.Option("--real", help="Real (training) table: CSV, Parquet or JSONL.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="Synthetic table to judge.")],
    holdout: Annotated[Optional[Path], typer.Option(help="Real rows the synthesizer never saw.")] = None,
    sensitive: Annotated[Optional[list[str]], typer.Option(help="Sensitive column; repeat for several.")] = None,
    gates: Annotated[Optional[Path], typer.Option(help="YAML list of rules, e.g. 'quality >= 0.85'.")] = None,
    target: Annotated[Optional[str], typer.Option(help="Column to predict for the utility check (needs --holdout).")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for report.json.")] = Path("report"),
    seed: int = 0,
) -> None:
    """Fidelity, privacy and representation of a synthetic table; fails when a gate is not met."""
    from synthloom.evaluate.gates import check_gates, load_gates
    from synthloom.evaluate.report import evaluate_tables, write_report

    rules = load_gates(gates) if gates else []
    report = evaluate_tables(real, synthetic, holdout=holdout, sensitive=sensitive or None, target=target, seed=seed)
    failed = check_gates(rules, report["summary"])
    failed_rules = {str(g) for g, _ in failed}
    gate_rows = [{"rule": str(g), "value": report["summary"].get(g.metric), "passed": str(g) not in failed_rules}
                 for g in rules]
    path = write_report(report, output, gate_rows)
    table = Table(title=f"evaluation ({report['rows']['real']:,} real, {report['rows']['synthetic']:,} synthetic rows)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in report["summary"].items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    console.print(f"report: {path} and {path.with_suffix('.html')}")
    for gate, value in failed:
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        err_console.print(f"[bold red]gate failed:[/] {gate} (got {shown})")
    if failed:
        raise typer.Exit(GATES_FAILED)
    if rules:
        console.print(f"[green]all {len(rules)} gates passed[/]")
