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
        [--repeats 1]

With --repeats R both sides attack R times with seeds 0..R-1 (other targets and control rows
each time); the RESULT lines then give the mean risk of each side over the repeats and the
spread of those risks, which says whether a gap between the two is more than the draw of the
attacked rows.

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
         left: list[str], right: list[str], seed: int) -> dict[str, dict]:
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
        res = call(Attacks(cols, hold, n, seed))
        out[name] = {**res, "seconds": time.perf_counter() - t0}
    return out


def peer(train: pd.DataFrame, control: pd.DataFrame, syn: pd.DataFrame, n: int,
         left: list[str], right: list[str], dates: str, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for label, df in (("train", train), ("control", control), ("synthetic", syn)):
            p = Path(tmp) / f"{label}.parquet"
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), p)
            paths.append(str(p))
        env = {**os.environ, "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1", "NUMBA_CACHE_DIR": tmp}
        out = subprocess.run([str(PEER), str(HERE / "peers" / "anonymeter_attacks.py"), *paths, str(n), SECRET,
                              ",".join(left), ",".join(right), "--dates", dates, "--seed", str(seed)],
                             capture_output=True, text=True, env=env)
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"Anonymeter's helper failed (exit {out.returncode})")
        if out.stderr.strip():
            print("Anonymeter stderr:", out.stderr.strip()[-2000:])
        return json.loads(out.stdout.strip().splitlines()[-1])


def report_attack(attack: str, m: dict, t: dict, n_attacks: int) -> None:
    lo, hi = t["risk_ci"]
    trials = (f"ours {m['predicates']} predicates, Anonymeter {t['queries']} queries of {n_attacks}"
              if attack == "singling_out" else f"{m['trials']} attacks each")
    print(f"{attack:13s} ours risk {m['risk']:.4f} [{m['risk_ci'][0]:.4f}, {m['risk_ci'][1]:.4f}] "
          f"(attack {m['attack_rate']:.4f}, control {m['control_rate']:.4f}, baseline {m['baseline_rate']:.4f}) "
          f"{m['seconds']:.2f} s")
    print(f"{'':13s} Anonymeter {t['risk']:.4f} [{lo:.4f}, {hi:.4f}] (attack {t['attack_rate']:.4f}, "
          f"control {t.get('control_rate', float('nan')):.4f}, baseline {t['baseline_rate']:.4f}; successes "
          f"{t['n_success']} / control {t.get('n_control')} / baseline {t['n_baseline']}) {t['seconds']:.2f} s")
    print(f"{'':13s} ours within Anonymeter's CI: {lo <= m['risk'] <= hi}; {trials}")


def result_line(set_name: str, attack: str, pairs: list[tuple[dict, dict]]) -> str:
    """One line per set and attack; with several repeats, the mean risk of each side, their
    standard deviations, and how many of our risks fell inside Anonymeter's CI of the same seed."""
    ours_r = np.array([m["risk"] for m, _ in pairs])
    theirs_r = np.array([t["risk"] for _, t in pairs])
    within = sum(t["risk_ci"][0] <= m["risk"] <= t["risk_ci"][1] for m, t in pairs)
    lo, hi = pairs[0][1]["risk_ci"]
    ours_s = float(np.mean([m["seconds"] for m, _ in pairs]))
    theirs_s = float(np.mean([t["seconds"] for _, t in pairs]))
    line = (f"RESULT attacks_vs_anonymeter set={set_name} attack={attack} ours_risk={ours_r.mean():.4f} "
            f"anonymeter_risk={theirs_r.mean():.4f} ")
    if len(pairs) == 1:
        line += (f"anonymeter_ci_low={lo:.4f} anonymeter_ci_high={hi:.4f} "
                 f"within_ci={'true' if within else 'false'} ")
    else:
        line += (f"repeats={len(pairs)} ours_sd={ours_r.std(ddof=1):.4f} anonymeter_sd={theirs_r.std(ddof=1):.4f} "
                 f"within_ci={within}/{len(pairs)} ")
    return line + f"ours_s={ours_s:.3f} anonymeter_s={theirs_s:.3f} speedup={theirs_s / ours_s:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000, help="rows in train, control and each synthetic set")
    ap.add_argument("--attacks", type=int, default=1_000, help="n_attacks on both sides")
    ap.add_argument("--dates", choices=("datetime", "days"), default="datetime",
                    help="how the date column reaches Anonymeter (datetime64[ns] or float days)")
    ap.add_argument("--repeats", type=int, default=1, help="attack this many times with seeds 0..R-1")
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
        runs = []
        for seed in range(args.repeats):
            mine = ours(train, control, syn, args.attacks, left, right, seed)
            theirs = peer(train, control, syn, args.attacks, left, right, args.dates, seed)
            runs.append((mine, theirs))
            print(f"\n== set {set_name}, seed {seed} (Anonymeter {theirs['anonymeter']}, dates as {theirs['dates']})")
            for attack in ATTACKS:
                report_attack(attack, mine[attack], theirs[attack], args.attacks)
            for w in theirs["warnings"]:
                print(f"Anonymeter warning: {w}")
        for attack in ATTACKS:
            lines.append(result_line(set_name, attack, [(m[attack], t[attack]) for m, t in runs]))
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
