"""synthloom's evaluation against the peers themselves, same run, same 2 cores.

Part 1 (this file so far): fidelity. On the 50k x 15 and 200k x 15 mixed tables (real) and a
synthloom Gaussian-copula sample of the same size (synthetic): SDMetrics' QualityReport (every
column pair scored, no subsampling) is timed in SDV's venv, and every column and pair is also
scored by SDMetrics' own metric classes (KSComplement / TVComplement per column,
CorrelationSimilarity / ContingencySimilarity per pair, called directly over the same columns and
pairs the report scores), which is timed as well: the report's work without the report, the
fastest way we know to get these scores from SDMetrics. synthloom's `evaluate.fidelity.quality`
runs here with the column kinds SDMetrics detected. Prints the largest difference between any
per-column or per-pair score (the cross-check) and our speed-up over both the report and the
metric classes.

Strong pairs: each pair's real association (|Pearson r|; Cramer's V of the binned real table)
is compared with what SDMetrics' metrics compute, the pairs above its thresholds with those its
QualityReport counts at its defaults, and our `quality_sdmetrics` with that report's score.

Where we differ on purpose: the QualityReport bins each table's numerical columns on that
table's own range before ContingencySimilarity, so bin k covers different values in the real
and the synthetic table; we bin both on the real range, as SDMetrics' ContingencySimilarity
metric itself does, and that is what the cross-check compares.

    .venv/bin/python benchmarks/evaluate_vs_peers.py [--rows 50000 200000]

The SDV venv is the one benchmarks/tabular_vs_sdv.py uses (see its docstring to create it).
Part 2: distance to closest record. SDMetrics' `calculate_dcr` (its DCR metrics' engine) on
--dcr-check rows (quadratic in time, so a small table) is compared value by value with
synthloom's exact search on the same rows; then synthloom's DCR of every synthetic row against
every real row is timed at each --rows size (no subsampling). SDMetrics' time at those sizes is
extrapolated from the small run (quadratic), and printed as an extrapolation.

Anonymeter's three attacks are still to come.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from synthloom.evaluate.fidelity import quality
from synthloom.evaluate.tables import aligned_columns
from synthloom.tabular import GaussianCopula
from synthloom.testing.tables import mixed_table

HERE = Path(__file__).resolve().parent
PEER = HERE / ".venv-sdv" / "bin" / "python"
KINDS = {"numerical": "numerical", "datetime": "datetime", "categorical": "categorical", "boolean": "boolean",
         "id": "id"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[50_000, 200_000])
    ap.add_argument("--dcr-check", type=int, default=2_000)
    args = ap.parse_args()
    if not PEER.exists():
        print("SDV's venv is missing; create it as benchmarks/tabular_vs_sdv.py's docstring says", file=sys.stderr)
        raise SystemExit(2)
    lines = []
    for n in args.rows:
        peer, real_t, syn_t, overrides = run_peer("sdmetrics_quality.py", n)
        t0 = time.perf_counter()  # tables are in memory before timing, as on the peer's side
        ours = quality(aligned_columns(real_t, syn_t, overrides))
        seconds = time.perf_counter() - t0
        diffs = []
        for part in ("shapes", "pairs"):
            for key, theirs in peer[part].items():
                mine = ours[part].get(key) or ours[part].get(" ~ ".join(reversed(key.split(" ~ "))))
                if mine is None or theirs["score"] is None:
                    continue
                diffs.append((abs(mine["score"] - theirs["score"]), part, key, mine["metric"], theirs["metric"]))
        diffs.sort(reverse=True)
        worst = diffs[0]
        association = strong_pairs_against(ours, peer)
        print(association["line"])
        print(f"{n} rows: SDMetrics QualityReport {peer['seconds']:.2f} s ({peer['report_columns']} columns, "
              f"{peer['report_pairs']} pairs), its metric classes called directly {peer['metric_seconds']:.2f} s "
              f"({len(peer['shapes'])} columns, {len(peer['pairs'])} pairs), synthloom {seconds:.2f} s; "
              f"{len(diffs)} per-column and per-pair scores compared, largest difference {worst[0]:.2e} "
              f"({worst[1]} {worst[2]})")
        lines.append(f"RESULT evaluate_quality rows={n} sdmetrics_s={peer['seconds']:.2f} "
                     f"sdmetrics_metrics_s={peer['metric_seconds']:.2f} ours_s={seconds:.2f} "
                     f"speedup={peer['seconds'] / seconds:.1f} speedup_vs_metrics={peer['metric_seconds'] / seconds:.1f} "
                     f"scores_compared={len(diffs)} max_score_diff={worst[0]:.2e} "
                     f"max_association_diff={association['max_diff']:.2e} same_strong_pairs={association['same']} "
                     f"quality_sdmetrics={ours['score_sdmetrics']:.4f} "
                     f"sdmetrics_thresholded={association['theirs_score']:.4f}")
    lines += dcr_part(args.dcr_check, args.rows)
    print("\n".join(lines))


def strong_pairs_against(ours: dict, peer: dict) -> dict:
    """Our real associations and strong pairs against SDMetrics' (its metrics' breakdowns and
    its QualityReport at default thresholds)."""
    def mine(key: str) -> dict:
        return ours["pairs"].get(key) or ours["pairs"][" ~ ".join(reversed(key.split(" ~ ")))]

    diffs = [abs(mine(k)["association"] - v) for k, v in peer["associations"].items() if v is not None]
    theirs = set(peer["thresholded"]["strong"])
    ours_strong = {k for k in peer["associations"] if mine(k)["strong"]}
    line = (f"  real association: {len(diffs)} pairs, largest difference {max(diffs):.2e}; strong pairs: ours "
            f"{len(ours_strong)}, SDMetrics' report {len(theirs)}, same={ours_strong == theirs}; thresholded quality: "
            f"ours {ours['score_sdmetrics']:.4f}, SDMetrics' report {peer['thresholded']['score']:.4f}")
    return {"line": line, "max_diff": max(diffs), "same": ours_strong == theirs,
            "theirs_score": peer["thresholded"]["score"]}


def run_peer(script: str, n: int) -> tuple[dict, object, object, dict]:
    """Mixed table of n rows and a Gaussian-copula sample, scored by a peer script in SDV's
    venv; returns its JSON, both tables and the column kinds it detected (as our overrides)."""
    real = mixed_table(n, seed=0)
    synthetic = GaussianCopula(seed=0).fit(real).sample(n)
    with tempfile.TemporaryDirectory() as tmp:
        rp, sp = Path(tmp) / "real.parquet", Path(tmp) / "synthetic.parquet"
        pq.write_table(real, rp)
        pq.write_table(synthetic, sp)
        env = {**os.environ, "XDG_DATA_HOME": tmp, "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1",
               "PYTHONPATH": str(HERE / "peers")}
        out = subprocess.run([str(PEER), str(HERE / "peers" / script), str(rp), str(sp)],
                             capture_output=True, text=True, env=env, check=True)
        peer = json.loads(out.stdout.strip().splitlines()[-1])
        # sdtypes SDMetrics leaves out of its metrics (e.g. ordinal) are left out here too
        overrides = {"columns": {c: {"kind": KINDS.get(t, "id")} for c, t in peer["sdtypes"].items()}}
        return peer, pq.read_table(rp), pq.read_table(sp), overrides


def dcr_part(check_rows: int, sizes: list[int]) -> list[str]:
    from synthloom.evaluate.distance import encode, nearest

    peer, real_t, syn_t, overrides = run_peer("sdmetrics_dcr.py", check_rows)
    cols = aligned_columns(real_t, syn_t, overrides)
    ours, _ = nearest(encode(cols, "synthetic"), encode(cols, "real"))
    diff = float(max(abs(a - b) for a, b in zip(ours, peer["dcr"])))
    print(f"DCR cross-check on {check_rows} x {check_rows}: SDMetrics {peer['seconds']:.1f} s, "
          f"largest difference {diff:.2e} over {len(ours)} rows")
    lines = [f"RESULT evaluate_dcr_check rows={check_rows} sdmetrics_s={peer['seconds']:.1f} max_dcr_diff={diff:.2e}"]
    for n in sizes:
        real = mixed_table(n, seed=0)
        synthetic = GaussianCopula(seed=0).fit(real).sample(n)
        cols = aligned_columns(real, synthetic)
        t0 = time.perf_counter()
        nearest(encode(cols, "synthetic"), encode(cols, "real"))
        seconds = time.perf_counter() - t0
        extrapolated = peer["seconds"] * (n / check_rows) ** 2
        print(f"DCR {n:,} synthetic vs {n:,} real rows, exact, full data: {seconds:.1f} s "
              f"(SDMetrics extrapolated from {check_rows} rows: {extrapolated / 3600:.1f} h)")
        lines.append(f"RESULT evaluate_dcr rows={n} ours_s={seconds:.1f} sdmetrics_extrapolated_s={extrapolated:.0f}")
    return lines


if __name__ == "__main__":
    main()
