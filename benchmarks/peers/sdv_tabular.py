"""The peer side of benchmarks/tabular_vs_sdv.py: SDV 2.0.0 synthesizers and the SDMetrics
QualityReport for every synthetic table (SDV's and synthloom's), in SDV's own venv.

Runs under benchmarks/.venv-sdv/bin/python, started by benchmarks/tabular_vs_sdv.py:

    sdv_tabular.py --name NAME --real REAL.parquet --out-dir DIR [--ours LABEL=PATH ...]
                   [--ctgan-epochs N] [--seed 0] [--score-only]

1. Loads the real table from Parquet (`load`, below) and builds SDV metadata by detection:
   `Metadata.detect_from_dataframes({NAME: real}, infer_keys="primary_only")`. (SDV 2.0.0 made
   the single-frame `Metadata.detect_from_dataframe` private; the dict form is its public
   equivalent.) Detection is timed separately and is NOT in SDV's fit+sample time.
2. Times `GaussianCopulaSynthesizer(metadata)` (default settings) fit({NAME: real}) +
   sample(len(real)) (SDV 2.0 takes and returns {table name: frame} even for one table),
   and, with --ctgan-epochs N > 0, `CTGANSynthesizer(metadata, epochs=N)` the same way.
   Each synthetic table is written to DIR/sdv_<model>.parquet as SDV returned it.
3. Scores SDV's and each synthloom table (--ours LABEL=PATH, written by the caller) with
   `sdmetrics.reports.single_table.QualityReport`, always against the same real frame and
   the same metadata dict (the detected table's dict). Every synthetic table goes through the
   same `load` + `conform` as the others, so SDMetrics compares like with like:
     - `load`: Parquet -> pandas with pyarrow's defaults (integers with missing values become
       float64, booleans with missing values object True/False/None, strings object) except
       dates/timestamps, which become datetime64[ns] (pyarrow would give datetime.date objects).
     - `conform`: a synthetic column whose pandas dtype differs from the real column's is cast
       to the real dtype (e.g. an int64 column a tool made without missing values -> float64,
       a bool column with no missing values -> object); every such cast is reported in the JSON.

The last stdout line is `SDV_JSON {...}`: versions, seconds, scores (overall plus the
'Column Shapes' and 'Column Pair Trends' properties, and per-column shape scores) per table,
casts made, the share of synthetic rows that are verbatim copies of a real row, and distinct warnings raised by SDV / SDMetrics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

WARNINGS: dict[str, int] = {}


def note_warnings(caught: list[warnings.WarningMessage], stage: str) -> None:
    for w in caught:
        key = f"[{stage}] {w.category.__name__}: {str(w.message).strip().splitlines()[0][:300]}"
        WARNINGS[key] = WARNINGS.get(key, 0) + 1


def load(path: str | Path) -> pd.DataFrame:
    table = pq.read_table(path)
    df = table.to_pandas()
    for field in table.schema:
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            df[field.name] = pd.to_datetime(df[field.name]).astype("datetime64[ns]")
    return df


def conform(synth: pd.DataFrame, real: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    missing = [c for c in real.columns if c not in synth.columns]
    extra = [c for c in synth.columns if c not in real.columns]
    if missing or extra:
        raise SystemExit(f"synthetic table columns differ from the real ones: missing {missing}, extra {extra}")
    synth = synth[list(real.columns)].copy()
    casts = []
    for c in real.columns:
        if synth[c].dtype != real[c].dtype:
            casts.append(f"{c}: {synth[c].dtype} -> {real[c].dtype}")
            synth[c] = synth[c].astype(real[c].dtype)
    return synth, casts


def quality(real: pd.DataFrame, synth: pd.DataFrame, metadata: dict) -> dict:
    """SDMetrics' QualityReport with its defaults (the headline scores), plus the same report
    with the real-correlation / real-association thresholds at 0, so that every column pair is
    scored (SDMetrics 0.32 by default averages only the pairs whose real |correlation| > 0.5 or
    real association > 0.3 into 'Column Pair Trends', and leaves the other pairs' scores NaN)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from sdmetrics.reports.single_table import QualityReport  # deprecated in 0.32; the brief's choice

        t0 = time.perf_counter()
        report = QualityReport()
        report.generate(real, synth, metadata, verbose=False)
        report_s = time.perf_counter() - t0
        every_pair = QualityReport()
        every_pair.real_correlation_threshold = 0
        every_pair.real_association_threshold = 0
        every_pair.generate(real, synth, metadata, verbose=False)
    note_warnings(caught, "QualityReport")
    props = report.get_properties().set_index("Property")["Score"]
    shapes = report.get_details("Column Shapes")
    per_col = {str(r["Column"]): _num(r["Score"]) for _, r in shapes.iterrows()}
    trends = report.get_details("Column Pair Trends")
    all_trends = every_pair.get_details("Column Pair Trends")
    worst_pairs = [
        {"pair": f"{r['Column 1']}~{r['Column 2']}", "score": _num(r["Score"]), "metric": str(r["Metric"])}
        for _, r in all_trends.sort_values("Score").head(5).iterrows()
    ]
    errors = trends["Error"].notna().sum() if "Error" in trends else 0
    strong = trends[trends["Meets Threshold?"] == True].sort_values("Score")  # noqa: E712 (object column)
    strong_pairs = [{"pair": f"{r['Column 1']}~{r['Column 2']}", "score": _num(r["Score"])} for _, r in strong.iterrows()]
    return {
        "overall": _num(report.get_score()),
        "column_shapes": _num(props.get("Column Shapes")),
        "column_pair_trends": _num(props.get("Column Pair Trends")),
        "pairs_scored": int((trends["Meets Threshold?"] == True).sum()),  # noqa: E712 (object column)
        "pairs_total": len(trends),
        "pairs_errored": int(errors),
        "column_pair_trends_every_pair": _num(every_pair.get_properties().set_index("Property")["Score"]
                                              .get("Column Pair Trends")),
        "shapes_by_column": per_col,
        "worst_pairs_every_pair": worst_pairs,
        "strong_pairs": strong_pairs,  # the pairs its thresholds score, weakest first (SDV's metadata)
        "report_s": round(report_s, 3),
    }


def copy_rate(real: pd.DataFrame, synth: pd.DataFrame) -> float:
    """Share of synthetic rows equal, in every column, to some real row (missing matches missing).
    Not part of SDMetrics' quality score, which does not penalise copying the training rows."""
    def key(df: pd.DataFrame) -> pd.Series:
        text = df.astype(str).mask(df.isna(), "<NA>")
        return pd.util.hash_pandas_object(text, index=False)

    return round(float(key(synth).isin(set(key(real))).mean()), 6)


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else round(float(x), 6)


def run_sdv(kind: str, metadata, name: str, real: pd.DataFrame, n: int, epochs: int,
            seed: int) -> tuple[pd.DataFrame, float]:
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    np.random.seed(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "ctgan":
            import torch

            torch.manual_seed(seed)
            synth = CTGANSynthesizer(metadata, epochs=epochs)
        else:
            synth = GaussianCopulaSynthesizer(metadata)
        t0 = time.perf_counter()
        synth.fit({name: real})  # SDV 2.0: fit takes {table name: frame}, sample returns the same
        out = synth.sample(num_rows=n)[name]
        elapsed = time.perf_counter() - t0
    note_warnings(caught, f"sdv {kind}")
    return out, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--real", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--ours", action="append", default=[], help="LABEL=PATH of a synthloom table to score")
    ap.add_argument("--ctgan-epochs", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--score-only", action="store_true", help="fit no SDV model: only score the --ours tables")
    args = ap.parse_args()

    import copulas
    import sdmetrics
    import sdv
    from sdv.metadata import Metadata

    real = load(args.real)
    n = len(real)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metadata = Metadata.detect_from_dataframes({args.name: real}, infer_keys="primary_only")
    note_warnings(caught, "detect")
    detect_s = time.perf_counter() - t0
    table_meta = metadata.to_dict()["tables"][args.name]  # the same dict for every QualityReport

    result: dict = {
        "dataset": args.name,
        "rows": n,
        "versions": {"sdv": sdv.__version__, "sdmetrics": sdmetrics.__version__, "copulas": copulas.__version__,
                     "pandas": pd.__version__, "python": sys.version.split()[0]},
        "sdtypes": {c: m["sdtype"] for c, m in table_meta["columns"].items()},
        "real_dtypes": {c: str(t) for c, t in real.dtypes.items()},
        "detect_s": round(detect_s, 3),
        "real_duplicate_rows": round(float(real.duplicated(keep=False).mean()), 6),
        "sdv": {},
        "tables": {},
    }
    out_dir = Path(args.out_dir)
    to_score: dict[str, Path] = {}
    models = [("gaussian_copula", 0)] + ([("ctgan", args.ctgan_epochs)] if args.ctgan_epochs > 0 else [])
    if args.score_only:
        models = []
    for kind, epochs in models:
        out, elapsed = run_sdv(kind, metadata, args.name, real, n, epochs, args.seed)
        path = out_dir / f"sdv_{kind}.parquet"
        pq.write_table(pa.Table.from_pandas(out, preserve_index=False), path)
        result["sdv"][kind] = {"seconds": round(elapsed, 3), "rows": len(out), "epochs": epochs or None,
                               "dtypes": {c: str(t) for c, t in out.dtypes.items()}}
        to_score[f"sdv:{kind}"] = path
        print(f"sdv {kind}: fit+sample {elapsed:.2f}s", file=sys.stderr, flush=True)
    for item in args.ours:
        label, _, path = item.partition("=")
        to_score[f"ours:{label}"] = Path(path)

    for label, path in to_score.items():
        synth, casts = conform(load(path), real)
        scores = quality(real, synth, table_meta)
        scores["rows"] = len(synth)
        scores["casts"] = casts
        scores["copied_rows"] = copy_rate(real, synth)
        result["tables"][label] = scores
        print(f"scored {label}: {scores['overall']}", file=sys.stderr, flush=True)

    result["warnings"] = WARNINGS
    result["env"] = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "DO_NOT_TRACK", "XDG_DATA_HOME")}
    print("SDV_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
