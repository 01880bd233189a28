"""report.html: a self-contained page (plots as inline PNG) drawn from report.json alone.
Column names and categories come from the data, so the template escapes everything."""

from __future__ import annotations

import math
from typing import Any

import jinja2
import numpy as np

from synthloom.data.charts.png import chart_label, figure, png

REAL, SYNTH = "#1f77b4", "#ff7f0e"
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("synthloom.evaluate", "templates"), autoescape=True)


def _marginal(name: str, m: dict[str, Any], score: float | None) -> str:
    fig, ax = figure()
    if m["kind"] == "numerical":
        edges = np.asarray(m["edges"])
        width = np.diff(edges)
        ax.bar(edges[:-1], m["real"], width=width, align="edge", alpha=0.55, color=REAL, label="real")
        ax.bar(edges[:-1], m["synthetic"], width=width, align="edge", alpha=0.55, color=SYNTH, label="synthetic")
    else:
        x = np.arange(len(m["labels"]))
        ax.bar(x - 0.2, m["real"], width=0.4, color=REAL, label="real")
        ax.bar(x + 0.2, m["synthetic"], width=0.4, color=SYNTH, label="synthetic")
        ax.set_xticks(x, [chart_label(v, 12) for v in m["labels"]], rotation=45, ha="right", fontsize=7)
    title = chart_label(name) if score is None else f"{chart_label(name)}  ({score:.3f})"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return png(fig)


def _heatmap(assoc: dict[str, Any]) -> str:
    diff = np.asarray(assoc["real"]) - np.asarray(assoc["synthetic"])
    n = len(assoc["columns"])
    fig, ax = figure(0.45 * n + 2, 0.45 * n + 1.5)
    im = ax.imshow(diff, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n), [chart_label(c, 14) for c in assoc["columns"]], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n), [chart_label(c, 14) for c in assoc["columns"]], fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return png(fig)


def _dcr(privacy: dict[str, Any]) -> str:
    fig, ax = figure(6, 2.8)
    edges = np.linspace(0, 1, 21)
    train = np.asarray(privacy["dcr"]["histogram"], dtype=float)
    ax.bar(edges[:-1], train / max(train.sum(), 1), width=0.05, align="edge", alpha=0.6, color=SYNTH,
           label="synthetic -> training rows")
    if "dcr_holdout" in privacy:
        hold = np.asarray(privacy["dcr_holdout"]["histogram"], dtype=float)
        ax.bar(edges[:-1], hold / max(hold.sum(), 1), width=0.05, align="edge", alpha=0.6, color=REAL,
               label="synthetic -> holdout rows")
    ax.set_xlabel("distance to the closest record", fontsize=8)
    ax.legend(fontsize=7)
    return png(fig)


def _groups(name: str, g: dict[str, Any]) -> str:
    labels = list(g["groups"])[:20]
    fig, ax = figure()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, [g["groups"][k]["real_share"] for k in labels], width=0.4, color=REAL, label="real")
    ax.bar(x + 0.2, [g["groups"][k]["synthetic_share"] for k in labels], width=0.4, color=SYNTH, label="synthetic")
    ax.set_xticks(x, [chart_label(k, 14) for k in labels], rotation=45, ha="right", fontsize=7)
    title = f"{chart_label(name)}  (min ratio {g['min_ratio']:.2f})" if g["min_ratio"] is not None else chart_label(name)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return png(fig)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.4f}"
    return "n/a" if v is None else str(v)


def _by_association(pair: tuple[str, dict[str, Any]]) -> tuple[bool, float]:
    association = pair[1].get("association")  # None in report.json where it was NaN
    return association is None, -(association or 0.0)


def render_html(report: dict[str, Any], gates: list[dict[str, Any]] | None = None) -> str:
    fid = report["fidelity"]
    shapes = fid.get("shapes", {})
    marginals = [(n, _marginal(n, m, (shapes.get(n) or {}).get("score"))) for n, m in fid.get("marginals", {}).items()]
    assoc = fid.get("correlations", {}).get("association")
    return _ENV.get_template("report.html.jinja").render(
        report=report,
        gates=gates or [],
        marginals=marginals,
        heatmap=_heatmap(assoc) if assoc and len(assoc["columns"]) > 1 else None,
        dcr=_dcr(report["privacy"]),
        groups=[(n, _groups(n, g)) for n, g in report.get("bias", {}).items()],
        pairs=sorted(fid.get("pairs", {}).items(), key=_by_association),
        strong_pairs=sorted(((k, v) for k, v in fid.get("pairs", {}).items() if v.get("strong")), key=_by_association),
        fmt=_fmt,
    )


def _diversity_plot(report: dict[str, Any]) -> str:
    fig, ax = figure(6, 2.8)
    names = list(report["sets"])
    metrics = ["distinct_1", "distinct_2", "distinct_3"]
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        d = report["sets"][name]["diversity"]
        values = [d.get(m) or 0 for m in metrics]
        lows = [v - (d.get(f"{m}_ci") or [v, v])[0] for m, v in zip(metrics, values)]
        highs = [(d.get(f"{m}_ci") or [v, v])[1] - v for m, v in zip(metrics, values)]
        x = np.arange(len(metrics)) + i * width
        ax.bar(x, values, width=width, label=chart_label(name), yerr=[lows, highs], capsize=3)
    ax.set_xticks(np.arange(len(metrics)) + width * (len(names) - 1) / 2, metrics, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    return png(fig)


def _leaf_rows(leaves: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """A text set's leaves for its table: the flagged first, then the least varied."""
    return sorted(leaves.items(), key=lambda kv: (not kv[1].get("flagged"), kv[1]["distinct_2"], kv[0]))


def render_text_html(report: dict[str, Any], gates: list[dict[str, Any]] | None = None) -> str:
    return _ENV.get_template("text_report.html.jinja").render(
        report=report, gates=gates or [], diversity=_diversity_plot(report), fmt=_fmt, leaf_rows=_leaf_rows)
