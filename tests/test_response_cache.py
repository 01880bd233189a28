"""The engine's response cache (data/runs/response_cache.py) over a real run.sqlite: answers are
found before and after they are written, by this process and by a later one, and a run that
started with an empty cache learns of a miss without asking SQLite."""

from __future__ import annotations

from synthloom.data.runs.response_cache import BufferedResponseCache
from synthloom.data.runs.run_db import CachedResponse, RunDB


def _counting(db: RunDB) -> list[str]:
    asked: list[str] = []
    real = db.cache_get

    def cache_get(key: str):
        asked.append(key)
        return real(key)

    db.cache_get = cache_get  # type: ignore[method-assign]
    return asked


def test_answers_are_found_pending_written_and_by_a_later_run(tmp_path):
    db = RunDB(tmp_path / "run.sqlite")
    asked = _counting(db)
    cache = BufferedResponseCache(db)
    cache.cache_put("k1", "m", CachedResponse(["one"], 3, 1))
    assert cache.cache_get("k1").texts == ["one"]  # still pending
    cache.close()  # written
    assert cache.cache_get("k1").texts == ["one"] and asked == ["k1"]
    assert cache.cache_get("never") is None and asked == ["k1"]  # a miss known without a query

    later = BufferedResponseCache(db)  # the cache is not empty now: every key is looked up
    assert later.cache_get("k1").texts == ["one"]
    assert later.cache_get("never") is None and asked == ["k1", "k1", "never"]
    db.close()


def test_past_the_memory_bound_misses_are_asked_of_sqlite(tmp_path, monkeypatch):
    from synthloom.data.runs import response_cache

    monkeypatch.setattr(response_cache, "MEMORY_KEYS", 2)
    db = RunDB(tmp_path / "run.sqlite")
    asked = _counting(db)
    cache = BufferedResponseCache(db)
    for i in range(3):
        cache.cache_put(f"k{i}", "m", CachedResponse([str(i)], 1, 1))
    cache.close()
    assert [cache.cache_get(f"k{i}").texts for i in range(3)] == [["0"], ["1"], ["2"]]
    assert cache.cache_get("never") is None and "never" in asked
    db.close()
