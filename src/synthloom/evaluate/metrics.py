"""The metrics a report's summary holds and gates may name, registered in one place.

Each metric says what it means, which way is good, what it needs to exist (a holdout, a target,
reference texts, ...) and how it is read from the detailed part of the report it summarises.
The table and text summaries are built from this registry, the reports' definitions come from
it, `synthloom evaluate --metrics` lists it, and a gate that names a metric is checked against it
before any evaluation runs, so a typo is one sentence with a suggestion, not a slow failure.

A new metric: compute it in its module (fidelity.py, privacy.py, text.py, ...) and add one
`register(Metric(...))` here. A test fails if a summary holds a key no metric describes.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

Scope = Literal["table", "text_set", "text_run", "judge", "review", "collapse"]
Better = Literal["higher", "lower", "half"]

# What a scope's `read` gets: a table report's parts (fidelity, privacy, attacks, bias, floor);
# one text set's report (diversity, fidelity, privacy); all text sets by name; one judge
# attribute's score distribution; a run's review summary (data/review/outcome.py), which the
# release gates read beside the run's report; or a drift report's summary (collapse/drift.py),
# which `synthloom drift --gates` reads.
PLACEHOLDER = {"text_set": "{set}", "judge": "{judge}"}
REPORT_KIND = {"table": "table", "text_set": "text", "text_run": "text", "judge": "text", "review": "text",
               "collapse": "drift"}
BETTER = {"higher": "higher is better", "lower": "lower is better", "half": "0.5 means no signal"}


@dataclass(frozen=True)
class Metric:
    name: str  # the summary key; text-set metrics carry "{set}", judge metrics "{judge}"
    scope: Scope
    better: Better
    definition: str
    read: Callable[[Any], Any]  # the value from its part of the report; None when it does not apply
    needs: str = ""  # when the metric can be missing: what makes it appear

    @property
    def report_kind(self) -> str:
        return REPORT_KIND[self.scope]

    def pattern(self) -> re.Pattern[str]:
        """The summary keys this metric makes: its name with the placeholder standing for any name."""
        holder = PLACEHOLDER.get(self.scope)
        if holder is None:
            return re.compile(re.escape(self.name) + r"\Z")
        before, after = self.name.split(holder)
        return re.compile(re.escape(before) + r".+" + re.escape(after) + r"\Z")


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is registered twice")
    holder = PLACEHOLDER.get(metric.scope)
    if holder is not None and metric.name.count(holder) != 1:
        raise ValueError(f"metric {metric.name!r} must name {holder} once")
    METRICS[metric.name] = metric
    return metric


def metrics(scope: Scope | None = None) -> list[Metric]:
    return [m for m in METRICS.values() if scope is None or m.scope == scope]


def metric_for(key: str) -> Metric | None:
    """The registered metric a summary key (or a gate's metric name) belongs to."""
    exact = METRICS.get(key)
    if exact is not None and exact.scope not in PLACEHOLDER:
        return exact
    for m in METRICS.values():
        if m.pattern().match(key):
            return m
    return None


def definitions(summary: dict[str, Any]) -> dict[str, str]:
    """Each summary key's definition, for the report beside its numbers."""
    out = {}
    for key in summary:
        m = metric_for(key)
        if m is not None:
            out[key] = f"{m.definition} ({BETTER[m.better]})"
    return out


def table_summary(parts: dict[str, Any]) -> dict[str, Any]:
    return {m.name: v for m in metrics("table") if (v := m.read(parts)) is not None}


def text_summary(sets: dict[str, dict[str, Any]], judged: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for set_name, rep in sets.items():
        for m in metrics("text_set"):
            if (v := m.read(rep)) is not None:
                summary[m.name.replace("{set}", set_name)] = v
    for m in metrics("text_run"):
        if (v := m.read(sets)) is not None:
            summary[m.name] = v
    for key, dist in judged.items():
        for m in metrics("judge"):
            if (v := m.read(dist)) is not None:
                summary[m.name.replace("{judge}", key)] = v
    return summary


def unknown_metric(name: str, report_kind: str | None = None) -> str | None:
    """One sentence if `name` is no metric (of this kind of report), with the closest names;
    None if it may appear."""
    m = metric_for(name)
    if m is not None and (report_kind is None or m.report_kind == report_kind):
        return None
    if m is not None:
        return f"'{name}' is a metric of {m.report_kind} reports, and this is a {report_kind} report"
    names = [x.name for x in metrics() if report_kind is None or x.report_kind == report_kind]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; `synthloom evaluate --metrics` lists them"
    return f"'{name}' is not a metric synthloom reports{hint}"


def why_missing(name: str) -> str:
    """Why a known metric is absent from a report, as the end of a sentence."""
    m = metric_for(name)
    return f" (it needs {m.needs})" if m is not None and m.needs else ""


def _get(*path: str) -> Callable[[Any], Any]:
    """A reader of a nested value; None when any step is missing."""
    def read(obj: Any) -> Any:
        for key in path:
            if not isinstance(obj, dict) or key not in obj:
                return None
            obj = obj[key]
        return obj
    return read


def _sum_moments(flag: str) -> Callable[[Any], Any]:
    return lambda p: sum(m[flag] for m in p["fidelity"]["moments"].values())


def _strong(field: str) -> Callable[[Any], Any]:
    """A strong-pair figure, or None when the real table has no strong pair."""
    return lambda p: p["fidelity"]["strong_pairs"][field] if p["fidelity"]["strong_pairs"]["count"] else None


def _max_inference(p: dict[str, Any]) -> Any:
    inference = (p["attacks"] or {}).get("inference")
    return max(a["risk"] for a in inference.values()) if inference else None


def _bias(fold: Callable[[Iterable[Any]], Any], field: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    return lambda p: fold(field(b) for b in p["bias"].values()) if p["bias"] else None


def _count_flagged(rep: dict[str, Any]) -> Any:
    leaves = rep.get("leaves")
    return len(leaves["flagged"]) if isinstance(leaves, dict) else None


def _leaf_coverage(sets: dict[str, Any]) -> Any:
    for rep in sets.values():
        if "leaf_coverage" in rep["diversity"]:
            return rep["diversity"]["leaf_coverage"]
    return None


def _register_all(items: list[Metric]) -> None:
    for item in items:
        register(item)


DRIFT = "a drift report (synthloom drift)"
REVIEW = "a review of the run (`synthloom review RUN`)"
STRONG = "a pair of columns with strong real association"
HOLDOUT = "a holdout table the synthesizer never saw (--holdout)"

_register_all([
    # tables: fidelity
    Metric("quality", "table", "higher", "mean of column_shapes and column_pair_trends (SDMetrics' QualityReport "
           "definition, all pairs)", _get("fidelity", "score")),
    Metric("column_shapes", "table", "higher", "mean per-column KS complement (numbers, datetimes) or TV complement "
           "(categories)", _get("fidelity", "column_shapes")),
    Metric("column_pair_trends", "table", "higher", "mean per-pair correlation similarity (two numerical columns) or "
           "contingency similarity", _get("fidelity", "column_pair_trends")),
    Metric("quality_sdmetrics", "table", "higher", "mean of column_shapes and column_pair_trends_strong (SDMetrics' "
           "QualityReport with its default thresholds; column_shapes alone when no pair is strong)",
           _get("fidelity", "score_sdmetrics")),
    Metric("column_pair_trends_strong", "table", "higher", "mean pair-trend score over the strong pairs: |Pearson r| "
           "above 0.5 (two numerical columns) or Cramer's V above 0.3 in the real table", _strong("mean"),
           needs=STRONG),
    Metric("strong_pair_min", "table", "higher", "the lowest pair-trend score among the strong pairs (the "
           "relationship the synthetic table keeps worst)", _strong("min"), needs=STRONG),
    Metric("weak_strong_pairs", "table", "lower", "strong pairs scoring below 0.9 (named in fidelity.strong_pairs)",
           lambda p: len(p["fidelity"]["strong_pairs"]["weak"]), needs=STRONG),
    # tables: privacy
    Metric("exact_copies", "table", "lower", "synthetic rows identical to a real row in every compared column "
           "(distance 0)", _get("privacy", "exact_copies")),
    Metric("exact_copy_share", "table", "lower", "exact_copies / synthetic rows", _get("privacy", "exact_copy_share")),
    Metric("near_copy_share", "table", "lower", "share of synthetic rows within distance 0.01 of a real row",
           _get("privacy", "near_copy_share")),
    Metric("dcr_median", "table", "higher", "median distance from a synthetic row to its closest real row "
           "(SDMetrics' mixed distance, 0..1)", _get("privacy", "dcr", "median")),
    Metric("dcr_baseline_ratio", "table", "higher", "median DCR of the synthetic rows / of uniformly random rows, "
           "capped at 1 (1 = as far as noise)", _get("privacy", "dcr_baseline_ratio")),
    Metric("nndr_median", "table", "higher", "median ratio of the nearest to the second-nearest real distance",
           _get("privacy", "nndr_median")),
    # tables: statistics
    Metric("means_outside_ci", "table", "lower", "numerical columns whose synthetic mean is outside the real mean's "
           "95% bootstrap interval", _sum_moments("mean_outside_ci")),
    Metric("variances_outside_ci", "table", "lower", "numerical columns whose synthetic variance is outside the "
           "real variance's 95% interval", _sum_moments("var_outside_ci")),
    Metric("association_frobenius", "table", "lower", "Frobenius norm of real - synthetic association matrix "
           "(|Pearson|, Cramer's V, correlation ratio)", _get("fidelity", "correlations", "association", "frobenius_error")),
    Metric("quality_noise_floor", "table", "higher", "quality between two random halves of the real data (the best "
           "a sample can expect)", _get("floor", "quality")),
    Metric("strong_pair_min_noise_floor", "table", "higher", "strong_pair_min between two random halves of the real "
           "data", lambda p: p["floor"].get("strong_pair_min"), needs=STRONG),
    Metric("pearson_frobenius", "table", "lower", "Frobenius norm of real - synthetic Pearson correlation matrix "
           "(numerical columns)", _get("fidelity", "correlations", "pearson", "frobenius_error"),
           needs="two numerical columns"),
    Metric("detection_auc", "table", "half", "5-fold cross-validated ROC AUC of a logistic regression telling real "
           "rows from synthetic (0.5 = indistinguishable)", _get("fidelity", "detection", "auc"),
           needs="the detection check (on unless evaluate_tables(detect=False))"),
    Metric("utility_ratio", "table", "higher", "score of a model trained on synthetic / trained on real, both tested "
           "on the holdout", _get("fidelity", "utility", "ratio"), needs="--target and --holdout"),
    Metric("dcr_holdout_share", "table", "half", "share of synthetic rows closer to the training rows than to the "
           "holdout, both sides at the holdout's size (seeded training samples; 0.5 = no memorisation)",
           _get("privacy", "dcr_holdout_share"), needs=HOLDOUT),
    Metric("membership_auc", "table", "half", "ROC AUC of a distance attack telling training rows from holdout rows "
           "via the synthetic data (0.5 = no signal)", _get("privacy", "membership", "auc"), needs=HOLDOUT),
    Metric("singling_out_risk", "table", "lower", "Anonymeter-style: extra success of univariate singling-out "
           "predicates read off the synthetic data on training vs control rows",
           _get("attacks", "singling_out", "risk"), needs=HOLDOUT),
    Metric("linkability_risk", "table", "lower", "Anonymeter-style: extra success linking two halves of a training "
           "row's columns through the synthetic data", _get("attacks", "linkability", "risk"),
           needs=f"{HOLDOUT} and two columns"),
    Metric("inference_risk", "table", "lower", "Anonymeter-style: largest extra success inferring a sensitive column "
           "from the others, training vs control rows", _max_inference, needs=f"{HOLDOUT} and --sensitive"),
    # tables: bias
    Metric("min_group_ratio", "table", "higher", "smallest synthetic/real share ratio over the sensitive groups "
           "(four-fifths rule flags < 0.8)", _bias(min, lambda b: b["min_ratio"]), needs="--sensitive columns"),
    Metric("vanished_groups", "table", "lower", "sensitive groups present in the real data and absent from the "
           "synthetic data", _bias(sum, lambda b: len(b["vanished"])), needs="--sensitive columns"),
    # tables: the first step of collapse (evaluate/collapse_risk.py)
    Metric("variance_ratio", "table", "higher", "median over numerical columns of synthetic / real variance (1 = "
           "the spread kept; collapse narrows it)", _get("collapse_risk", "variance_ratio"), needs="a numerical column"),
    Metric("tail_mass_ratio", "table", "higher", "median over numerical columns of the synthetic share beyond 2 real "
           "SDs / the real share (tails go first)", _get("collapse_risk", "tail_mass_ratio"),
           needs="a numerical column"),
    Metric("categories_retained", "table", "higher", "share of the real categories the synthetic data has",
           _get("collapse_risk", "categories_retained"), needs="a categorical column"),
    Metric("rare_categories_retained", "table", "higher", "share of the real categories under 5% of the rows that "
           "the synthetic data has", _get("collapse_risk", "rare_categories_retained"),
           needs="a categorical column with a rare value"),
    Metric("knn_recall", "table", "higher", "share of real rows inside the synthetic rows' 5-nearest-neighbour balls "
           "(variety kept)", _get("collapse_risk", "recall")),
    Metric("knn_coverage", "table", "higher", "share of real rows whose 5-nearest-neighbour ball holds a synthetic row",
           _get("collapse_risk", "coverage")),
    # text, per set of texts (prompts, responses, or each text column)
    Metric("{set}_distinct_2", "text_set", "higher", "distinct word bigrams / all word bigrams",
           _get("diversity", "distinct_2")),
    Metric("{set}_self_bleu", "text_set", "lower", "mean BLEU-4 of each sampled text against the others (Texygen's "
           "Self-BLEU on up to 200 texts)", _get("diversity", "self_bleu")),
    Metric("{set}_leaf_distinct_2_min", "text_set", "higher", "distinct word bigrams of the least varied taxonomy "
           "leaf (leaves of 2 or more rows)", _get("leaves", "distinct_2_min"), needs="a taxonomy seed"),
    Metric("{set}_leaf_fidelity_min", "text_set", "higher", "cosine similarity to its own seeds' centroid of the "
           "taxonomy leaf furthest from them (leaves of 2 or more rows)", _get("leaves", "fidelity_min"),
           needs="a taxonomy seed"),
    Metric("{set}_flagged_leaves", "text_set", "lower", "taxonomy leaves far below the median leaf on distinct "
           "bigrams or fidelity, or far above it on near duplicates", _count_flagged, needs="a taxonomy seed"),
    Metric("{set}_near_duplicate_rate", "text_set", "lower", "share of texts with a MinHash Jaccard of 0.8 or more "
           "to an earlier one", _get("diversity", "near_duplicate_rate")),
    Metric("{set}_vendi", "text_set", "higher", "Vendi score of the sentence embeddings of a seeded sample (the "
           "effective number of distinct texts)", _get("diversity", "vendi"), needs="two texts or more"),
    Metric("{set}_exact_copies", "text_set", "lower", "texts identical (after normalising) to a reference text",
           _get("privacy", "exact_copies"), needs="reference texts (the run's seed rows)"),
    Metric("{set}_near_copy_share", "text_set", "lower", "share of texts near-duplicate (MinHash) to a reference "
           "text", _get("privacy", "near_copy_share"), needs="reference texts (the run's seed rows)"),
    Metric("{set}_longest_shared_span", "text_set", "lower", "longest run of words any text shares with a "
           "reference text", _get("privacy", "longest_shared_span_max"), needs="reference texts (the run's seed rows)"),
    Metric("{set}_word_types_retained", "text_set", "higher", "share of the reference texts' word types the texts use",
           _get("collapse_risk", "type_coverage"), needs="reference texts (the run's seed rows)"),
    Metric("{set}_rare_words_retained", "text_set", "higher", "share of the reference's rare word types (seen at most "
           "twice) the texts use", _get("collapse_risk", "rare_type_coverage"),
           needs="reference texts (the run's seed rows)"),
    Metric("{set}_recall", "text_set", "higher", "share of reference texts inside the texts' 3-nearest-neighbour "
           "embedding balls (variety kept)", _get("collapse_risk", "recall"), needs="reference texts (the run's seed rows)"),
    Metric("{set}_pii", "text_set", "lower", "personal details found in the texts (all kinds)",
           lambda rep: sum(rep["privacy"]["pii"].values()) if "pii" in rep["privacy"] else None),
    # text, over the run
    Metric("leaf_coverage", "text_run", "higher", "share of the taxonomy's leaves that at least one kept row was "
           "made from", _leaf_coverage, needs="a taxonomy seed"),
    Metric("judge_{judge}_mean", "judge", "higher", "mean score a judge column gave on one attribute",
           _get("mean"), needs="a judge column"),
    # people's review of the run (release gates: `synthloom export --gates`)
    Metric("review.reviewed", "review", "higher", "rows offered for release that a reviewer accepted or rejected",
           _get("review.reviewed"), needs=REVIEW),
    Metric("review.reviewed_fraction", "review", "higher", "reviewed rows / rows offered for release",
           _get("review.reviewed_fraction"), needs=REVIEW),
    Metric("review.acceptance_rate", "review", "higher", "accepted / reviewed rows (the latest decision per row)",
           _get("review.acceptance_rate"), needs="a reviewed row"),
    Metric("review.acceptance_low", "review", "higher", "lower end of the acceptance rate's 95% Wilson interval",
           _get("review.acceptance_low"), needs="a reviewed row"),
    Metric("review.acceptance_high", "review", "higher", "upper end of the acceptance rate's 95% Wilson interval",
           _get("review.acceptance_high"), needs="a reviewed row"),
    Metric("review.edited", "review", "lower", "released rows a reviewer edited", _get("review.edited"),
           needs=REVIEW),
    Metric("review.agreement_alpha", "review", "higher", "Krippendorff's alpha (nominal) of accept / reject over "
           "rows two or more reviewers decided", _get("review.agreement_alpha"),
           needs="rows decided by two reviewers or more"),
    Metric("review.agreement_kappa", "review", "higher", "Cohen's kappa of accept / reject when two reviewers "
           "decided the same rows", _get("review.agreement_kappa"), needs="rows decided by exactly two reviewers"),
    # generations of a dataset against the real one (`synthloom drift --gates`), at the last generation
    Metric("collapse.alarm", "collapse", "lower", "whether the collapse alarm fired in any generation "
           "(1 = fired; write 'collapse.alarm == false')", _get("collapse.alarm"), needs=DRIFT),
    Metric("collapse.alarm_generation", "collapse", "higher", "the generation at which the alarm first fired",
           _get("collapse.alarm_generation"), needs="an alarm"),
    Metric("collapse.categories_lost", "collapse", "lower", "real categories absent from the last generation",
           _get("collapse.categories_lost"), needs=DRIFT),
    Metric("collapse.log_variance_ratio", "collapse", "higher", "median over numeric columns of log(variance / real "
           "variance); 0 means kept, below 0 narrower", _get("collapse.log_variance_ratio"), needs="a numeric column"),
    Metric("collapse.tail_mass_ratio", "collapse", "higher", "median share beyond 2 real SDs over the real share",
           _get("collapse.tail_mass_ratio"), needs="a numeric column"),
    Metric("collapse.support_coverage", "collapse", "higher", "share of the real categories still present",
           _get("collapse.support_coverage"), needs="a categorical column"),
    Metric("collapse.type_coverage", "collapse", "higher", "share of the real word types still used",
           _get("collapse.type_coverage"), needs="a text column"),
    Metric("collapse.rare_type_coverage", "collapse", "higher", "share of the real rare word types (seen at most "
           "twice) still used", _get("collapse.rare_type_coverage"), needs="a text column"),
    Metric("collapse.pair_coverage", "collapse", "higher", "share of the real word pairs still used",
           _get("collapse.pair_coverage"), needs="a text column"),
    Metric("collapse.perplexity_real_model", "collapse", "lower", "perplexity of the last generation's texts under a "
           "bigram model of the real texts (do they read like the real data?)", _get("collapse.perplexity_real_model"),
           needs="a text column"),
    Metric("collapse.perplexity_generated_model", "collapse", "lower", "perplexity of the real texts under a bigram "
           "model of the last generation's (does it still cover the real data?)",
           _get("collapse.perplexity_generated_model"), needs="a text column"),
    Metric("collapse.precision", "collapse", "higher", "share of the last generation's rows inside the real rows' "
           "5-nearest-neighbour balls (embeddings or table features)", _get("collapse.precision"), needs=DRIFT),
    Metric("collapse.recall", "collapse", "higher", "share of real rows inside the last generation's 5-nearest-"
           "neighbour balls", _get("collapse.recall"), needs=DRIFT),
    Metric("collapse.coverage", "collapse", "higher", "share of real rows whose own 5-nearest-neighbour ball holds a "
           "row of the last generation", _get("collapse.coverage"), needs=DRIFT),
    Metric("collapse.distinct_2", "collapse", "higher", "distinct word pairs / all word pairs of the last generation",
           _get("collapse.distinct_2"), needs="a text column"),
])
