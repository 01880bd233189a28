"""collapse.html and drift.html: self-contained pages (plots as inline PNG) drawn from
collapse.json and drift.json alone, one plot per metric against the generation. Column names,
categories and file names come from the user's data, so the template escapes everything."""

from __future__ import annotations

from typing import Any

import jinja2

from synthloom.data.charts.png import chart_label, figure, png

MODE_COLOURS = {"replace": "#d62728", "accumulate": "#2ca02c", "fresh_real": "#1f77b4", "kept_real": "#9467bd"}
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("synthloom.collapse", "templates"), autoescape=True)


def _simulation_plot(metric: str, modes: dict[str, Any], theory: dict[str, list[float]] | None) -> str:
    fig, ax = figure(4.6, 2.8)
    for mode, metrics in modes.items():
        values = metrics.get(metric)
        if not values:
            continue
        x = list(range(1, len(values["mean"]) + 1))
        colour = MODE_COLOURS.get(mode, "#7f7f7f")
        ax.plot(x, [_nan(v) for v in values["mean"]], color=colour, label=chart_label(mode), lw=1.6)
        ax.fill_between(x, [_nan(v) for v in values["low"]], [_nan(v) for v in values["high"]], color=colour, alpha=0.15)
    for mode, curve in (theory or {}).items():
        if metric == "error":
            ax.plot(range(1, len(curve) + 1), curve, color=MODE_COLOURS.get(mode, "#7f7f7f"), ls="--", lw=1,
                    label=f"{chart_label(mode)} (theory)")
    ax.set_xlabel("generation", fontsize=8)
    ax.set_title(chart_label(metric), fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6)
    return png(fig)


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


def render_simulation_html(report: dict[str, Any]) -> str:
    # a metric no seed could measure in any mode (categories of a table without any) is left out
    metrics = sorted({m for mode in report["modes"].values() for m, v in mode.items()
                      if any(x is not None for x in v["mean"])})
    plots = [(m, _simulation_plot(m, report["modes"], report.get("theory"))) for m in metrics]
    return _ENV.get_template("collapse.html.jinja").render(report=report, plots=plots)


def _drift_plot(signal: str, values: list[float | None], alarm: int | None,
                intervals: list[list[float] | None] | None = None) -> str:
    fig, ax = figure(4.2, 2.5)
    x = list(range(1, len(values) + 1))
    ax.plot(x, [_nan(v) for v in values], marker="o", ms=3, color="#1f77b4")
    if intervals and any(i is not None for i in intervals):
        ax.fill_between(x, [i[0] if i else float("nan") for i in intervals],
                        [i[1] if i else float("nan") for i in intervals], color="#1f77b4", alpha=0.15)
    if alarm is not None:
        ax.axvline(alarm, color="#d62728", ls="--", lw=1, label=f"alarm (generation {alarm})")
        ax.legend(fontsize=6)
    ax.set_xlabel("generation", fontsize=8)
    ax.set_title(chart_label(signal), fontsize=9)
    ax.tick_params(labelsize=7)
    return png(fig)


def render_drift_html(report: dict[str, Any], gates: list[dict[str, Any]] | None = None) -> str:
    alarm = report.get("alarm")
    at = alarm["generation"] if alarm else None
    signals = report["signals"]
    plots = []
    for name in report["plotted"]:
        values = [s.get(name) for s in signals]
        if any(v is not None for v in values):
            intervals = [(s.get("intervals") or {}).get(name) for s in signals]
            plots.append((name, _drift_plot(name, values, at, intervals)))
    return _ENV.get_template("drift.html.jinja").render(report=report, plots=plots, gates=gates or [])
