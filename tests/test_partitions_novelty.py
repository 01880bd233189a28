"""Per-partition targets (e.g. per taxonomy leaf) and the Self-Instruct novelty pool."""

from __future__ import annotations

import asyncio
import collections
import json

import pytest
import yaml

from synthloom.config import parse_recipe
from synthloom.config.errors import RecipeError
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run
from synthloom.data.text.similarity import MinHashPool, RougePool, rouge_l


def _seeds(tmp_path, rows):
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _recipe(tmp_path, extra):
    base = {
        "name": "p",
        "seed": 1,
        "target_rows": 5,
        "batch_size": 4,
        "output_dir": str(tmp_path / "runs"),
        "columns": [
            {"name": "seed", "kind": "seed", "path": "seeds.jsonl", "order": "shuffled"},
            {"name": "group", "kind": "expression", "template": "{{ seed.group }}"},
            {"name": "coin", "kind": "sampler", "type": "int", "low": 0, "high": 3},
        ],
        "filters": ["coin > 0"],
    }
    base.update(extra)
    return parse_recipe(yaml.safe_dump(base), base_dir=tmp_path)


def test_each_partition_reaches_its_own_target(tmp_path):
    _seeds(tmp_path, [{"group": g, "text": f"{g}{i}"} for g in ("a", "b", "c") for i in range(4)] + [{"group": "c", "text": "c9"}])
    summary = asyncio.run(generate_run(_recipe(tmp_path, {"partition_by": "seed.group"})))
    assert summary.status == "complete" and summary.target == 15
    assert summary.partitions == {"a": 5, "b": 5, "c": 5}
    rows = open_existing(summary.run_dir).read_accepted().to_pylist()
    assert collections.Counter(r["group"] for r in rows) == {"a": 5, "b": 5, "c": 5}
    store = open_existing(summary.run_dir)
    assert store.db.lineage_of(rows[0]["_row_id"])["partition"] == rows[0]["group"]


def test_partition_by_must_name_a_seed_column(tmp_path):
    _seeds(tmp_path, [{"group": "a"}])
    with pytest.raises(RecipeError, match="must name a seed column"):
        _recipe(tmp_path, {"partition_by": "coin.x"})


def test_rouge_l_matches_its_definition():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    # LCS("a b c d", "a c d e") = 3 -> 2*3/8
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    assert rouge_l("", "x") == 0.0


def test_rouge_pool_finds_the_most_similar_and_prunes_the_rest():
    pool = RougePool(0.7)
    pool.add("Write a poem about the sea.", "s1")
    pool.add("List three prime numbers.", "s2")
    score, match = pool.most_similar("Write a short poem about the sea.")
    assert match == "s1" and score == pytest.approx(rouge_l("Write a poem about the sea.", "Write a short poem about the sea."))
    assert pool.most_similar("Explain photosynthesis to a child.") == (0.0, None)


def test_minhash_pool_flags_near_copies():
    pool = MinHashPool(0.5)
    text = "describe the water cycle in simple words for a young student who is curious"
    pool.add(text, "s1")
    score, match = pool.most_similar(text + " today")
    assert match == "s1" and score > 0.5
    assert pool.most_similar("an entirely different sentence about compilers and parsers")[1] is None


def test_novelty_rejects_rows_too_similar_to_seeds_or_earlier_rows(tmp_path):
    _seeds(tmp_path, [{"group": "a", "text": "Name a colour of the sky."}])
    recipe = _recipe(tmp_path, {
        "target_rows": 3,
        "max_batches": 3,
        "columns": [
            {"name": "seed", "kind": "seed", "path": "seeds.jsonl"},
            {"name": "topic", "kind": "sampler", "type": "category",
             "values": ["sky", "sea", "forest", "desert", "city", "moon"]},
            {"name": "text", "kind": "expression", "template": "Name a colour of the {{ topic }}."},
        ],
        "filters": [],
        "novelty": {"text": "text", "threshold": 0.99, "seed_column": "seed", "seed_field": "text"},
    })
    summary = asyncio.run(generate_run(recipe))
    store = open_existing(summary.run_dir)
    accepted = [r["text"] for r in store.read_accepted().to_pylist()]
    assert len(accepted) == len(set(accepted)) == 3
    assert "Name a colour of the sky." not in accepted
    rejected = [r for r in store.read_rejected().to_pylist() if r["_column"] == "_novelty"]
    assert rejected and all("too similar to" in r["_reason"] for r in rejected)
    assert any("seed #0" in r["_reason"] for r in rejected if r["text"].endswith("sky."))
