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


def test_a_repetitive_leaf_and_an_off_topic_leaf_are_flagged_by_name():
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
