"""`synthloom evaluate` for tables: every number, with its definition, parameters and seed.
The same inputs and seed give the same JSON."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.attacks import Attacks
from synthloom.evaluate.bias import representation
from synthloom.evaluate.collapse_risk import table_collapse_risk
from synthloom.evaluate.fidelity import Column, quality
from synthloom.evaluate.metrics import definitions, table_summary
from synthloom.evaluate.statistics import correlation_matrices, detection, moments, utility
from synthloom.evaluate.privacy import privacy
from synthloom.evaluate.tables import aligned_with_holdout


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities become None; tuples lists."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def marginal_histograms(columns: list[Column]) -> dict[str, Any]:
    """What the report's overlays draw: 30 bins on the real range, or the top 20 categories."""
    out: dict[str, Any] = {}
    for c in columns:
        if c.kind == "numerical":
            r, s = c.real[~np.isnan(c.real)], c.synthetic[~np.isnan(c.synthetic)]
            if r.size == 0:
                continue
            edges = np.histogram_bin_edges(r, bins=30)
            hr = np.histogram(r, edges)[0] / max(r.size, 1)
            hs = np.histogram(np.clip(s, edges[0], edges[-1]), edges)[0] / max(s.size, 1)
            out[c.name] = {"kind": "numerical", "edges": edges.tolist(), "real": hr.tolist(), "synthetic": hs.tolist()}
        else:
            k = len(c.categories or []) + 1
            hr = np.bincount(c.real, minlength=k) / c.real.size
            hs = np.bincount(c.synthetic, minlength=k) / c.synthetic.size
            top = np.argsort(-hr, kind="stable")[:20]
            labels = [(c.categories or [])[i] if i < k - 1 else None for i in top]
            out[c.name] = {"kind": "categorical", "labels": [str(v) if v is not None else "(missing)" for v in labels],
                           "real": hr[top].tolist(), "synthetic": hs[top].tolist()}
    return out


def noise_floor(columns: list[Column], seed: int, strong: list[str] = ()) -> dict[str, float]:
    """The same scores between two random halves of the real data: what 'as good as real'
    looks like at this size, so no score is read without its floor. `strong`: the pairs strong
    in the whole real table, whose lowest score between the halves is `strong_pair_min`."""
    rng = np.random.default_rng([seed, 11])
    n = len(columns[0].real)
    order = rng.permutation(n)
    a, b = order[: n // 2], order[n // 2:]
    halves = [Column(c.name, c.kind, c.real[a], c.real[b], c.categories) for c in columns]
    q = quality(halves)
    corr = correlation_matrices(halves)
    floor = {"quality": q["score"], "column_shapes": q["column_shapes"], "column_pair_trends": q["column_pair_trends"],
             **{f"{k}_frobenius": v["frobenius_error"] for k, v in corr.items()}}
    if strong:
        floor["strong_pair_min"] = float(np.nanmin([q["pairs"][k]["score"] for k in strong]))
    return floor


def _attacks(columns: list[Column], hold: list[Column], sensitive: list[str], n_attacks: int,
             seed: int) -> dict[str, Any]:
    """Singling out; linkability between the first and second half of the columns; inference
    of each sensitive column from all the others."""
    a = Attacks(columns, hold, n_attacks, seed)
    names = [c.name for c in columns]
    out: dict[str, Any] = {"singling_out": a.singling_out()}
    if len(names) >= 2:
        half = len(names) // 2
        out["linkability"] = a.linkability(names[:half], names[half:])
    out["inference"] = {s: a.inference([n for n in names if n != s], s) for s in sensitive}
    return out


def evaluate_tables(real: Any, synthetic: Any, *, holdout: Any = None, sensitive: list[str] | None = None,
                    target: str | None = None, seed: int = 0, overrides: dict[str, Any] | None = None,
                    detect: bool = True, n_attacks: int = 1000) -> dict[str, Any]:
    started = time.perf_counter()
    columns, hold = aligned_with_holdout(real, synthetic, holdout, overrides)
    if target is not None and target not in {c.name for c in columns}:
        raise SynthloomError(f"target column '{target}' is not in the table (or is an id / free text)")
    if target is not None and hold is None:
        raise SynthloomError("the utility check needs real rows the synthesizer never saw: give --holdout with --target")
    fid = quality(columns)
    fid["marginals"] = marginal_histograms(columns)
    fid["moments"] = moments(columns, seed)
    fid["correlations"] = correlation_matrices(columns)
    if detect:
        fid["detection"] = detection(columns, seed)
    if target is not None:
        fid["utility"] = utility(columns, hold, target, seed)
    floor = noise_floor(columns, seed, [k for k, v in fid["pairs"].items() if v["strong"]])
    attacks = _attacks(columns, hold, sensitive or [], n_attacks, seed) if hold is not None else {}
    priv = privacy(columns, hold, seed=seed)
    bias = representation(columns, sensitive) if sensitive else {}
    risk = table_collapse_risk(columns, seed)
    summary = table_summary({"fidelity": fid, "privacy": priv, "attacks": attacks, "bias": bias, "floor": floor,
                             "collapse_risk": risk})
    report = {
        "kind": "table",
        "seed": seed,
        "rows": {"real": len(columns[0].real), "synthetic": len(columns[0].synthetic),
                 "holdout": len(hold[0].real) if hold else None},
        "columns": {c.name: c.kind for c in columns},
        "summary": summary,
        "definitions": definitions(summary),
        "fidelity": fid,
        "noise_floor": floor,
        "privacy": {**priv, "attacks": attacks},
        "bias": bias,
        "collapse_risk": risk,
    }
    report = _clean(report)
    report["seconds"] = round(time.perf_counter() - started, 3)  # the one number that varies run to run
    return report


def write_report(report: dict[str, Any], out_dir: Path, gates: list[dict[str, Any]] | None = None) -> Path:
    """report.json and the self-contained report.html beside it; returns the JSON's path.
    Both are made in memory first, so a report that cannot be drawn writes neither file (a
    stale report.html never sits beside a new report.json); the JSON, which gates read, goes last."""
    from synthloom.data.files.atomic import write_text_atomic
    from synthloom.evaluate.html import render_html, render_text_html

    path = Path(out_dir) / "report.json"
    stable = {k: v for k, v in report.items() if k != "seconds"}
    text = json.dumps({**stable, "seconds": report.get("seconds")}, indent=2, sort_keys=True) + "\n"
    html = render_text_html(report, gates) if report.get("kind") == "text" else render_html(report, gates)
    write_text_atomic(Path(out_dir) / "report.html", html)
    write_text_atomic(path, text)
    return path
