"""Runs in SDV's venv (benchmarks/.venv-sdv) on a real and a synthetic Parquet file.

Times SDMetrics' QualityReport (every column pair scored: thresholds 0), and scores every
column and pair with SDMetrics' own metric classes (KSComplement, TVComplement,
CorrelationSimilarity, ContingencySimilarity with the numerical columns named continuous),
called directly over the same columns and pairs the report scores; that is timed too
(`metric_seconds`, from the loaded DataFrames, the datetime-to-number conversion that
CorrelationSimilarity needs included): the scores without the report around them.
The per-metric scores are what synthloom is cross-checked against: the report itself bins each
table's numerical columns on that table's own range, so a bin means different values in the
real and the synthetic table; the ContingencySimilarity metric bins both on the real range.
Also: each pair's real association as SDMetrics' metrics compute it, and the QualityReport with
its default thresholds (|r| > 0.5, Cramer's V > 0.3): its score and the pairs it counted.
Prints one JSON line: detected metadata, seconds, the report's score, per-metric scores."""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd
from sdv_tabular import load  # same loading as the SDV benchmark


def main() -> None:
    real_path, synth_path = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_column import KSComplement, TVComplement
    from sdv.metadata import Metadata

    real, synth = load(real_path), load(synth_path)
    synth = synth.astype({c: real[c].dtype for c in real.columns})
    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
    report = QualityReport()
    report.real_correlation_threshold = 0
    report.real_association_threshold = 0
    t0 = time.perf_counter()
    report.generate(real, synth, metadata, verbose=False)
    seconds = time.perf_counter() - t0
    sdtypes = {c: v["sdtype"] for c, v in metadata["columns"].items()}
    numeric = [c for c, t in sdtypes.items() if t in ("numerical", "datetime")]
    compared = [c for c, t in sdtypes.items() if t in ("numerical", "datetime", "categorical", "boolean")]
    t0 = time.perf_counter()
    r_num, s_num = real.copy(), synth.copy()
    for c in numeric:
        if sdtypes[c] == "datetime":
            r_num[c], s_num[c] = pd.to_numeric(real[c]).astype(float), pd.to_numeric(synth[c]).astype(float)
            r_num.loc[real[c].isna(), c] = float("nan")
            s_num.loc[synth[c].isna(), c] = float("nan")
    shapes, pairs = {}, {}
    for c in compared:
        metric = KSComplement if c in numeric else TVComplement
        shapes[c] = {"metric": metric.__name__, "score": metric.compute(real[c], synth[c])}
    for i, a in enumerate(compared):
        for b in compared[i + 1:]:
            if a in numeric and b in numeric:
                score = CorrelationSimilarity.compute(r_num[[a, b]], s_num[[a, b]], coefficient="Pearson")
                pairs[f"{a} ~ {b}"] = {"metric": "CorrelationSimilarity", "score": score}
            else:
                cont = [c for c in (a, b) if c in numeric]
                score = ContingencySimilarity.compute(r_num[[a, b]], s_num[[a, b]], continuous_column_names=cont)
                pairs[f"{a} ~ {b}"] = {"metric": "ContingencySimilarity", "score": score}
    metric_seconds = time.perf_counter() - t0
    # The real association SDMetrics thresholds on (|Pearson r|; Cramer's V of the binned real
    # table, which it computes only when a threshold is set: a tiny one scores every pair).
    associations = {}
    for i, a in enumerate(compared):
        for b in compared[i + 1:]:
            if a in numeric and b in numeric:
                got = CorrelationSimilarity.compute_breakdown(r_num[[a, b]], s_num[[a, b]], coefficient="Pearson")
                associations[f"{a} ~ {b}"] = abs(got["real"])
            else:
                cont = [c for c in (a, b) if c in numeric]
                got = ContingencySimilarity.compute_breakdown(r_num[[a, b]], s_num[[a, b]], continuous_column_names=cont,
                                                              real_association_threshold=1e-12)
                associations[f"{a} ~ {b}"] = got["real_association"]
    thresholded = QualityReport()  # SDMetrics' defaults: only strongly associated pairs score
    thresholded.generate(real, synth, metadata, verbose=False)
    details = thresholded.get_details("Column Pair Trends")
    strong = details[details["Meets Threshold?"].astype("boolean").fillna(False)]
    print(json.dumps({
        "sdtypes": sdtypes,
        "seconds": seconds,
        "metric_seconds": metric_seconds,
        "score": report.get_score(),
        # what the report scored, to check the metric calls cover the same columns and pairs
        "report_columns": len(report.get_details("Column Shapes")),
        "report_pairs": len(report.get_details("Column Pair Trends")),
        "shapes": shapes,
        "pairs": pairs,
        "associations": associations,
        "thresholded": {"score": thresholded.get_score(),
                        "pair_trends": thresholded.get_properties().set_index("Property")["Score"].get(
                            "Column Pair Trends"),
                        "strong": {f"{r['Column 1']} ~ {r['Column 2']}": r["Score"] for _, r in strong.iterrows()}},
    }, default=float))


if __name__ == "__main__":
    main()
