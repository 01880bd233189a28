"""Statistics a reviewer checks first: means and variances with bootstrap intervals, full
correlation / association matrices with their Frobenius error, a classifier's ability to tell
real from synthetic (detection AUC), and train-on-synthetic-test-on-real utility."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from synthloom.evaluate.fidelity import Column
from synthloom.evaluate.stats import bootstrap

CV_FOLDS = 5


def moments(columns: list[Column], seed: int) -> dict[str, Any]:
    out = {}
    for i, c in enumerate(columns):
        if c.kind != "numerical":
            continue
        r, s = c.real[~np.isnan(c.real)], c.synthetic[~np.isnan(c.synthetic)]
        if r.size < 2 or s.size < 2:
            continue
        mean_ci = bootstrap(r, np.mean, seed + i)
        var_ci = bootstrap(r, np.var, seed + 1000 + i)
        out[c.name] = {
            "real_mean": float(r.mean()), "synthetic_mean": float(s.mean()), "real_mean_ci": mean_ci,
            "mean_outside_ci": not (mean_ci[0] <= s.mean() <= mean_ci[1]),
            "real_var": float(r.var()), "synthetic_var": float(s.var()), "real_var_ci": var_ci,
            "var_outside_ci": not (var_ci[0] <= s.var() <= var_ci[1]),
        }
    return out


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    ka, kb = a.max() + 1, b.max() + 1
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    if min(table.shape) < 2:
        return 0.0
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


def _correlation_ratio(codes: np.ndarray, x: np.ndarray) -> float:
    ok = ~np.isnan(x)
    codes, x = codes[ok], x[ok]
    if x.size < 2 or x.var() == 0:
        return 0.0
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=x)
    present = counts > 0
    means = sums[present] / counts[present]
    between = np.sum(counts[present] * (means - x.mean()) ** 2)
    return float(np.sqrt(between / (x.var() * x.size)))


def _pair(c1: Column, c2: Column, which: str, method: str) -> float:
    a, b = getattr(c1, which), getattr(c2, which)
    if c1.kind == c2.kind == "numerical":
        ok = ~np.isnan(a) & ~np.isnan(b)
        if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
            return 0.0
        f = stats.pearsonr if method == "pearson" else stats.spearmanr
        return float(f(a[ok], b[ok])[0])
    if c1.kind == c2.kind == "categorical":
        return _cramers_v(a, b)
    codes, x = (a, b) if c1.kind == "categorical" else (b, a)
    return _correlation_ratio(codes, x)


def correlation_matrices(columns: list[Column]) -> dict[str, Any]:
    """Pearson and Spearman over numerical columns; a mixed association matrix over all
    columns (|Pearson|, Cramer's V, correlation ratio); each with the Frobenius norm of the
    real - synthetic difference."""
    out: dict[str, Any] = {}
    numeric = [c for c in columns if c.kind == "numerical"]
    for method in ("pearson", "spearman"):
        if len(numeric) < 2:
            continue
        mats = {w: np.eye(len(numeric)) for w in ("real", "synthetic")}
        for i in range(len(numeric)):
            for j in range(i + 1, len(numeric)):
                for w in mats:
                    mats[w][i, j] = mats[w][j, i] = _pair(numeric[i], numeric[j], w, method)
        out[method] = {"columns": [c.name for c in numeric], "real": mats["real"].tolist(),
                       "synthetic": mats["synthetic"].tolist(),
                       "frobenius_error": float(np.linalg.norm(mats["real"] - mats["synthetic"]))}
    mats = {w: np.eye(len(columns)) for w in ("real", "synthetic")}
    for i in range(len(columns)):
        for j in range(i + 1, len(columns)):
            for w in mats:
                v = _pair(columns[i], columns[j], w, "pearson")
                mats[w][i, j] = mats[w][j, i] = abs(v)
    out["association"] = {"columns": [c.name for c in columns], "real": mats["real"].tolist(),
                          "synthetic": mats["synthetic"].tolist(),
                          "frobenius_error": float(np.linalg.norm(mats["real"] - mats["synthetic"]))}
    return out


def features(columns: list[Column], which: str) -> np.ndarray:
    """Numbers standardised on the real data (missing -> 0 plus an indicator), categories one-hot."""
    parts = []
    for c in columns:
        x = getattr(c, which)
        if c.kind == "numerical":
            r = c.real[~np.isnan(c.real)]
            mu, sd = (r.mean(), r.std() or 1.0) if r.size else (0.0, 1.0)
            parts.append(np.nan_to_num((x - mu) / sd)[:, None])
            if np.isnan(c.real).any() or np.isnan(c.synthetic).any():
                parts.append(np.isnan(x)[:, None].astype(float))
        else:
            k = len(c.categories or []) + 1
            onehot = np.zeros((x.size, k))
            onehot[np.arange(x.size), x] = 1.0
            parts.append(onehot)
    return np.hstack(parts)


def detection(columns: list[Column], seed: int) -> dict[str, Any]:
    """Cross-validated ROC AUC of a logistic regression telling real rows from synthetic ones
    (0.5: indistinguishable), and SDMetrics' LogisticDetection score 1 - (2 max(AUC, .5) - 1)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    smaller = min(len(columns[0].real), len(columns[0].synthetic))
    n_folds = min(CV_FOLDS, smaller)  # each fold needs a real and a synthetic row
    if n_folds < 2:
        return {"model": "logistic regression", "folds": 0, "auc": float("nan"), "auc_folds": [],
                "score": float("nan"),
                "skipped": f"the smaller table has {smaller} row(s); cross-validation needs at least 2 of each"}
    x = np.vstack([features(columns, "real"), features(columns, "synthetic")])
    y = np.r_[np.zeros(len(columns[0].real)), np.ones(len(columns[0].synthetic))]
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    auc = cross_val_score(LogisticRegression(max_iter=500), x, y, cv=folds, scoring="roc_auc")
    mean = float(auc.mean())
    return {"model": "logistic regression", "folds": n_folds, "auc": mean, "auc_folds": auc.tolist(),
            "score": 1 - (2 * max(mean, 0.5) - 1)}


def utility(columns: list[Column], holdout: list[Column], target: str, seed: int) -> dict[str, Any]:
    """Train on synthetic, test on the real holdout (TSTR) against train on real, test on the
    holdout (TRTR): macro F1 for a categorical target, R^2 for a numerical one."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score

    names = [c.name for c in columns]
    t = names.index(target)
    inputs = [c for c in columns if c.name != target]
    hold_inputs = [h for h in holdout if h.name != target]
    x_real, x_syn = features(inputs, "real"), features(inputs, "synthetic")
    x_hold = _holdout_features(inputs, hold_inputs)  # encoded as the training rows are
    tc, th = columns[t], holdout[t]
    if tc.kind == "categorical":
        model = HistGradientBoostingClassifier(random_state=seed)
        y_real, y_syn, y_hold = tc.real, tc.synthetic, th.real
        score = lambda m, x, y: float(f1_score(y, m.predict(x), average="macro"))  # noqa: E731
        metric = "macro F1"
    else:
        keep = (~np.isnan(tc.real), ~np.isnan(tc.synthetic), ~np.isnan(th.real))
        x_real, x_syn, x_hold = x_real[keep[0]], x_syn[keep[1]], x_hold[keep[2]]
        y_real, y_syn, y_hold = tc.real[keep[0]], tc.synthetic[keep[1]], th.real[keep[2]]
        model = HistGradientBoostingRegressor(random_state=seed)
        score = lambda m, x, y: float(r2_score(y, m.predict(x)))  # noqa: E731
        metric = "R^2"
    trtr = score(model.fit(x_real, y_real), x_hold, y_hold)
    tstr = score(model.fit(x_syn, y_syn), x_hold, y_hold)
    return {"target": target, "metric": metric, "train_real": trtr, "train_synthetic": tstr,
            "ratio": tstr / trtr if trtr else float("nan")}


def _holdout_features(train: list[Column], hold: list[Column]) -> np.ndarray:
    """Holdout rows encoded exactly as the training rows are (standardised on the real data)."""
    mixed = [Column(t.name, t.kind, t.real, h.real, t.categories) for t, h in zip(train, hold)]
    return features(mixed, "synthetic")
