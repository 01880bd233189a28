"""`synthloom evaluate` for tables: every number, with its definition, parameters and seed.
The same inputs and seed give the same JSON."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from synthloom.evaluate.bias import representation
from synthloom.evaluate.fidelity import quality
from synthloom.evaluate.privacy import privacy
from synthloom.evaluate.tables import aligned_with_holdout

DEFINITIONS = {
    "quality": "mean of column_shapes and column_pair_trends (SDMetrics' QualityReport definition, all pairs)",
    "column_shapes": "mean per-column KS complement (numbers, datetimes) or TV complement (categories)",
    "column_pair_trends": "mean per-pair correlation similarity (two numerical columns) or contingency similarity",
    "exact_copies": "synthetic rows identical to a real row in every compared column (distance 0)",
    "exact_copy_share": "exact_copies / synthetic rows",
    "near_copy_share": "share of synthetic rows within distance 0.01 of a real row",
    "dcr_median": "median distance from a synthetic row to its closest real row (SDMetrics' mixed distance, 0..1)",
    "dcr_baseline_ratio": "median DCR of the synthetic rows / of uniformly random rows, capped at 1 (1 = as far as noise)",
    "nndr_median": "median ratio of the nearest to the second-nearest real distance",
    "dcr_holdout_share": "share of synthetic rows closer to the training rows than to the holdout (0.5 = no memorisation)",
    "min_group_ratio": "smallest synthetic/real share ratio over the sensitive groups (four-fifths rule flags < 0.8)",
    "vanished_groups": "sensitive groups present in the real data and absent from the synthetic data",
}


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities become None; tuples lists."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def evaluate_tables(real: Any, synthetic: Any, *, holdout: Any = None, sensitive: list[str] | None = None,
                    seed: int = 0, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    columns, hold = aligned_with_holdout(real, synthetic, holdout, overrides)
    fid = quality(columns)
    priv = privacy(columns, hold, seed=seed)
    bias = representation(columns, sensitive) if sensitive else {}
    summary: dict[str, Any] = {
        "quality": fid["score"],
        "column_shapes": fid["column_shapes"],
        "column_pair_trends": fid["column_pair_trends"],
        "exact_copies": priv["exact_copies"],
        "exact_copy_share": priv["exact_copy_share"],
        "near_copy_share": priv["near_copy_share"],
        "dcr_median": priv["dcr"]["median"],
        "dcr_baseline_ratio": priv["dcr_baseline_ratio"],
        "nndr_median": priv["nndr_median"],
    }
    if "dcr_holdout_share" in priv:
        summary["dcr_holdout_share"] = priv["dcr_holdout_share"]
    if bias:
        summary["min_group_ratio"] = min(b["min_ratio"] for b in bias.values())
        summary["vanished_groups"] = sum(len(b["vanished"]) for b in bias.values())
    report = {
        "kind": "table",
        "seed": seed,
        "rows": {"real": len(columns[0].real), "synthetic": len(columns[0].synthetic),
                 "holdout": len(hold[0].real) if hold else None},
        "columns": {c.name: c.kind for c in columns},
        "summary": summary,
        "definitions": {k: v for k, v in DEFINITIONS.items() if k in summary},
        "fidelity": fid,
        "privacy": priv,
        "bias": bias,
    }
    report = _clean(report)
    report["seconds"] = round(time.perf_counter() - started, 3)  # the one number that varies run to run
    return report


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    from synthloom.data.atomic import write_text_atomic

    path = Path(out_dir) / "report.json"
    stable = {k: v for k, v in report.items() if k != "seconds"}
    write_text_atomic(path, json.dumps({**stable, "seconds": report.get("seconds")}, indent=2, sort_keys=True) + "\n")
    return path
