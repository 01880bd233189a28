"""synthloom's tabular synthesizers against SDV 2.0.0's GaussianCopula (and, optionally, CTGAN)
on the same data, in the same run, on the same machine, one tool at a time.

Datasets (each written once to Parquet, which both sides read, so the data is identical):
  randhie  statsmodels' RAND health insurance experiment data, 20,190 rows x 10 columns
           (`statsmodels.api.datasets.randhie.load_pandas().data`; ships with statsmodels)
  mixed    `synthloom.testing.tables.mixed_table(50_000, seed=0)`: 50,000 x 15, numerical,
           categorical, boolean and date32 columns, 3% missing, correlated via latent Gaussians
  fair     statsmodels' extramarital affairs survey (Fair, 1978), 6,366 rows x 9 columns
  anes96   statsmodels' 1996 American National Election Study extract, 944 rows x 11 columns

For each dataset:
  1. In this interpreter, each synthloom synthesizer named by --ours (default: every name in
     `Synthesizer.registry` at run time) is timed over `fit(table)` + `sample(len(table))`
     (randhie is fitted as a pandas DataFrame, mixed as a pyarrow Table, both read back from
     the Parquet file). Its output is written to Parquet as it came out.
  2. Then, in SDV's own venv, benchmarks/peers/sdv_tabular.py reads the same Parquet, detects
     SDV metadata (`Metadata.detect_from_dataframes`, not timed), times
     `GaussianCopulaSynthesizer` (default settings) fit + sample(len(table)) (and
     `CTGANSynthesizer(epochs=N)` with --ctgan-epochs N > 0), and scores SDV's output and every
     synthloom output with SDMetrics' single-table `QualityReport`, against the same real frame
     with the same metadata dict. All synthetic tables are loaded and dtype-conformed the same
     way (see the helper's docstring; casts are printed). Synthloom's time includes its own
     metadata inference, SDV's does not include detection.

Prints a table per dataset (seconds, SDMetrics overall score, 'Column Shapes', 'Column Pair
Trends' with SDMetrics' default real-correlation thresholds and with every pair scored, the
columns whose shape score differs most, the share of synthetic rows that copy a real row) and ends with one line per (dataset, synthesizer):

    RESULT tabular_vs_sdv dataset=<name> rows=<n> ours=<synth> ours_s=<x> sdv_s=<y> speedup=<y/x> ours_quality=<q1>
        sdv_quality=<q2> strong_pairs=<k> ours_strong_min=<m1> ours_strong_mean=<a1> sdv_strong_min=<m2> sdv_strong_mean=<a2>
        sdmetrics_strong_pairs=<k2> ours_sdmetrics_strong_min=<m3>

(strong_pairs to sdv_strong_mean by synthloom's own evaluator and metadata, on the pairs SDMetrics'
default thresholds count as strong, for every synthetic table including SDV's; the last two by
SDMetrics itself with SDV's detected metadata, which may call more columns categorical)

and one reference line per dataset, what real people the model never saw score: the real table
cut in two seeded halves, the rows of the second half that copy no row of the first (as rows
of a synthesizer that copies no training row must), scored against the first half by SDMetrics
(SDV's metadata, no SDV model fitted) and by synthloom's evaluator:

    RESULT tabular_vs_sdv_reference dataset=<name> half_rows=<n> unseen_rows=<k> sdmetrics_quality=<q>
        sdmetrics_strong_pairs=<k2> sdmetrics_strong_min=<m> strong_pairs=<k3> strong_min=<m2>

The SDV venv is made once, from the repository root (nothing is installed at run time):

    python3.11 -m venv benchmarks/.venv-sdv
    benchmarks/.venv-sdv/bin/pip install -c constraints.txt sdv==2.0.0 pyarrow

(constraints.txt pins torch to the local CPU build, else SDV pulls GBs of CUDA packages;
`pyarrow` because SDV does not pull it and the helper reads Parquet.) Telemetry: SDV 2.0.0
has no usage-metrics switch because it sends none; its only network code is the demo-dataset
download (`sdv.datasets.demo`, never called here), and its "usage logger" (sdv.logging,
`log_registry: null` by default, so it logs nothing) copies a config YAML into the platformdirs
user-data dir. The helper runs with XDG_DATA_HOME pointing into the run's temp dir (so that
copy lands there, not in ~), HF_HUB_OFFLINE=1 and DO_NOT_TRACK=1. Then, from the repository root:

    .venv/bin/python benchmarks/tabular_vs_sdv.py [--ours gaussian_copula,bayesian_network]
        [--datasets randhie,mixed] [--ctgan-epochs 0] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthloom.tabular import Synthesizer

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv-sdv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PEER_HELPER = HERE / "peers" / "sdv_tabular.py"
PEER_VERSION = "2.0.0"
DATASETS = ("randhie", "mixed", "fair", "anes96")
STATSMODELS_TABLES = ("randhie", "fair", "anes96")  # real tables that ship inside statsmodels
MIXED_ROWS = 50_000


def peer_installed() -> bool:
    site = list(PEER_VENV.glob("lib/python3*/site-packages"))
    return PEER_PYTHON.exists() and any(
        (s / f"sdv-{PEER_VERSION}.dist-info").exists() and (s / "pyarrow").exists() for s in site
    )


def write_real(name: str, path: Path) -> None:
    if name in STATSMODELS_TABLES:
        import statsmodels.api as sm

        frame = getattr(sm.datasets, name).load_pandas().data
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    elif name == "mixed":
        from synthloom.testing.tables import mixed_table

        pq.write_table(mixed_table(MIXED_ROWS, seed=0), path)
    else:
        raise SystemExit(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def read_real(name: str, path: Path):
    """What synthloom is fitted on: statsmodels' tables as pandas (their native form), mixed as Arrow."""
    return pd.read_parquet(path) if name in STATSMODELS_TABLES else pq.read_table(path)


def run_ours(name: str, real_path: Path, synth_name: str, out_path: Path, seed: int) -> dict:
    table = read_real(name, real_path)
    n = len(table) if isinstance(table, pd.DataFrame) else table.num_rows
    cls = Synthesizer.registry[synth_name]
    gc.collect()
    t0 = time.perf_counter()
    synth = cls(seed=seed).fit(table)
    out = synth.sample(n)
    elapsed = time.perf_counter() - t0
    arrow = out if isinstance(out, pa.Table) else pa.Table.from_pandas(out, preserve_index=False)
    pq.write_table(arrow, out_path)
    real_schema = pq.read_schema(real_path)
    differ = [f"{f.name}: {f.type} (real {real_schema.field(f.name).type})"
              for f in arrow.schema if f.name in real_schema.names and real_schema.field(f.name).type != f.type]
    return {"seconds": elapsed, "rows": arrow.num_rows, "schema_differs": differ}


def run_peer(name: str, real_path: Path, ours: dict[str, Path], tmp: Path, ctgan_epochs: int, seed: int,
             score_only: bool = False) -> dict:
    xdg = tmp / "xdg-data"
    xdg.mkdir(exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1", "XDG_DATA_HOME": str(xdg)}
    cmd = [str(PEER_PYTHON), str(PEER_HELPER), "--name", name, "--real", str(real_path), "--out-dir", str(tmp),
           "--ctgan-epochs", str(ctgan_epochs), "--seed", str(seed)]
    for label, path in ours.items():
        cmd += ["--ours", f"{label}={path}"]
    if score_only:
        cmd.append("--score-only")
    log = tmp / f"sdv_{name}.log"
    with log.open("w") as fh:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=fh, text=True, cwd=tmp)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("SDV_JSON ")]
    if proc.returncode != 0 or not found:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"the SDV helper failed on {name} (exit {proc.returncode}); its stderr's tail is above")
    result = json.loads(found[-1].removeprefix("SDV_JSON "))
    result["stderr_lines"] = [ln for ln in log.read_text(errors="replace").splitlines()
                              if not ln.startswith(("sdv ", "scored "))]
    return result


def unseen_people(name: str, real_path: Path, tmp: Path, seed: int) -> tuple[Path, Path, int]:
    """The reference a private synthesizer is read against: the real table cut in two halves
    (seeded), and the rows of the second half that copy no row of the first, as a synthetic
    table made without copies would be. Returns (first half, those rows, how many)."""
    real = pd.read_parquet(real_path)
    first = real.sample(frac=0.5, random_state=seed)
    second = real.drop(first.index)

    def keys(frame: pd.DataFrame) -> pd.Series:  # one 64-bit hash per row; equal values (missing too) hash alike
        return pd.util.hash_pandas_object(frame, index=False)

    unseen = second[~keys(second).isin(set(keys(first)))]
    first_path, unseen_path = tmp / f"{name}_first_half.parquet", tmp / f"{name}_unseen.parquet"
    pq.write_table(pa.Table.from_pandas(first, preserve_index=False), first_path)
    pq.write_table(pa.Table.from_pandas(unseen, preserve_index=False), unseen_path)
    return first_path, unseen_path, len(unseen)


def strong_pairs_of(real_path: Path, synthetic_path: Path) -> dict:
    """synthloom's strong-pair figures (the pairs SDMetrics' thresholds count, evaluate/fidelity.py)
    of one synthetic table against the real one: count, minimum, mean, the pairs below 0.9."""
    from synthloom.evaluate.fidelity import quality
    from synthloom.evaluate.tables import aligned_columns

    return quality(aligned_columns(pq.read_table(real_path), pq.read_table(synthetic_path)))["strong_pairs"]


def fmt(x: float | None, nd: int = 4) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def report(name: str, ours: dict[str, dict], peer: dict) -> None:
    print(f"\n== {name}: {peer['rows']:,} rows x {len(peer['sdtypes'])} columns "
          f"(SDV {peer['versions']['sdv']}, SDMetrics {peer['versions']['sdmetrics']}) ==")
    head = (f"{'synthesizer':<28}{'fit+sample s':>13}{'overall':>9}{'shapes':>9}{'pairs':>9}{'(scored)':>10}"
            f"{'all pairs':>11}{'copied':>9}")
    print(head)
    print("-" * len(head))
    rows = [(f"sdv:{k}", v["seconds"]) for k, v in peer["sdv"].items()]
    rows += [(f"ours:{k}", v["seconds"]) for k, v in ours.items()]
    for label, seconds in rows:
        q = peer["tables"][label]
        print(f"{label:<28}{seconds:>13.2f}{fmt(q['overall']):>9}{fmt(q['column_shapes']):>9}"
              f"{fmt(q['column_pair_trends']):>9}{q['pairs_scored']:>4}/{q['pairs_total']:<5}"
              f"{fmt(q['column_pair_trends_every_pair']):>11}{q['copied_rows']:>9.1%}")
        weakest = ", ".join(f"{p['pair']} {fmt(p['score'], 3)}" for p in q.get("strong_pairs", [])[:2])
        print(f"{'':<28}SDMetrics' own strong pairs, weakest: {weakest or 'none'}")
    print("pairs = SDMetrics' 'Column Pair Trends' (default: only pairs with real |corr| > 0.5 or association > 0.3);"
          " all pairs = same with thresholds 0;"
          " copied = synthetic rows identical to a real row (not in SDMetrics' score)")
    print(f"real rows that duplicate another real row: {peer['real_duplicate_rows']:.1%}")
    print(f"SDV metadata detection (not timed above): {peer['detect_s']:.2f}s; sdtypes: "
          + ", ".join(f"{c}={t}" for c, t in peer["sdtypes"].items()))
    base = peer["tables"]["sdv:gaussian_copula"]["shapes_by_column"]
    for label in [f"ours:{k}" for k in ours]:
        mine = peer["tables"][label]["shapes_by_column"]
        diffs = sorted(((mine[c] or 0) - (base[c] or 0), c) for c in base)
        worst = ", ".join(f"{c} {mine[c]:.3f} vs {base[c]:.3f}" for d, c in diffs[:4] if d < 0)
        print(f"  {label} column shapes furthest below SDV's: {worst or 'none'}")
        lowest = sorted((v if v is not None else 0, c) for c, v in mine.items())[:3]
        print(f"  {label} lowest column shapes: " + ", ".join(f"{c} {v:.3f}" for v, c in lowest))
        pairs = ", ".join(f"{p['pair']} {p['score']:.3f}" for p in peer["tables"][label]["worst_pairs_every_pair"][:3])
        print(f"  {label} weakest pairs (all-pairs report): {pairs}")
        if ours[label.removeprefix('ours:')]["schema_differs"]:
            print(f"  {label} Arrow types that differ from the real table's: "
                  + "; ".join(ours[label.removeprefix('ours:')]["schema_differs"]))
    for label in [f"sdv:{k}" for k in peer["sdv"]]:
        lowest = sorted((v if v is not None else 0, c) for c, v in peer["tables"][label]["shapes_by_column"].items())[:3]
        print(f"  {label} lowest column shapes: " + ", ".join(f"{c} {v:.3f}" for v, c in lowest))
        pairs = ", ".join(f"{p['pair']} {p['score']:.3f}" for p in peer["tables"][label]["worst_pairs_every_pair"][:3])
        print(f"  {label} weakest pairs (all-pairs report): {pairs}")
    for label, q in peer["tables"].items():
        if q["casts"]:
            print(f"  dtype casts before scoring {label}: " + "; ".join(q["casts"]))
        if q["pairs_errored"]:
            print(f"  SDMetrics could not score {q['pairs_errored']} pair(s) of {label}")
    for w, count in peer["warnings"].items():
        print(f"  peer warning x{count}: {w}")
    odd = [ln for ln in peer["stderr_lines"] if "arning" in ln or "rror" in ln]
    for ln in dict.fromkeys(odd):
        print(f"  peer stderr: {ln.strip()[:200]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", action="append", default=None,
                    help="synthloom synthesizer name(s), comma-separated or repeated (default: the whole registry)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--ctgan-epochs", type=int, default=0, help="also run SDV's CTGAN for N epochs (0 = skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the Parquet files in this directory")
    args = ap.parse_args()

    if not peer_installed():
        print(f"SDV {PEER_VERSION} is not installed in {PEER_VENV}; create it once from the repository root with "
              f"`python3.11 -m venv benchmarks/.venv-sdv && benchmarks/.venv-sdv/bin/pip install -c constraints.txt "
              f"sdv=={PEER_VERSION} pyarrow` (see this file's docstring).", file=sys.stderr)
        sys.exit(2)

    names = [n for item in (args.ours or [",".join(sorted(Synthesizer.registry))]) for n in item.split(",") if n]
    unknown = [n for n in names if n not in Synthesizer.registry]
    if unknown or not names:
        raise SystemExit(f"unknown synthesizer(s) {unknown}; the registry has {sorted(Synthesizer.registry)}")
    datasets = [d for d in args.datasets.split(",") if d]

    results: list[str] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tabular_vs_sdv_") as tmpdir:
        tmp = args.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        print(f"synthloom synthesizers: {', '.join(names)}; SDV GaussianCopula"
              + (f" and CTGAN ({args.ctgan_epochs} epochs)" if args.ctgan_epochs else "")
              + f"; seed {args.seed}; files in {tmp}", flush=True)
        for name in datasets:
            real_path = tmp / f"{name}_real.parquet"
            write_real(name, real_path)
            ours: dict[str, dict] = {}
            paths: dict[str, Path] = {}
            for synth_name in names:
                out_path = tmp / f"{name}_ours_{synth_name}.parquet"
                try:
                    ours[synth_name] = run_ours(name, real_path, synth_name, out_path, args.seed)
                except Exception as exc:  # a synthesizer under development must not sink the others
                    failures.append(f"{name}/{synth_name}: {type(exc).__name__}: {exc}")
                    print(f"{name}: synthloom {synth_name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
                    continue
                paths[synth_name] = out_path
                print(f"{name}: synthloom {synth_name} fit+sample {ours[synth_name]['seconds']:.2f}s", flush=True)
                gc.collect()
            peer = run_peer(name, real_path, paths, tmp, args.ctgan_epochs, args.seed)
            print(f"{name}: SDV " + ", ".join(f"{k} fit+sample {v['seconds']:.2f}s" for k, v in peer["sdv"].items()),
                  flush=True)
            report(name, ours, peer)
            strong = {f"ours:{k}": strong_pairs_of(real_path, v) for k, v in paths.items()}
            strong["sdv:gaussian_copula"] = strong_pairs_of(real_path, tmp / "sdv_gaussian_copula.parquet")
            print("strong pairs (synthloom's evaluator, SDMetrics' thresholds): "
                  + "; ".join(f"{k} {v['count']} pairs, min {fmt(v['min'], 3)}, mean {fmt(v['mean'], 3)}"
                              + (f", below 0.9: {', '.join(v['weak'])}" if v["weak"] else "")
                              for k, v in strong.items()))
            first_path, unseen_path, unseen_rows = unseen_people(name, real_path, tmp, args.seed)
            ref_dir = tmp / f"{name}_reference"
            ref_dir.mkdir(exist_ok=True)
            ref = run_peer(name, first_path, {"real_unseen": unseen_path}, ref_dir, 0, args.seed, score_only=True)
            ref_scores = ref["tables"]["ours:real_unseen"]
            ref_theirs = [p["score"] for p in ref_scores.get("strong_pairs", []) if p["score"] is not None]
            ref_ours = strong_pairs_of(first_path, unseen_path)
            print(f"reference: {unseen_rows:,} real rows of one half that copy no row of the other, scored against "
                  f"it: SDMetrics overall {fmt(ref_scores['overall'])}, its strong pairs' min "
                  f"{fmt(min(ref_theirs, default=None), 3)}; ours {ref_ours['count']} pairs, min {fmt(ref_ours['min'], 3)}")
            results.append(
                f"RESULT tabular_vs_sdv_reference dataset={name} half_rows={ref['rows']} unseen_rows={unseen_rows} "
                f"sdmetrics_quality={fmt(ref_scores['overall'])} sdmetrics_strong_pairs={len(ref_theirs)} "
                f"sdmetrics_strong_min={fmt(min(ref_theirs, default=None), 3)} strong_pairs={ref_ours['count']} "
                f"strong_min={fmt(ref_ours['min'], 3)}"
            )
            sdv_s = peer["sdv"]["gaussian_copula"]["seconds"]
            sdv_q = peer["tables"]["sdv:gaussian_copula"]["overall"]
            sdv_strong = strong["sdv:gaussian_copula"]
            for synth_name, res in ours.items():
                q = peer["tables"][f"ours:{synth_name}"]["overall"]
                mine = strong[f"ours:{synth_name}"]
                theirs = [p["score"] for p in peer["tables"][f"ours:{synth_name}"].get("strong_pairs", [])
                          if p["score"] is not None]
                results.append(
                    f"RESULT tabular_vs_sdv dataset={name} rows={peer['rows']} ours={synth_name} "
                    f"ours_s={res['seconds']:.3f} sdv_s={sdv_s:.2f} speedup={sdv_s / res['seconds']:.1f} "
                    f"ours_quality={fmt(q)} sdv_quality={fmt(sdv_q)} strong_pairs={mine['count']} "
                    f"ours_strong_min={fmt(mine['min'], 3)} ours_strong_mean={fmt(mine['mean'], 3)} "
                    f"sdv_strong_min={fmt(sdv_strong['min'], 3)} sdv_strong_mean={fmt(sdv_strong['mean'], 3)} "
                    f"sdmetrics_strong_pairs={len(theirs)} ours_sdmetrics_strong_min={fmt(min(theirs, default=None), 3)}"
                )
    if failures:
        print("\nfailed: " + "; ".join(failures), file=sys.stderr)
    print()
    sys.stdout.flush()
    for line in results:
        print(line)
    if failures or not results:
        sys.exit(1)


if __name__ == "__main__":
    main()
