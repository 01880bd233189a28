"""Text evaluation: diversity falls for repetitive corpora, copies of seeds are caught, PII is found."""

from __future__ import annotations

import json

import pytest

from synthloom.data.text.shared_span import longest_shared_span
from synthloom.evaluate.text import (
    bleu4, compression_ratio, distinct_n, text_report, vendi,
)
from synthloom.data.text.pii import pii_counts as pii
from synthloom.data.text.similarity import words

from .conftest import run_cli
from .test_builtin_recipes import run_builtin

def _varied(n: int = 48) -> list[str]:
    import random

    rng = random.Random(0)
    pool = ("alpha beta gamma delta river mountain engine market memory bridge vaccine compiler rain tide "
            "farmer doctor sailor coder teacher pilot quick careful bold quiet eager bright plain coastal").split()
    return [" ".join(rng.sample(pool, 9)) + f" number {i}." for i in range(n)]


VARIED = _varied()
REPETITIVE = ["The quick teacher explains how rain works in rural settings."] * 48


def test_diversity_metrics_separate_varied_from_repetitive():
    v, r = text_report(VARIED, seed=0)["diversity"], text_report(REPETITIVE, seed=0)["diversity"]
    assert v["distinct_2"] > 3 * r["distinct_2"]
    assert v["self_bleu"] < r["self_bleu"] == pytest.approx(1.0)
    assert v["vendi"] > 5 * r["vendi"] and r["vendi"] == pytest.approx(1.0, abs=1e-6)
    assert r["near_duplicate_rate"] > 0.95 and v["near_duplicate_rate"] < 0.2
    assert compression_ratio(REPETITIVE) < compression_ratio(VARIED)
    lo, hi = v["distinct_2_ci"]
    assert lo <= v["distinct_2"] <= hi


def test_compression_sees_repeats_beyond_a_32k_window():
    import random

    rng = random.Random(0)
    block = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega", "sigma"]) + str(rng.randint(0, 99))
                     for _ in range(8000))  # ~60 KB of noise, then the same again
    assert compression_ratio([block, block]) < 0.6 * compression_ratio([block])


def test_definitions():
    assert distinct_n([["a", "b", "a", "b"]], 1) == 0.5
    assert bleu4(words("the cat sat on the mat"), [words("the cat sat on the mat")]) == pytest.approx(1.0)
    assert longest_shared_span("so the cat sat on the mat today", ["a cat sat on the mat"], {}) == 5
    found = pii(["mail me at ann@example.org or 555-123-4567", "card 4111 1111 1111 1111, not 4111 1111 1111 1112"])
    assert found["email"] == 1 and found["phone"] == 1 and found["credit_card"] == 1
    import numpy as np

    assert vendi(np.eye(5)) == pytest.approx(5.0)


def test_copies_of_the_reference_are_caught():
    ref = VARIED[:10]
    report = text_report(ref[:5] + VARIED[20:40], reference=ref, seed=0)
    assert report["privacy"]["exact_copies"] == 5 and report["privacy"]["longest_shared_span_max"] >= 10
    assert 0 <= report["fidelity"]["precision"] <= 1


def test_evaluate_a_run_dir_with_gates(tmp_path, taxonomy_dir, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, _, rows = run_builtin("lab_freeform_skills", tmp_path, server,
                                [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=2"])
    gates = tmp_path / "gates.yaml"
    gates.write_text("- leaf_coverage >= 0.99\n- responses_pii == 0\n")
    result = run_cli("evaluate", str(summary.run_dir), "--gates", str(gates), "--embedding", "tfidf")
    assert result.returncode == 0, result.stderr
    report = json.loads((summary.run_dir / "report.json").read_text())
    assert report["kind"] == "text" and report["summary"]["leaf_coverage"] == 1.0
    assert report["sets"]["responses"]["fidelity"]["embedding"].startswith("tf-idf")
    per_leaf = report["sets"]["responses"]["leaves"]["leaves"]  # the run's rows by the leaf they came from
    assert set(per_leaf) == {r["leaf"] for r in rows} and all(v["rows"] == 2 and "fidelity" in v for v in per_leaf.values())
    assert "responses_leaf_fidelity_min" in report["summary"]
    judged = report["judge_scores"]  # the scripted judge gives the top score to every attribute
    assert judged and all(d["counts"]["5"] == d["n"] > 0 for d in judged.values())
    page = (summary.run_dir / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1
    assert "responses per taxonomy leaf" in page and all(leaf in page for leaf in per_leaf)
    strict = tmp_path / "strict.yaml"
    strict.write_text("- prompts_self_bleu <= 0.0001\n")
    failed = run_cli("evaluate", str(summary.run_dir), "--gates", str(strict), "--embedding", "tfidf")
    assert failed.returncode == 4 and "gate failed: prompts_self_bleu <= 0.0001" in failed.stderr
    both = run_cli("evaluate", str(summary.run_dir), "--real", "x.csv")
    assert both.returncode == 2 and "not both" in both.stderr
