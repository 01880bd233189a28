"""`synthloom collapse simulate SETUP`: self-consuming loops on the published setups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from synthloom.cli.errors import friendly_errors
from synthloom.cli.safe_text import safe

app = typer.Typer(help="Model collapse: simulate self-consuming loops and see the signals coming.",
                  no_args_is_help=True)
console = Console(emoji=False)


@app.command("simulate")
@friendly_errors
def simulate(
    setup: Annotated[str, typer.Argument(help="linear (Gerstgrasser), gaussian or gmm (Shumailov), tabular "
                                              "(our synthesizers on a real table) or text (an n-gram model).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for collapse.json.")] = Path("collapse"),
    generations: Annotated[Optional[int], typer.Option(min=2, max=10_000)] = None,
    seeds: Annotated[Optional[int], typer.Option(min=1, max=100_000)] = None,
    mode: Annotated[Optional[list[str]], typer.Option(
        help="replace, accumulate, fresh_real, kept_real (repeat; default all).")] = None,
    real_share: Annotated[float, typer.Option(help="fresh_real / kept_real: the real share a generation.")] = 0.1,
    table: Annotated[Optional[str], typer.Option(help="tabular: randhie or fair.")] = None,
    synthesizer: Annotated[Optional[str], typer.Option(help="tabular: which synthesizer fits each generation.")] = None,
    rows: Annotated[Optional[int], typer.Option(min=10, max=1_000_000, help="rows a generation.")] = None,
) -> None:
    """Run every mode of the loop over seeds; write each metric per generation with its interval."""
    from synthloom.collapse.html import render_simulation_html
    from synthloom.collapse.loop import MODES
    from synthloom.collapse.simulation import simulate_setup
    from synthloom.config.errors import SynthloomError
    from synthloom.data.files.atomic import write_text_atomic

    import synthloom.workflows.collapse_tabular  # noqa: F401  registers the tabular setup

    options = {k: v for k, v in {"table": table, "synthesizer": synthesizer, "rows": rows}.items() if v is not None}
    try:
        report = simulate_setup(setup, generations=generations, seeds=seeds,
                                modes=tuple(mode) if mode else MODES, real_share=real_share, options=options)
    except ValueError as exc:
        raise SynthloomError(str(exc)) from None
    path = output / "collapse.json"
    write_text_atomic(path, json.dumps(report, indent=1))
    write_text_atomic(output / "collapse.html", render_simulation_html(report))
    last = report["generations"]
    for name, metrics in report["modes"].items():
        shown = ", ".join(f"{metric} {_num(values['mean'][-1])} [{_num(values['low'][-1])}, {_num(values['high'][-1])}]"
                          for metric, values in metrics.items())
        console.print(f"{safe(name)} at generation {last}: {safe(shown)}")
    console.print(f"wrote {safe(str(path))} and collapse.html")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def drift(
    real: Annotated[Path, typer.Argument(help="The real data: a CSV / Parquet / JSONL / .txt file, HF folder or run.")],
    generations: Annotated[list[Path], typer.Argument(help="Each generation made from it, oldest first.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for drift.json and drift.html.")] = Path("drift"),
    gates: Annotated[Optional[Path], typer.Option(help="YAML list of rules, e.g. 'collapse.alarm == false'.")] = None,
    embedding: Annotated[str, typer.Option(help="Text embeddings for precision and recall: auto (MiniLM when "
                                                "installed), minilm, tfidf, or none to skip them.")] = "auto",
) -> None:
    """Early-warning signals of collapse for each generation against the real data, and the alarm."""
    from synthloom.cli.evaluate_cmd import print_gates
    from synthloom.config.errors import SynthloomError
    from synthloom.evaluate.gates import load_gates
    from synthloom.workflows.gates import gate_drift

    if embedding not in ("auto", "minilm", "tfidf", "none"):
        raise SynthloomError(f"--embedding is auto, minilm, tfidf or none, not {embedding!r}")
    outcome = gate_drift(real, generations, load_gates(gates) if gates else [], output=output, embedding=embedding)
    report = outcome.report
    for i, signals in enumerate(report["signals"], start=1):
        parts = [f"{k} {signals[k]:.3f}" for k in report["plotted"] if isinstance(signals.get(k), float)]
        lost = "; ".join(f"{c} lost {', '.join(v)}" for c, v in signals["lost"].items())
        console.print(f"generation {i}: {safe(', '.join(parts) or 'no comparable column')}"
                      + (f"; {safe(lost)}" if lost else ""))
    alarm = report["alarm"]
    if alarm:
        console.print(f"[red]ALARM[/] at generation {alarm['generation']}: {safe(alarm['reason'])}")
    else:
        console.print("no alarm")
    console.print(f"wrote {safe(str(outcome.path))} and drift.html")
    print_gates(outcome, show_path=False)
