"""Runs in Anonymeter's venv (benchmarks/.venv-anonymeter): Anonymeter's three evaluators on
train / control / synthetic Parquet files. Prints one JSON line with, per attack, risk() (value
and ci), the rates from results() (Wilson point estimate and error, as Anonymeter computes
them), the success counts and the seconds of constructor + evaluate() (numba's compilation of the
nearest-neighbour search is warmed up first, untimed).

    python anonymeter_attacks.py TRAIN CONTROL SYNTHETIC N_ATTACKS SECRET LEFT_COLS RIGHT_COLS [--dates datetime|days]
        [--seed S]

LEFT_COLS / RIGHT_COLS are comma-separated. Dates are read as datetime64[ns] by default
(Anonymeter's nearest-neighbour code then treats them as categories, since they are not
pandas "number" dtypes); --dates days turns them into float day counts since 1970 so they are
numerical, as on synthloom's side."""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def load(path: str, dates: str) -> pd.DataFrame:
    table = pq.read_table(path)
    df = table.to_pandas(date_as_object=False)
    for field in table.schema:
        name = field.name
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            col = df[name].astype("datetime64[ns]")
            if dates == "days":
                days = (col - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
                col = days.astype("float64")
            df[name] = col
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            df[name] = df[name].astype(object).where(df[name].notna(), None)
    return df


def rates(res) -> dict:
    out = {"attack_rate": res.attack_rate.value, "attack_rate_err": res.attack_rate.error,
           "baseline_rate": res.baseline_rate.value, "baseline_rate_err": res.baseline_rate.error,
           "n_success": int(res.n_success), "n_baseline": int(res.n_baseline)}
    if res.control_rate is not None:
        out.update(control_rate=res.control_rate.value, control_rate_err=res.control_rate.error,
                   n_control=float(res.n_control))
    return out


def summary(ev, seconds: float, **extra) -> dict:
    r = ev.risk()
    return {"risk": r.value, "risk_ci": list(r.ci), "seconds": seconds, **rates(ev.results()), **extra}


def main() -> None:
    args = sys.argv[1:]
    options = {"--dates": "datetime", "--seed": "0"}
    for flag in options:
        if flag in args:
            i = args.index(flag)
            options[flag] = args[i + 1]
            del args[i:i + 2]
    dates, seed = options["--dates"], int(options["--seed"])
    train_p, control_p, syn_p, n, secret, left, right = args
    n = int(n)
    left, right = left.split(","), right.split(",")
    captured: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append(record.getMessage())

    logging.getLogger("anonymeter").addHandler(Keep(level=logging.WARNING))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import anonymeter.evaluators.singling_out_evaluator as so_mod
        from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

        train, control, syn = load(train_p, dates), load(control_p, dates), load(syn_p, dates)
        np.random.seed(seed)  # DataFrame.sample in linkability / inference draws from numpy's global state
        out = {"dates": dates, "anonymeter": __import__("importlib.metadata").metadata.version("anonymeter")}

        generated = {}
        original = so_mod._generate_singling_out_queries

        def counting(*a, **k):
            q = original(*a, **k)
            generated["n"] = len(q)
            return q

        so_mod._generate_singling_out_queries = counting
        t0 = time.perf_counter()
        ev = SinglingOutEvaluator(ori=train, syn=syn, control=control, n_attacks=n, seed=seed).evaluate(mode="univariate")
        out["singling_out"] = summary(ev, time.perf_counter() - t0, queries=generated.get("n"))

        # untimed warm-up: numba compiles the Gower nearest-neighbour search on first use
        LinkabilityEvaluator(ori=train.head(50), syn=syn.head(50), control=control.head(50), n_attacks=5,
                             aux_cols=(left, right), n_neighbors=1).evaluate()
        t0 = time.perf_counter()
        ev = LinkabilityEvaluator(ori=train, syn=syn, control=control, n_attacks=n, aux_cols=(left, right),
                                  n_neighbors=1).evaluate()
        out["linkability"] = summary(ev, time.perf_counter() - t0)

        aux = [c for c in train.columns if c != secret]
        t0 = time.perf_counter()
        ev = InferenceEvaluator(ori=train, syn=syn, control=control, aux_cols=aux, secret=secret,
                                n_attacks=n).evaluate()
        out["inference"] = summary(ev, time.perf_counter() - t0)
    out["warnings"] = sorted({str(w.message) for w in caught} | set(captured))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
