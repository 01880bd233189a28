"""`synthloom evaluate`: a report on synthetic data against real data, and release gates."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from synthloom.cli.errors import GATES_FAILED, err_console
from synthloom.cli.safe_text import one_line, safe
from synthloom.workflows.gates import GateOutcome, gate_run, gate_tables

console = Console(emoji=False)


def print_gates(outcome: GateOutcome, *, show_path: bool = True, failed_note: str | None = None) -> None:
    """Each failed gate on stderr, then exit 4 (after `failed_note`, if any); else, when there
    were rules, that they all passed (naming the report checked, if `show_path`)."""
    for failure in outcome.failures():
        err_console.print(f"[bold red]gate failed:[/] {safe(failure)}")
    if outcome.failed:
        if failed_note:
            err_console.print(failed_note)
        raise typer.Exit(GATES_FAILED)
    if outcome.rules:
        console.print(f"[green]all {len(outcome.rules)} gates passed[/]" + (f" ({safe(outcome.path)})" if show_path else ""))


def print_metrics() -> None:
    """The metric registry: what a gate may name, which way is good, when it appears. One block
    per metric, so it reads in a narrow terminal."""
    from synthloom.evaluate.metrics import BETTER, metrics

    console.print("{set} stands for prompts, responses or a text column; {judge} for column.attribute", markup=False)
    for m in metrics():
        console.print(f"\n[bold]{m.name}[/]  {m.report_kind} report; {BETTER[m.better]}; "
                      f"{'needs ' + m.needs if m.needs else 'always given'}", highlight=False)
        console.print(f"  {m.definition}", markup=False, highlight=False)


def evaluate(
    run: Annotated[Optional[Path], typer.Argument(help="A generation run directory (text evaluation).")] = None,
    real: Annotated[Optional[Path], typer.Option("--real", help="Real (training) table: CSV, Parquet or JSONL.")] = None,
    synthetic: Annotated[Optional[Path], typer.Option("--synthetic", help="Synthetic table to judge.")] = None,
    holdout: Annotated[Optional[Path], typer.Option(help="Real rows the synthesizer never saw.")] = None,
    sensitive: Annotated[Optional[list[str]], typer.Option(help="Sensitive column; repeat for several.")] = None,
    gates: Annotated[Optional[Path], typer.Option(help="YAML list of rules, e.g. 'quality >= 0.85'.")] = None,
    target: Annotated[Optional[str], typer.Option(help="Column to predict for the utility check (needs --holdout).")] = None,
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="Folder for report.json/.html (default: report, or RUN).")
    ] = None,
    embedding: Annotated[
        str, typer.Option(help="Text embeddings: auto (MiniLM when installed), minilm or tfidf.")
    ] = "auto",
    seed: int = 0,
    list_metrics: Annotated[
        bool, typer.Option("--metrics", help="List the metrics reports give (and gates may name), then exit.")
    ] = False,
    executor: Annotated[str, typer.Option(
        "--executor", help="local, or ray: the distance and attack searches split across Ray workers, the same "
        "figures (pip install 'synthloom[ray]').")] = "local",
    address: Annotated[Optional[str], typer.Option(
        "--address", help="With --executor ray: the Ray cluster to join (default: start Ray here).")] = None,
) -> None:
    """Judge synthetic data: a table against real rows (--real, --synthetic), or a generation run
    against its seeds (RUN). Writes report.json and report.html; fails when a gate is not met."""
    from synthloom.config.errors import SynthloomError
    from synthloom.evaluate.gates import load_gates

    if list_metrics:
        print_metrics()
        return
    rules = load_gates(gates) if gates else []
    if executor not in ("local", "ray"):
        raise SynthloomError(f"--executor is local or ray, not {executor!r}")
    with contextlib.ExitStack() as stack:
        if executor == "ray":
            from synthloom.data.table_analysis.ray_search import searching_on_ray

            stack.enter_context(searching_on_ray(address))
        outcome = _evaluated(run, real, synthetic, holdout, sensitive, rules, target, output, embedding, seed)
    report, path = outcome.report, outcome.path
    rows = report["rows"]
    title = f"{rows['real']:,} real, {rows['synthetic']:,} synthetic rows" if isinstance(rows, dict) else f"{rows:,} rows"
    table = Table(title=f"evaluation ({title})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in report["summary"].items():
        table.add_row(one_line(key), f"{value:.4f}" if isinstance(value, float) else one_line(value))
    console.print(table)
    weak = ((report.get("fidelity") or {}).get("strong_pairs") or {}).get("weak") or []
    if weak:
        pairs = report["fidelity"]["pairs"]
        console.print("strong pairs the synthetic table keeps worst (below 0.9): " + "; ".join(
            f"{one_line(k)} {pairs[k]['score']:.3f}" for k in weak[:5]), markup=False, highlight=False)
    for line in flagged_leaf_lines(report):
        console.print(line, markup=False, highlight=False)
    console.print(f"report: {safe(path)} and {safe(path.with_suffix('.html'))}")
    print_gates(outcome, show_path=False)


def flagged_leaf_lines(report: dict) -> list[str]:
    """One line per taxonomy leaf a text set's figures flag, with why (leaf names come from the
    taxonomy, so they are printed as one line each)."""
    lines = []
    for name, text_set in (report.get("sets") or {}).items():
        leaves = (text_set.get("leaves") or {}).get("leaves") or {}
        for leaf in (text_set.get("leaves") or {}).get("flagged") or []:
            lines.append(f"{one_line(name)}: leaf {one_line(leaf)} is far from its siblings: "
                         + "; ".join(one_line(w) for w in leaves[leaf]["flagged"]))
    return lines


def _evaluated(run: Optional[Path], real: Optional[Path], synthetic: Optional[Path], holdout: Optional[Path],
               sensitive: Optional[list[str]], rules: list, target: Optional[str], output: Optional[Path],
               embedding: str, seed: int) -> GateOutcome:
    from synthloom.config.errors import SynthloomError

    if run is not None:
        if real or synthetic:
            raise SynthloomError("give either a run directory or --real and --synthetic, not both")
        if embedding not in ("auto", "minilm", "tfidf"):
            raise SynthloomError(f"--embedding {embedding!r} is not known: use auto, minilm or tfidf")
        return gate_run(run, rules, seed=seed, embedding=embedding, output=output)
    if real is None or synthetic is None:
        raise SynthloomError("give a run directory, or both --real and --synthetic tables")
    return gate_tables(real, synthetic, rules, output=output or Path("report"), holdout=holdout,
                       sensitive=sensitive or None, target=target, seed=seed)
