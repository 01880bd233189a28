"""Which rows the risk-first queue puts first (review/risk.py): a judge score at its filter's
threshold, personal details, near duplicates among the rows, and words copied from a seed."""

from __future__ import annotations

import random

from synthloom.data.review.store import ReviewStore
from synthloom.review.risk import JudgeScale, RiskIndex, generated_text

WORDS = "glacier harbor lantern meadow prism quartz river signal summit timber violet willow cobalt".split()
SEED = ("the printing press reached the city in the spring of that year and the first book it made was a "
        "collection of church records kept by the bishop")


def _text(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choices(WORDS + [f"w{i}" for i in range(500)], k=n))


def test_each_signal_ranks_its_row_first(tmp_path):
    rng = random.Random(0)
    rows = [{"_row_id": f"r{i}", "context": SEED, "answer": _text(rng), "score": {"helpfulness": 4}}
            for i in range(40)]
    rows[3]["answer"] = rows[4]["answer"] + " extra"  # near duplicates
    rows[7]["answer"] = "as written " + " ".join(SEED.split()[2:24]) + " and more"  # copies 22 seed words
    rows[9]["answer"] += " mail me at someone@example.org"
    rows[11]["score"]["helpfulness"] = 2  # at its filter's threshold
    with ReviewStore(tmp_path / "review.sqlite") as store:
        store.import_rows(rows)
        scales = [JudgeScale("score", "helpfulness", 0, 4, 2.0)]
        index = RiskIndex(store, scales, references=[SEED])
        scores = index.scores()
        by_row = {store.row_id(i): s for i, s in scores.items()}
    top = sorted(by_row, key=lambda r: -by_row[r][0])[:5]
    assert set(top) == {"r3", "r4", "r7", "r9", "r11"}
    assert any("near-duplicate of 1 other row" in w for w in by_row["r3"][1])
    assert any(w.startswith("copies 22 words") for w in by_row["r7"][1])
    assert any("email" in w for w in by_row["r9"][1])
    assert any("near 2" in w for w in by_row["r11"][1])
    assert by_row["r20"][0] < 0.6  # an ordinary row: only its judge score's distance from the threshold


def test_a_seeds_own_words_in_the_row_are_no_copy():
    row = {"context": SEED, "answer": "a short answer"}
    assert generated_text(row, {SEED}) == "a short answer"
