"""Samplers, seed columns and expressions, computed through a real batch (no model needed)."""

from __future__ import annotations

import asyncio
import collections
import json

import pytest

from synthloom.config import parse_recipe
from synthloom.config.errors import SynthloomError
from synthloom.generate import preview_rows


def _rows(text, n, base_dir=None):
    recipe = parse_recipe(text, base_dir=base_dir)
    result = asyncio.run(preview_rows(recipe, n))
    return result


SAMPLERS = """\
name: s
seed: 5
target_rows: 1
columns:
  - {name: topic, kind: sampler, type: category, values: [a, b, c], weights: [8, 1, 1]}
  - {name: sub, kind: sampler, type: subcategory, parent: topic, values: {a: [a1, a2], b: [b1], c: [c1]}}
  - {name: u, kind: sampler, type: uniform, low: 2, high: 3}
  - {name: k, kind: sampler, type: int, low: 1, high: 6}
  - {name: g, kind: sampler, type: gaussian, mean: 10, std: 2}
  - {name: day, kind: sampler, type: datetime, start: "2024-01-01", end: "2024-12-31"}
  - {name: id, kind: sampler, type: uuid}
  - {name: who, kind: sampler, type: person, locale: de_DE, age_range: [30, 40]}
  - {name: persona, kind: sampler, type: persona}
  - {name: label, kind: expression, template: "{{ topic }}-{{ k }}"}
  - {name: twice, kind: expression, template: "{{ k * 2 }}", dtype: int}
"""


def test_samplers_follow_their_distributions_and_conditions():
    rows = _rows(SAMPLERS, 2000).accepted
    counts = collections.Counter(r["topic"] for r in rows)
    assert 0.75 < counts["a"] / 2000 < 0.85
    assert all(r["sub"].startswith(r["topic"]) for r in rows)
    assert all(2 <= r["u"] <= 3 and 1 <= r["k"] <= 6 for r in rows)
    assert {r["k"] for r in rows} == set(range(1, 7))
    g = [r["g"] for r in rows]
    mean = sum(g) / len(g)
    assert abs(mean - 10) < 0.2
    assert all("2024-01-01" <= r["day"] <= "2024-12-31" for r in rows)
    assert len({r["id"] for r in rows}) == 2000
    assert all(30 <= r["who"]["age"] <= 40 and r["who"]["name"] for r in rows)
    assert len({r["who"]["name"] for r in rows}) > 1500
    assert all(len(r["persona"]["traits"]) == 2 for r in rows)
    assert all(r["label"] == f"{r['topic']}-{r['k']}" and r["twice"] == 2 * r["k"] for r in rows)


def test_same_seed_same_rows_and_adding_a_column_changes_no_other():
    a = _rows(SAMPLERS, 50).accepted
    b = _rows(SAMPLERS, 50).accepted
    assert a == b
    more = _rows(SAMPLERS + "  - {name: extra, kind: sampler, type: uniform, low: 0, high: 1}\n", 50).accepted
    assert [{k: v for k, v in r.items() if k != "extra"} for r in more] == a
    other = _rows(SAMPLERS.replace("seed: 5", "seed: 6"), 50).accepted
    assert other != a


def test_seed_file_orders(tmp_path):
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps({"q": f"q{i}", "n": i}) + "\n" for i in range(5)))
    base = "name: s\ntarget_rows: 1\ncolumns:\n  - {name: s, kind: seed, path: seeds.jsonl, order: %s}\n"
    ordered = [r["s"]["n"] for r in _rows(base % "ordered", 12, tmp_path).accepted]
    assert ordered == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    shuffled = [r["s"]["n"] for r in _rows(base % "shuffled", 10, tmp_path).accepted]
    assert sorted(shuffled[:5]) == sorted(shuffled[5:]) == [0, 1, 2, 3, 4] and shuffled != ordered[:10]
    replaced = [r["s"]["n"] for r in _rows(base % "replacement", 40, tmp_path).accepted]
    assert set(replaced) <= set(range(5)) and len(set(replaced)) == 5


def test_seed_from_csv_and_parquet_with_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "s.csv").write_text("a,b\n1,x\n2,y\n")
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "s.parquet")
    for name in ("s.csv", "s.parquet"):
        text = f"name: s\ntarget_rows: 1\ncolumns:\n  - {{name: s, kind: seed, path: {name}, order: ordered, fields: [b]}}\n"
        assert [r["s"] for r in _rows(text, 2, tmp_path).accepted] == [{"b": "x"}, {"b": "y"}]


def test_seed_from_taxonomy_records_leaf_lineage(taxonomy_dir):
    text = (
        "name: s\ntarget_rows: 1\ncolumns:\n"
        f"  - {{name: s, kind: seed, taxonomy: {taxonomy_dir}, taxonomy_kinds: [knowledge]}}\n"
        "  - {name: ctx, kind: expression, template: '{{ s.context[:20] }}'}\n"
    )
    rows = _rows(text, 4).accepted
    assert all(r["s"]["leaf"].startswith("knowledge/") and r["ctx"] for r in rows)


@pytest.mark.parametrize(
    "column, words",
    [
        ("{name: s, kind: seed, path: missing.csv}", "missing.csv does not exist"),
        ("{name: s, kind: seed, path: seeds.txt}", "unknown file type '.txt'"),
        ("{name: s, kind: seed, path: bad.jsonl}", "bad.jsonl:2: not valid JSON"),
        ("{name: s, kind: seed, path: ok.csv, fields: [zzz]}", "field(s) zzz not in the seed data"),
    ],
)
def test_bad_seed_files_are_one_sentence(tmp_path, column, words):
    (tmp_path / "seeds.txt").write_text("x")
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{oops\n')
    (tmp_path / "ok.csv").write_text("a\n1\n")
    with pytest.raises(SynthloomError) as info:
        _rows(f"name: s\ntarget_rows: 1\ncolumns:\n  - {column}\n", 1, tmp_path)
    assert words in str(info.value)


def test_expression_cast_failure_rejects_the_row_with_reason():
    text = "name: s\ntarget_rows: 1\ncolumns:\n  - {name: x, kind: expression, template: 'abc', dtype: int}\n"
    result = _rows(text, 2)
    assert not result.accepted
    assert result.rejected[0]["_column"] == "x" and "cannot read the result as int" in result.rejected[0]["_reason"]


def test_seed_where_and_sample_size(tmp_path):
    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps({"n": i, "odd": i % 2 == 1}) + "\n" for i in range(9)))
    text = ("name: s\ntarget_rows: 1\ncolumns:\n"
            "  - {name: s, kind: seed, path: seeds.jsonl, where: odd, sample_size: 3}\n")
    rows = _rows(text, 20, tmp_path).accepted
    for r in rows:
        ns = [x["n"] for x in r["s"]]
        assert len(ns) == 3 == len(set(ns)) and all(n % 2 == 1 for n in ns)
    with pytest.raises(SynthloomError, match="has no rows where n > 100"):
        _rows(text.replace("where: odd", "where: n > 100"), 1, tmp_path)
