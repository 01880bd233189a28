"""Filters over a review (data/review/query.py) on a real review.sqlite: words, state, reviewer,
reason and conditions on nested fields; hostile field names and values stay data."""

from __future__ import annotations

import pytest

from synthloom.data.review.query import Filter, FilterError, count, fields, matching
from synthloom.data.review.store import ReviewStore


@pytest.fixture
def store(tmp_path):
    rows = [{"_row_id": f"r{i}", "topic": ["tides", "volcanoes"][i % 2], "score": {"helpfulness": i % 5},
             "answer": f"text {i} 100% sure_thing" if i == 7 else f"text {i}", "it's": i} for i in range(40)]
    with ReviewStore(tmp_path / "review.sqlite") as s:
        s.import_rows(rows)
        s.add_reviewer("ana")
        s.add_reviewer("ben")
        yield s


def _items(store, **kw):
    return matching(store.conn, Filter.from_json(kw), limit=None)


def test_conditions_on_nested_fields_words_and_state(store):
    high = _items(store, where=[["/score/helpfulness", ">=", 4]])
    assert len(high) == 8 and all(store.original(i)["score"]["helpfulness"] == 4 for i in high)
    assert len(_items(store, where=[["/topic", "=", "tides"], ["/score/helpfulness", "<", 2]])) == 8
    assert _items(store, text="text 7") == [store.item_of("r7")]
    store.decide(1, "ana", "reject", "off-topic")
    store.decide(2, "ben", "accept")
    store.edit(3, "ana", "/topic", "seas")
    assert _items(store, state="rejected") == [1] and _items(store, state="accepted") == [2]
    assert _items(store, state="edited") == [3] and _items(store, reviewer="ben") == [2]
    assert _items(store, reason="off-topic") == [1]
    assert count(store.conn, Filter(state="undecided")) == 38  # the edited row has no decision


def test_contains_takes_percent_and_underscore_literally(store):
    assert _items(store, where=[["/answer", "contains", "100% sure_"]]) == [store.item_of("r7")]
    assert _items(store, where=[["/answer", "contains", "%"]]) == [store.item_of("r7")]


def test_hostile_fields_and_values_stay_data(store):
    assert len(_items(store, where=[["/it's", "<", 3]])) == 3  # a quote in a field name
    assert _items(store, where=[["/topic", "=", "x' OR 1=1 --"]]) == []
    for bad in ([["/a\"b", "=", 1]], [["topic", "=", 1]], [["/topic", "LIKE", "%"]], [["/topic", "=", {"a": 1}]]):
        with pytest.raises(FilterError):
            _items(store, where=bad)
    with pytest.raises(FilterError):
        Filter.from_json("{not json")
    with pytest.raises(FilterError):
        _items(store, state="pending")


def test_fields_lists_what_can_be_filtered(store):
    found = {f["field"]: f for f in fields(store.conn)}
    assert found["/topic"]["values"] == ["tides", "volcanoes"] and found["/score/helpfulness"]["kind"] == "number"
    assert found["/answer"]["values"] is None  # many different texts: free text, not a list


def test_rows_are_found_by_their_curation_flags(store):
    from synthloom.data.review.query import flag_counts

    store.set_flags({"r1": ["pii: redacted"], "r2": ["pii: redacted", "quality: rewritten"]})
    assert _items(store, flag="pii: redacted") == [store.item_of("r1"), store.item_of("r2")]
    assert _items(store, flag="quality: rewritten") == [store.item_of("r2")]
    assert flag_counts(store.conn) == [{"flag": "pii: redacted", "rows": 2}, {"flag": "quality: rewritten", "rows": 1}]
    store.set_flags({"r3": ["pii: redacted"]})  # a run curated again: the flags are the new ones
    assert _items(store, flag="pii: redacted") == [store.item_of("r3")]
