"""synthloom's Anonymeter-style privacy attacks against Anonymeter itself, same data, same run.

Data: mixed_table(2 * rows, seed=0); train = first half, control = second half. Two synthetic
sets of len(train) rows: "gc" = GaussianCopula(seed=0) fitted on train, and "leaky" = a copy of
train with 50% of its rows (chosen at random, seed 0) replaced by the gc rows at those
positions, so that the attacks have something to find.

Attacks, the same columns on both sides: singling out (univariate), linkability (left = first
half of the table's columns, right = the rest, 1 neighbour) and attribute inference (secret =
"plan", every other column as auxiliary information), n_attacks equal on both sides.
synthloom runs here (timed from in-memory pandas DataFrames: alignment, encoding and attack,
each attack separately); Anonymeter runs in its own venv on the same rows via Parquet
(benchmarks/peers/anonymeter_attacks.py; timed constructor + evaluate(), numba warmed up).

Where the methods differ: our univariate singling out uses predicates read off the synthetic
data (a category seen once; <= the minimum and >= the maximum of every numerical column), with
the number of predicates as the number of trials; Anonymeter's univariate mode also uses every
numerical value seen once in the synthetic data as an equality predicate, keeps only predicates
that single out a row of the synthetic data (after dropping duplicate rows), takes at most
n_attacks of them and divides by n_attacks. Rates: ours are plain proportions with Wilson
intervals, the risk interval taken from the ends of the rate intervals; Anonymeter uses the
Wilson centre as the rate and a symmetric propagated error.

    .venv/bin/python benchmarks/attacks_vs_anonymeter.py [--rows 10000] [--attacks 1000] [--dates datetime|days]

Anonymeter's venv (git-ignored), made once:

    python3.11 -m venv benchmarks/.venv-anonymeter
    benchmarks/.venv-anonymeter/bin/pip install -c constraints.txt anonymeter pyarrow

Anonymeter has no telemetry; the helper runs with DO_NOT_TRACK=1, HF_HUB_OFFLINE=1 and
NUMBA_CACHE_DIR in the run's temp dir anyway.
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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthloom.evaluate.attacks import Attacks
from synthloom.evaluate.tables import aligned_with_holdout
from synthloom.tabular import GaussianCopula
from synthloom.testing.tables import mixed_table

HERE = Path(__file__).resolve().parent
PEER = HERE / ".venv-anonymeter" / "bin" / "python"
SETUP = ("python3.11 -m venv benchmarks/.venv-anonymeter && "
         "benchmarks/.venv-anonymeter/bin/pip install -c constraints.txt anonymeter pyarrow")
SECRET = "plan"
ATTACKS = ("singling_out", "linkability", "inference")


def datasets(rows: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    full = mixed_table(2 * rows, seed=0).to_pandas()
    train = full.iloc[:rows].reset_index(drop=True)
    control = full.iloc[rows:].reset_index(drop=True)
    gc = GaussianCopula(seed=0).fit(train).sample(len(train))
    gc = gc.astype({c: train[c].dtype for c in train.columns})
    replaced = np.random.default_rng(0).choice(len(train), len(train) // 2, replace=False)
    leaky = train.copy()
    leaky.iloc[replaced] = gc.iloc[replaced].to_numpy()
    leaky = leaky.astype({c: train[c].dtype for c in train.columns})
    return train, control, {"gc": gc, "leaky": leaky}


def ours(train: pd.DataFrame, control: pd.DataFrame, syn: pd.DataFrame, n: int,
         left: list[str], right: list[str]) -> dict[str, dict]:
    aux = [c for c in train.columns if c != SECRET]
    calls = {
        "singling_out": lambda a: a.singling_out(),
        "linkability": lambda a: a.linkability(left, right, k=1),
        "inference": lambda a: a.inference(aux, SECRET),
    }
    out = {}
    for name, call in calls.items():
        t0 = time.perf_counter()
        cols, hold = aligned_with_holdout(train, syn, control)
        res = call(Attacks(cols, hold, n, 0))
        out[name] = {**res, "seconds": time.perf_counter() - t0}
    return out


def peer(train: pd.DataFrame, control: pd.DataFrame, syn: pd.DataFrame, n: int,
         left: list[str], right: list[str], dates: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for label, df in (("train", train), ("control", control), ("synthetic", syn)):
            p = Path(tmp) / f"{label}.parquet"
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), p)
            paths.append(str(p))
        env = {**os.environ, "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1", "NUMBA_CACHE_DIR": tmp}
        out = subprocess.run([str(PEER), str(HERE / "peers" / "anonymeter_attacks.py"), *paths, str(n), SECRET,
                              ",".join(left), ",".join(right), "--dates", dates],
                             capture_output=True, text=True, env=env)
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"Anonymeter's helper failed (exit {out.returncode})")
        if out.stderr.strip():
            print("Anonymeter stderr:", out.stderr.strip()[-2000:])
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000, help="rows in train, control and each synthetic set")
    ap.add_argument("--attacks", type=int, default=1_000, help="n_attacks on both sides")
    ap.add_argument("--dates", choices=("datetime", "days"), default="datetime",
                    help="how the date column reaches Anonymeter (datetime64[ns] or float days)")
    args = ap.parse_args()
    if not PEER.exists():
        print(f"Anonymeter's venv is missing; from /work/main run: {SETUP}", file=sys.stderr)
        raise SystemExit(2)
    train, control, sets = datasets(args.rows)
    names = list(train.columns)
    left, right = names[: len(names) // 2], names[len(names) // 2:]
    print(f"{args.rows:,} train / {args.rows:,} control / {args.rows:,} synthetic rows x {len(names)} columns, "
          f"n_attacks={args.attacks}; linkability {left} | {right}; inference secret {SECRET!r}")
    lines = []
    for set_name, syn in sets.items():
        mine = ours(train, control, syn, args.attacks, left, right)
        theirs = peer(train, control, syn, args.attacks, left, right, args.dates)
        print(f"\n== set {set_name} (Anonymeter {theirs['anonymeter']}, dates as {theirs['dates']})")
        for attack in ATTACKS:
            m, t = mine[attack], theirs[attack]
            lo, hi = t["risk_ci"]
            within = lo <= m["risk"] <= hi
            trials = (f"ours {m['predicates']} predicates, Anonymeter {t['queries']} queries of {args.attacks}"
                      if attack == "singling_out" else f"{m['trials']} attacks each")
            print(f"{attack:13s} ours risk {m['risk']:.4f} [{m['risk_ci'][0]:.4f}, {m['risk_ci'][1]:.4f}] "
                  f"(attack {m['attack_rate']:.4f}, control {m['control_rate']:.4f}, baseline {m['baseline_rate']:.4f}) "
                  f"{m['seconds']:.2f} s")
            print(f"{'':13s} Anonymeter {t['risk']:.4f} [{lo:.4f}, {hi:.4f}] (attack {t['attack_rate']:.4f}, "
                  f"control {t.get('control_rate', float('nan')):.4f}, baseline {t['baseline_rate']:.4f}; successes "
                  f"{t['n_success']} / control {t.get('n_control')} / baseline {t['n_baseline']}) {t['seconds']:.2f} s")
            print(f"{'':13s} ours within Anonymeter's CI: {within}; {trials}")
            lines.append(f"RESULT attacks_vs_anonymeter set={set_name} attack={attack} ours_risk={m['risk']:.4f} "
                         f"anonymeter_risk={t['risk']:.4f} anonymeter_ci_low={lo:.4f} anonymeter_ci_high={hi:.4f} "
                         f"within_ci={'true' if within else 'false'} ours_s={m['seconds']:.3f} "
                         f"anonymeter_s={t['seconds']:.3f} speedup={t['seconds'] / m['seconds']:.1f}")
        for w in theirs["warnings"]:
            print(f"Anonymeter warning: {w}")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
