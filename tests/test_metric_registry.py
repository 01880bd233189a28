"""The metric registry (evaluate/metrics.py): every number a report's summary holds is a
registered metric with a definition, every registered metric appears when its needs are met,
and gates are checked against the registry before any evaluation runs."""

from __future__ import annotations

import pytest

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.gates import check_gates, parse_gates
from synthloom.evaluate.metrics import Metric, definitions, metric_for, metrics, register, text_summary
from synthloom.evaluate.report import evaluate_tables
from synthloom.evaluate.text import text_report
from synthloom.evaluate.text_leaves import leaf_report
from synthloom.models.embeddings import embedder
from synthloom.testing.tables import mixed_table

from .conftest import run_cli


@pytest.fixture(scope="module")
def full_table_report():
    """A table report with every option that makes a metric appear: holdout, sensitive, target."""
    real, synthetic, holdout = (mixed_table(600, seed=s).to_pandas() for s in (0, 1, 2))
    return evaluate_tables(real, synthetic, holdout=holdout, sensitive=["sex"], target="insured", n_attacks=200)


@pytest.fixture(scope="module")
def full_text_summary():
    texts = [f"the river {w} carries silt to the delta every spring" for w in ("north", "south", "east", "west")]
    reference = ["the river north carries silt to the delta every spring", "a mountain lake holds cold water",
                 "wind moves the dunes across the desert floor", "snow melts on the high passes in june"]
    sets = {"prompts": text_report(texts, reference, leaves=["a"], all_leaves=["a", "b"], embedding="tfidf"),
            "responses": text_report(texts[::-1], reference, embedding="tfidf")}
    six = texts + ["wind moves the dunes across the desert floor", "snow melts on the high passes"]
    sets["prompts"]["leaves"] = leaf_report(six, ["a", "a", "b", "b", "c", "c"],
                                            {"a": reference[:1], "b": reference[1:2], "c": reference[2:]},
                                            embedder("tfidf", six + reference))
    judged = {"quality.helpfulness": {"counts": {"1": 1, "2": 1}, "mean": 1.5, "n": 2}}
    return text_summary(sets, judged)


def test_every_table_summary_key_is_a_registered_metric_and_every_table_metric_appears(full_table_report):
    summary = full_table_report["summary"]
    # mixed_table has no category under 5% of the rows: tests/test_collapse_risk.py shows that one
    assert {metric_for(k).name for k in summary} == {m.name for m in metrics("table")} - {"rare_categories_retained"}
    assert set(full_table_report["definitions"]) == set(summary)
    assert all(full_table_report["definitions"][k] for k in summary)


def test_every_text_summary_key_is_a_registered_metric_and_every_text_metric_appears(full_text_summary):
    text_metrics = {m.name for m in metrics() if m.report_kind == "text" and m.scope != "review"}
    assert {metric_for(k).name for k in full_text_summary} == text_metrics
    # per-set metrics are given once per set; the judge's once per column.attribute
    assert "prompts_vendi" in full_text_summary and "responses_vendi" in full_text_summary
    assert full_text_summary["judge_quality.helpfulness_mean"] == 1.5
    assert full_text_summary["leaf_coverage"] == 0.5
    assert set(definitions(full_text_summary)) == set(full_text_summary)


def test_a_missing_need_leaves_its_metric_out():
    real, synthetic = (mixed_table(400, seed=s).to_pandas() for s in (0, 1))
    summary = evaluate_tables(real, synthetic, detect=False)["summary"]
    absent = {m.name for m in metrics("table")} - set(summary)
    assert absent == {"detection_auc", "utility_ratio", "dcr_holdout_share", "membership_auc", "singling_out_risk",
                      "linkability_risk", "inference_risk", "min_group_ratio", "vanished_groups",
                      "rare_categories_retained"}
    assert all(metric_for(name).needs for name in absent)  # each says what would make it appear


def test_the_registry_refuses_a_name_twice_and_a_per_set_name_without_its_placeholder():
    with pytest.raises(ValueError, match="twice"):
        register(Metric("quality", "table", "higher", "again", lambda p: 1.0))
    with pytest.raises(ValueError, match=r"\{set\}"):
        register(Metric("distinct_9", "text_set", "higher", "no placeholder", lambda p: 1.0))
    assert "distinct_9" not in {m.name for m in metrics()}


def test_a_gate_on_no_metric_is_refused_as_it_is_read_with_the_closest_names():
    with pytest.raises(SynthloomError, match=r"'qualty' is not a metric synthloom reports; did you mean quality\?"):
        parse_gates(["qualty >= 0.8"], "gates.yaml")
    with pytest.raises(SynthloomError, match=r"gates.yaml\[1\]: 'nope' is not a metric"):
        parse_gates(["quality >= 0.8", "nope > 1"], "gates.yaml")
    assert [str(g) for g in parse_gates(["question_pii == 0", "judge_q.clarity_mean >= 3"])] == [
        "question_pii == 0", "judge_q.clarity_mean >= 3"]  # names made of a set or a judge are metrics


def test_a_gate_on_a_metric_the_report_lacks_says_what_it_needs_or_what_the_report_has():
    with pytest.raises(SynthloomError, match=r"does not have \(it needs --target and --holdout\)"):
        check_gates(parse_gates(["utility_ratio > 0.5"]), {"quality": 1.0})
    with pytest.raises(SynthloomError, match=r"does not have; it has prompts_pii, responses_pii"):
        check_gates(parse_gates(["question_pii == 0"]), {"prompts_pii": 0, "responses_pii": 1})


def test_a_table_gate_on_a_run_is_refused_before_the_run_is_read(tmp_path):
    """The kind of report is checked before evaluation: the run folder here does not even exist."""
    from synthloom.workflows.gates import gate_run

    with pytest.raises(SynthloomError, match="'quality' is a metric of table reports, and this is a text report"):
        gate_run(tmp_path / "no-such-run", parse_gates(["quality >= 0.8"]))


def test_the_cli_lists_every_metric(tmp_path):
    listed = run_cli("evaluate", "--metrics")
    assert listed.returncode == 0, listed.stderr
    for m in metrics():
        assert m.name in listed.stdout
    gates = tmp_path / "gates.yaml"
    gates.write_text("gates: [exact_copeis == 0]\n")
    refused = run_cli("evaluate", "--real", "a.csv", "--synthetic", "b.csv", "--gates", str(gates))
    assert refused.returncode != 0 and "did you mean exact_copies" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_every_review_figure_is_a_registered_metric():
    """The review.* figures release gates read (data/review/outcome.py) are all registered, and
    every registered review metric is one of them."""
    from synthloom.data.review.agreement import Agreement
    from synthloom.data.review.outcome import ReviewOutcome

    both = Agreement(0.6, 0.2, 0.9, 12)
    summary = ReviewOutcome(20, 12, 9, 3, 2, ["ana", "ben"], alpha=both, kappa=both).summary()
    assert {metric_for(k).name for k in summary} == {m.name for m in metrics("review")} == set(summary)
    assert set(definitions(summary)) == set(summary)
