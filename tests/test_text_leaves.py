"""A text run's figures per taxonomy leaf: a leaf whose texts repeat themselves, or drift away
from its own seeds, is flagged by name while the corpus averages look fine."""

from __future__ import annotations

import random

from synthloom.evaluate.text_leaves import leaf_report
from synthloom.models.embeddings import embedder

TOPICS = {
    "geology": "volcano lava magma eruption crater basalt ash tectonic plate",
    "networks": "router packet address server protocol domain cache query",
    "cooking": "flour butter oven dough sugar knead bake yeast",
    "music": "melody chord rhythm tempo violin scale harmony note",
    "sailing": "hull mast keel tide wind anchor sail harbour",
}


def _texts(topic: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pool = TOPICS[topic].split() + "the a of in on with by from about under".split()
    return [" ".join(rng.sample(pool, 8)) + f" case {i}." for i in range(n)]


def _planted() -> tuple[list[str], list[str | None], dict[str, list[str]]]:
    """Texts per leaf where the leaf 'music' repeats one answer and 'sailing' is about cooking."""
    seeds = {t: _texts(t, 5, 100 + i) for i, t in enumerate(TOPICS)}
    texts, leaves = [], []
    for i, topic in enumerate(TOPICS):
        if topic == "music":  # the teacher repeats one answer
            made = ["melody chord rhythm tempo violin scale harmony note played."] * 12
        elif topic == "sailing":  # the teacher writes about cooking under the sailing leaf
            made = _texts("cooking", 12, 7)
        else:
            made = _texts(topic, 12, i)
        texts += made
        leaves += [topic] * len(made)
    texts.append("one text whose row came from no leaf")
    leaves.append(None)
    return texts, leaves, seeds


def test_a_repetitive_leaf_and_an_off_topic_leaf_are_flagged_by_name():
    texts, leaves, seeds = _planted()
    report = leaf_report(texts, leaves, seeds, embedder("tfidf", texts + [s for v in seeds.values() for s in v]))
    assert set(report["leaves"]) == set(TOPICS) and all(v["rows"] == 12 for v in report["leaves"].values())
    assert report["flagged"] == ["music", "sailing"]
    music, sailing = report["leaves"]["music"], report["leaves"]["sailing"]
    assert any(why.startswith("distinct_2") for why in music["flagged"])
    assert any(why.startswith("near_duplicate_rate") for why in music["flagged"])
    assert [why.split()[0] for why in sailing["flagged"]] == ["fidelity"]
    assert report["distinct_2_min"] == music["distinct_2"]
    assert report["fidelity_min"] == sailing["fidelity"] < min(
        v["fidelity"] for k, v in report["leaves"].items() if k != "sailing")


def test_no_leaf_no_report_and_two_leaves_flag_nothing():
    assert leaf_report(["a text"], [None], {}, None) is None
    report = leaf_report(_texts("music", 4, 0) + ["same same same"] * 4, ["m"] * 4 + ["s"] * 4, {}, None)
    assert report["flagged"] == [] and report["fidelity_min"] is None  # no seeds, no fidelity


def test_the_html_report_and_the_cli_show_the_flagged_leaves_first_and_as_text():
    """Leaf names come from a taxonomy, which may be hostile: the page escapes them and the CLI
    prints each flagged leaf on one line."""
    from synthloom.cli.evaluate_cmd import flagged_leaf_lines
    from synthloom.evaluate.html import render_text_html

    texts, leaves, seeds = _planted()
    hostile = "music<script>alert(1)</script>\nnext line"
    leaves = [hostile if leaf == "music" else leaf for leaf in leaves]
    seeds[hostile] = seeds.pop("music")
    per_leaf = leaf_report(texts, leaves, seeds, embedder("tfidf", texts + [s for v in seeds.values() for s in v]))
    report = {"run": "r", "rows": len(texts), "reference_texts": 25, "seed": 0, "summary": {},
              "sets": {"responses": {"diversity": {"distinct_2": 0.5}, "leaves": per_leaf}}}
    html = render_text_html(report)
    assert "<script>alert" not in html and "music&lt;script&gt;" in html
    table = html.split("responses per taxonomy leaf", 1)[1]
    order = [table.index(name) for name in ("music&lt;script&gt;", "sailing", "cooking", "geology", "networks")]
    assert max(order[:2]) < min(order[2:]), "flagged leaves come first"
    lines = flagged_leaf_lines(report)
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert lines[0].startswith("responses: leaf music") and "distinct_2" in lines[0]
    assert lines[1].startswith("responses: leaf sailing") and "fidelity" in lines[1]
