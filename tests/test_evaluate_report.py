"""Tabular evaluation report and gates: copies fail privacy, noise passes it, a dropped
minority trips the bias flag, the JSON is reproducible, the distance search is exact."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.distance import _numeric_part, _ranges, encode, nearest, nearest_with_index
from synthloom.evaluate.gates import check_gates, parse_gates
from synthloom.evaluate.report import evaluate_tables, write_report
from synthloom.evaluate.tables import aligned_columns
from synthloom.testing.tables import mixed_table

from .conftest import run_cli

GATES = parse_gates(["exact_copies == 0", "dcr_holdout_share <= 0.6", "quality >= 0.8"])


@pytest.fixture(scope="module")
def tables():
    return mixed_table(3_000, seed=0).to_pandas(), mixed_table(3_000, seed=1).to_pandas()


def _noise(real: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = {}
    for c in real.columns:
        x = real[c]
        if x.dtype.kind in "fi":
            out[c] = rng.uniform(x.min(), x.max(), len(x))
        else:
            out[c] = rng.permutation(x.values)
    return pd.DataFrame(out)


def test_nearest_neighbours_are_exact():
    real, other = mixed_table(600, seed=2), mixed_table(500, seed=3)
    cols = aligned_columns(real, other)
    r, s = encode(cols, "real"), encode(cols, "synthetic")
    d1, d2 = nearest(s, r)
    k = r.numbers.shape[1] + r.codes.shape[1]
    brute = (_numeric_part(s.numbers, r.numbers, _ranges(r)) + (s.codes[:, None, :] != r.codes[None, :, :]).sum(2)) / k
    brute.sort(axis=1)
    np.testing.assert_allclose(d1, brute[:, 0], atol=1e-12)
    np.testing.assert_allclose(d2, brute[:, 1], atol=1e-12)
    (n1, _), index = nearest_with_index(s, r)
    full = (_numeric_part(s.numbers, r.numbers, _ranges(r)) + (s.codes[:, None, :] != r.codes[None, :, :]).sum(2)) / k
    np.testing.assert_allclose(full[np.arange(len(index)), index], n1, atol=1e-12)  # the index is a nearest row


def test_a_copy_is_faithful_and_fails_privacy(tables):
    real, holdout = tables
    report = evaluate_tables(real, real.copy(), holdout=holdout)
    s = report["summary"]
    assert s["quality"] == pytest.approx(1.0) and s["exact_copy_share"] == 1.0 and s["dcr_holdout_share"] == 1.0
    assert s["membership_auc"] > 0.95
    failed = {str(g) for g, _ in check_gates(GATES, s)}
    assert failed == {"exact_copies == 0", "dcr_holdout_share <= 0.6"}


def test_independent_noise_is_unfaithful_and_passes_privacy(tables):
    real, holdout = tables
    s = evaluate_tables(real, _noise(real), holdout=holdout)["summary"]
    assert s["quality"] < 0.85 and s["exact_copies"] == 0
    assert 0.4 < s["dcr_holdout_share"] < 0.6 and s["dcr_baseline_ratio"] > 0.5
    assert 0.45 < s["membership_auc"] < 0.55
    assert {str(g) for g, _ in check_gates(GATES, s)} == {"quality >= 0.8"}


def test_a_dropped_minority_trips_the_bias_flag(tables):
    real, _ = tables
    synthetic = real[real.region != "north"].sample(len(real), replace=True, random_state=0)
    report = evaluate_tables(real, synthetic, sensitive=["region", "sex"])
    region = report["bias"]["region"]
    assert region["vanished"] == ["north"] and region["groups"]["north"]["under_four_fifths"]
    assert report["summary"]["min_group_ratio"] == 0.0 and report["summary"]["vanished_groups"] >= 1
    assert "region x sex" in report["bias"]
    assert check_gates(parse_gates(["min_group_ratio >= 0.8"]), report["summary"])
    fair = evaluate_tables(real, real.sample(frac=1, random_state=1), sensitive=["region"])
    assert fair["summary"]["min_group_ratio"] == pytest.approx(1.0)


def test_same_inputs_and_seed_same_json(tmp_path, tables):
    real, holdout = tables
    syn = _noise(real, seed=4)
    a = write_report(evaluate_tables(real, syn, holdout=holdout, seed=3), tmp_path / "a")
    b = write_report(evaluate_tables(real, syn, holdout=holdout, seed=3), tmp_path / "b")
    strip = lambda p: {k: v for k, v in json.loads(p.read_text()).items() if k != "seconds"}  # noqa: E731
    assert strip(a) == strip(b)
    assert "definitions" in json.loads(a.read_text())


def test_gate_errors():
    with pytest.raises(SynthloomError, match="is not a gate"):
        parse_gates(["quality is good"])
    with pytest.raises(SynthloomError, match="'nope' is not a metric"):
        parse_gates(["nope > 1"])
    with pytest.raises(SynthloomError, match="names 'utility_ratio', which this report does not have"):
        check_gates(parse_gates(["utility_ratio > 1"]), {"quality": 1.0})


def test_evaluate_cli_exit_codes(tmp_path, tables):
    real, holdout = tables
    for name, df in (("real", real), ("holdout", holdout), ("noise", _noise(real))):
        df.to_parquet(tmp_path / f"{name}.parquet")
    gates = tmp_path / "gates.yaml"
    gates.write_text("gates:\n  - exact_copies == 0\n  - dcr_holdout_share <= 0.6\n")
    args = ["evaluate", "--real", str(tmp_path / "real.parquet"), "--holdout", str(tmp_path / "holdout.parquet"),
            "--gates", str(gates), "-o", str(tmp_path / "out")]
    copied = run_cli(*args, "--synthetic", str(tmp_path / "real.parquet"))
    assert copied.returncode == 4, copied.stderr
    assert "gate failed: exact_copies == 0" in copied.stderr and "gate failed: dcr_holdout_share <= 0.6" in copied.stderr
    passed = run_cli(*args, "--synthetic", str(tmp_path / "noise.parquet"))
    assert passed.returncode == 0, passed.stderr
    assert (tmp_path / "out" / "report.json").exists()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a table")
    bad = run_cli("evaluate", "--real", str(notes), "--synthetic", str(tmp_path / "noise.parquet"))
    assert bad.returncode == 2 and "unknown file type '.txt'" in bad.stderr and "Traceback" not in bad.stderr


def test_kd_tree_path_is_exact_including_out_of_range_and_missing():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({f"x{i}": rng.normal(size=3_000) for i in range(5)})
    syn = pd.DataFrame({f"x{i}": rng.normal(scale=1.5, size=400) for i in range(5)})  # some beyond the range
    syn.loc[::7, "x2"] = np.nan  # a different missingness signature
    cols = aligned_columns(real, syn)
    r, s = encode(cols, "real"), encode(cols, "synthetic")
    (d1, d2), index = nearest_with_index(s, r)
    brute = _numeric_part(s.numbers, r.numbers, _ranges(r)) / 5
    np.testing.assert_allclose(brute[np.arange(len(index)), index], d1, atol=1e-12)
    brute.sort(axis=1)
    np.testing.assert_allclose(d1, brute[:, 0], atol=1e-12)
    np.testing.assert_allclose(d2, brute[:, 1], atol=1e-12)


def test_statistics_tell_a_copy_from_noise(tables):
    real, holdout = tables
    copy = evaluate_tables(real, real.copy(), holdout=holdout, target="plan")
    s = copy["summary"]
    assert s["pearson_frobenius"] == pytest.approx(0.0, abs=1e-12) and s["means_outside_ci"] == 0
    assert 0.4 < s["detection_auc"] < 0.6 and s["utility_ratio"] == pytest.approx(1.0)
    assert 0.9 < s["quality_noise_floor"] < 1.0  # two real halves differ by sampling noise only
    noise = evaluate_tables(real, _noise(real), holdout=holdout, target="plan")["summary"]
    assert noise["detection_auc"] > 0.6 and noise["means_outside_ci"] >= 3
    assert noise["pearson_frobenius"] > 0.5 and noise["utility_ratio"] < 0.9
    with pytest.raises(SynthloomError, match="needs real rows the synthesizer never saw"):
        evaluate_tables(real, real, target="plan")


def test_html_report_is_self_contained_and_escapes_data(tmp_path, tables):
    real, holdout = tables
    bad = "<script>alert(1)</script>"
    real, holdout = real.rename(columns={"region": bad}), holdout.rename(columns={"region": bad})
    report = evaluate_tables(real, real.sample(frac=1, random_state=2), holdout=holdout, sensitive=[bad])
    write_report(report, tmp_path, [{"rule": "exact_copies == 0", "value": 3000, "passed": False}])
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("data:image/png;base64,") >= len(report["columns"]) + 2  # overlays, heatmap, DCR, groups
    assert "FAILED" in html and "http://" not in html and "https://" not in html


def test_export_requires_gates(tmp_path, scripted_server):
    from .test_builtin_recipes import run_builtin

    server = scripted_server()
    summary, _, _ = run_builtin("preference_pairs", tmp_path, server, ["target_rows=2"])
    gates = tmp_path / "gates.yaml"
    gates.write_text("- responses_exact_copies == 0\n")
    missing = run_cli("export", str(summary.run_dir), "-f", "dpo", "--gates", str(gates))
    assert missing.returncode == 2 and "run `synthloom evaluate`" in missing.stderr
    from synthloom.data.runs.run_reader import open_run

    with open_run(summary.run_dir) as run:
        judged = run.stamp(run.rows("evaluate"))  # a report counts only for the rows it judged
    (summary.run_dir / "report.json").write_text(json.dumps({"judged": judged, "summary": {"responses_exact_copies": 3}}))
    refused = run_cli("export", str(summary.run_dir), "-f", "dpo", "--gates", str(gates))
    assert refused.returncode == 2 and "not released: 1 gate(s) failed: responses_exact_copies == 0 (got 3)" in refused.stderr
    assert not (summary.run_dir / "export").exists()
    (summary.run_dir / "report.json").write_text(json.dumps({"judged": judged, "summary": {"responses_exact_copies": 0}}))
    tables_gate = tmp_path / "table-gates.yaml"
    tables_gate.write_text("- exact_copies == 0\n")  # a table report's metric: refused on a run, one sentence
    wrong = run_cli("export", str(summary.run_dir), "-f", "dpo", "--gates", str(tables_gate))
    assert wrong.returncode == 2 and "'exact_copies' is a metric of table reports" in wrong.stderr
    ok = run_cli("export", str(summary.run_dir), "-f", "dpo", "--gates", str(gates))
    assert ok.returncode == 0 and (summary.run_dir / "export" / "dpo.jsonl").exists()


def test_attacks_find_a_copy_and_not_noise(tables):
    real, holdout = tables
    copy = evaluate_tables(real, real.copy(), holdout=holdout, sensitive=["plan"], detect=False, n_attacks=500)
    s = copy["summary"]
    assert s["inference_risk"] > 0.8
    inf = copy["privacy"]["attacks"]["inference"]["plan"]
    assert inf["risk_ci"][0] <= inf["risk"] <= inf["risk_ci"][1] and inf["control_rate"] < inf["attack_rate"]
    noise = evaluate_tables(real, _noise(real), holdout=holdout, sensitive=["plan"], detect=False, n_attacks=500)
    assert noise["summary"]["inference_risk"] < 0.1 and noise["summary"]["linkability_risk"] < 0.05
