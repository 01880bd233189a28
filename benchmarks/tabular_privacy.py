"""Copies of training rows and the holdout share of every synthesizer, without and with the
copy guard (`allow_copies=True` vs the default), and the quality it costs.

Data: statsmodels' randhie (20,190 x 10) with the demo's 20% holdout (`random_state=0`), and
`synthloom.testing.tables.mixed_table(5_000, seed=8)` with a 20% holdout. Each synthesizer is
fitted on the training rows with seed 0 and samples as many rows; `evaluate_tables` scores them.
The holdout share compares training and holdout at equal size (see evaluate/privacy.py); the
unbalanced share is printed beside it. No peer: these are figures of ours, not a race.

    .venv/bin/python benchmarks/tabular_privacy.py

Ends with one line per (dataset, synthesizer, guard):

    RESULT tabular_privacy dataset=<d> synth=<s> guard=<off|on> exact_copy_share=<x> near_copy_share=<x>
        holdout_share=<x> holdout_share_unbalanced=<x> quality=<q>
"""

from __future__ import annotations

import warnings

import statsmodels.api as sm

from synthloom.evaluate.report import evaluate_tables
from synthloom.tabular import BayesianNetwork, GaussianCopula, MarginalTree
from synthloom.testing.tables import mixed_table


def splits():
    randhie = sm.datasets.randhie.load_pandas().data
    hold = randhie.sample(frac=0.2, random_state=0)
    yield "randhie", randhie.drop(hold.index), hold
    mixed = mixed_table(5_000, seed=8).to_pandas()
    hold = mixed.sample(frac=0.2, random_state=0)
    yield "mixed5k", mixed.drop(hold.index), hold


def main() -> None:
    warnings.simplefilter("ignore")
    lines = []
    for name, train, hold in splits():
        for cls in (GaussianCopula, BayesianNetwork, MarginalTree):
            for guard in ("off", "on"):
                out = cls(seed=0, allow_copies=guard == "off").fit(train).sample(len(train))
                report = evaluate_tables(train, out, holdout=hold)
                p = report["privacy"]
                lines.append(
                    f"RESULT tabular_privacy dataset={name} synth={cls.name} guard={guard} "
                    f"exact_copy_share={p['exact_copy_share']:.4f} near_copy_share={p['near_copy_share']:.4f} "
                    f"holdout_share={p['dcr_holdout_share']:.4f} "
                    f"holdout_share_unbalanced={p['dcr_holdout_share_unbalanced']:.4f} "
                    f"quality={report['summary']['quality']:.4f}")
                print(lines[-1], flush=True)


if __name__ == "__main__":
    main()
