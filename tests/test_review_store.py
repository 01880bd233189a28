"""The review store (data/review/store.py) on a real review.sqlite: import, tokens, append-only
events, edits of nested fields by JSON pointer, undo, bulk decisions, full-text search; and the
sampling helpers behind review queues (data/review/sampling.py)."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from synthloom.data.review.sampling import riskiest_first, sample_size, stratified, uniform, wilson_interval
from synthloom.data.review.store import ReviewError, ReviewStore


def _rows(n: int) -> list[dict]:
    return [{"_row_id": f"r{i}", "topic": ["tides", "volcanoes", "glaciers"][i % 3],
             "messages": [{"role": "user", "content": f"question {i}"},
                          {"role": "assistant", "content": f"answer number {i}"}]} for i in range(n)]


@pytest.fixture
def store(tmp_path):
    with ReviewStore(tmp_path / "review.sqlite") as s:
        s.import_rows(_rows(30))
        yield s


def test_importing_again_adds_only_new_rows_and_keeps_decisions(store):
    store.add_reviewer("ana")
    store.decide(store.item_of("r0"), "ana", "accept")
    assert store.import_rows(_rows(40)) == 10 and store.count() == 40
    assert store.decisions_by_row() == {"r0": "accept"}
    assert store.search("number 35") == [store.item_of("r35")]


def test_tokens_are_kept_as_digests_and_name_their_reviewer(store):
    token = store.add_reviewer("ana")
    assert store.reviewer_for(token) == "ana" and store.reviewer_for(token + "x") is None
    assert store.reviewer_for("") is None
    stored = store.conn.execute("SELECT token_sha256 FROM reviewers").fetchone()[0]
    assert token not in stored
    with pytest.raises(ReviewError, match="exists"):
        store.add_reviewer("ana")
    new = store.add_reviewer("ana", replace=True)
    assert store.reviewer_for(token) is None and store.reviewer_for(new) == "ana"
    with pytest.raises(ReviewError, match="name"):
        store.add_reviewer("<script>")


def test_events_are_append_only(store):
    store.add_reviewer("ana")
    store.decide(1, "ana", "accept")
    for statement in ("UPDATE events SET action='reject'", "DELETE FROM events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute(statement)


def test_a_nested_edit_applies_in_order_and_undo_takes_it_back(store):
    store.add_reviewer("ana")
    item = store.item_of("r4")
    store.edit(item, "ana", "/messages/1/content", "a better answer")
    store.edit(item, "ana", "/topic", "seas")
    assert store.current(item)["messages"][1]["content"] == "a better answer"
    assert store.original(item)["messages"][1]["content"] == "answer number 4"
    store.undo("ana")  # takes back the topic edit only
    assert store.current(item)["topic"] == "volcanoes"
    assert store.edited_rows()["r4"]["messages"][1]["content"] == "a better answer"
    edit = [e for e in store.events(item) if e.action == "edit"][0]
    assert (edit.before, edit.after, edit.reviewer) == ("answer number 4", "a better answer", "ana")


def test_edits_refuse_missing_fields_bookkeeping_and_stale_views(store):
    store.add_reviewer("ana")
    store.add_reviewer("ben")
    for field in ("/messages/5/content", "/nope", "messages"):
        with pytest.raises(ReviewError):
            store.edit(1, "ana", field, "x")
    with pytest.raises(ReviewError, match="bookkeeping"):
        store.edit(1, "ana", "/_row_id", "r999")
    store.edit(1, "ben", "/topic", "seas")
    with pytest.raises(ReviewError, match="changed by someone else"):
        store.edit(1, "ana", "/topic", "lakes", expected="tides", check_expected=True)


def test_the_latest_decision_counts_and_each_reviewer_keeps_their_own(store):
    store.add_reviewer("ana")
    store.add_reviewer("ben")
    store.decide(1, "ana", "accept")
    store.decide(1, "ben", "reject", "made-up fact")
    state = store.state()[1]
    assert (state["decision"], state["by"], state["reason"]) == ("reject", "ben", "made-up fact")
    assert state["decisions"] == {"ana": "accept", "ben": "reject"}
    store.undo("ben")
    assert store.state()[1]["decision"] == "accept"
    with pytest.raises(ReviewError, match="reason"):
        store.decide(2, "ana", "reject", "  ")
    with pytest.raises(ReviewError, match="no reviewer"):
        store.decide(2, "eve", "accept")


def test_a_bulk_decision_covers_every_item_in_one_go(store):
    store.add_reviewer("ana")
    tides = [i for i in range(1, 31) if store.original(i)["topic"] == "tides"]
    assert store.decide_many(tides, "ana", "reject", "off-topic") == 10
    assert Counter(store.decisions_by_row().values()) == {"reject": 10}


def test_search_takes_words_never_fts_syntax(store):
    assert store.search('answer "number 7') == [store.item_of("r7")]  # every word, each a prefix
    assert store.search('"unbalanced (') == [] and store.search("NEAR(") == []
    found = store.search("volcano")
    assert len(found) == 10 and all(store.original(i)["topic"] == "volcanoes" for i in found)


def test_wilson_interval_and_sample_size():
    low, high = wilson_interval(90, 100)
    assert round(low, 4) == 0.8256 and round(high, 4) == 0.9448  # the textbook figures for 90/100
    assert wilson_interval(0, 0) is None
    assert wilson_interval(10, 10)[1] == 1.0
    assert sample_size(10**9) == 385 and sample_size(1000) == 278 and sample_size(50) == 45


def test_queues_are_seeded_proportional_and_riskiest_first():
    items = list(range(1000))
    assert uniform(items, 50, seed=3) == uniform(items, 50, seed=3) != uniform(items, 50, seed=4)
    groups = lambda i: "small" if i < 20 else "large"  # noqa: E731
    picked = stratified(items, 100, groups, seed=1)
    assert len(picked) == len(set(picked)) == 100
    assert Counter(map(groups, picked)) == {"large": 98, "small": 2}
    assert set(map(groups, stratified(items, 2, groups))) == {"small", "large"}
    assert riskiest_first([("a", 0.1), ("b", 0.9), ("c", 0.5)], lambda x: x[1], 2) == [("b", 0.9), ("c", 0.5)]


def test_the_kept_state_always_equals_the_events_replayed(tmp_path):
    """Random decisions, bulk decisions, edits, comments and undos by three reviewers: the state
    kept per row (which filters read) stays what the append-only events say."""
    import random

    rng = random.Random(5)
    with ReviewStore(tmp_path / "review.sqlite") as store:
        store.import_rows(_rows(12))
        people = ["ana", "ben", "cy"]
        for who in people:
            store.add_reviewer(who)
        for step in range(300):
            who, item = rng.choice(people), rng.randint(1, 12)
            kind = rng.choice(["accept", "reject", "bulk", "edit", "comment", "undo", "undo"])
            try:
                if kind == "bulk":
                    store.decide_many(rng.sample(range(1, 13), 4), who, rng.choice(["accept", "reject"]), "bulk")
                elif kind in ("accept", "reject"):
                    store.decide(item, who, kind, "why" if kind == "reject" else None)
                elif kind == "edit":
                    store.edit(item, who, "/messages/1/content", f"edit {step}")
                elif kind == "comment":
                    store.comment(item, who, f"note {step}")
                else:
                    store.undo(who, item if rng.random() < 0.5 else None)
            except ReviewError:
                pass  # nothing to undo
            if step % 25 == 0:
                assert store.state() == store.replayed_state()
        assert store.state() == store.replayed_state()
        assert any(s["decision"] for s in store.state().values())


def test_more_like_this_finds_rows_sharing_rare_words(store):
    rows = [{"_row_id": "x1", "topic": "tides", "messages": [{"role": "user", "content": "zircon obsidian basalt"}]},
            {"_row_id": "x2", "topic": "tides", "messages": [{"role": "user", "content": "basalt zircon crystal"}]}]
    store.import_rows(rows)
    found = store.more_like(store.item_of("x1"), limit=5)
    assert found[0] == store.item_of("x2") and store.item_of("x1") not in found


def test_k_way_assignment_is_even_stable_and_moves_little():
    from synthloom.data.review.sampling import assigned

    people = ["ana", "ben", "cy", "dee"]
    rows = [f"r{i}" for i in range(2000)]
    shares = Counter(who for r in rows for who in assigned(r, people, 2))
    assert all(len(set(assigned(r, people, 2))) == 2 for r in rows[:50])
    assert sum(shares.values()) == 4000 and min(shares.values()) > 900  # about 1,000 each
    assert [assigned(r, people, 2) for r in rows[:20]] == [assigned(r, people, 2) for r in rows[:20]]
    grown = people + ["eli"]
    moved = [r for r in rows if set(assigned(r, people, 2)) != set(assigned(r, grown, 2))]
    assert all("eli" in assigned(r, grown, 2) for r in moved)  # only rows that now go to the newcomer
