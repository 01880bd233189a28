"""Curation of Parquet shards (curate/shards*.py, curate/ray_curation.py): Ray Data gives the same
kept and removed files as the local executor, shard for shard and row for row, with every step
kind it runs (quality, PII redaction, decontamination, exact and near dedup against a reference
set and within the corpus, duplicates across shards and a survivor chosen by score)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from synthloom.config.errors import SynthloomError
from synthloom.config.loader import load_curation
from synthloom.curate.run_curation import curate_shards

VOCAB = [f"w{i}" for i in range(3000)]


def _doc(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def _variant(rng: random.Random, text: str, changes: int) -> str:
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    return " ".join(words)


def corpus(folder: Path, shards: int = 4, per_shard: int = 60, seed: int = 0) -> tuple[Path, Path, Path]:
    """Shards with near and exact copies within and across shards, a reference file some rows
    copy, a benchmark some rows contain, PII, and rows too short for the quality step."""
    rng = random.Random(seed)
    originals = [_doc(rng) for _ in range(40)]
    reference = [_doc(rng) for _ in range(5)]
    benchmark = [_doc(rng, 20) for _ in range(3)]
    rows = []
    for i in range(shards * per_shard):
        pick = rng.random()
        if pick < 0.25:
            text = _variant(rng, rng.choice(originals), rng.randrange(0, 3))
        elif pick < 0.3:
            text = rng.choice(originals)
        elif pick < 0.33:
            text = _variant(rng, rng.choice(reference), 1)
        elif pick < 0.36:
            text = _doc(rng, 10) + " " + rng.choice(benchmark) + " " + _doc(rng, 10)
        elif pick < 0.40:
            text = _doc(rng, 3)
        elif pick < 0.45:
            text = _doc(rng) + " write to jane.doe@example.com or call 415-555-0199"
        else:
            text = _doc(rng)
        rows.append({"text": text, "score": rng.randrange(10), "meta": {"i": i, "tags": ["a", "b"][: i % 3]}})
    data = folder / "shards"
    data.mkdir()
    for s in range(shards):
        pq.write_table(pa.Table.from_pylist(rows[s * per_shard:(s + 1) * per_shard]), data / f"part-{s:03d}.parquet")
    ref = folder / "reference.jsonl"
    ref.write_text("".join(json.dumps({"text": t}) + "\n" for t in reference))
    bench = folder / "bench.jsonl"
    bench.write_text("".join(json.dumps({"text": t}) + "\n" for t in benchmark))
    return data, ref, bench


def curation_file(folder: Path, ref: Path, bench: Path) -> Path:
    spec = {"text": ["text"], "steps": [
        {"kind": "quality", "min_words": 5},
        {"kind": "pii", "action": "redact", "kinds": ["email", "phone"]},
        {"kind": "decontaminate", "benchmarks": [{"path": str(bench)}], "ngram": 13},
        {"kind": "exact_dedup"},
        {"kind": "near_dedup", "threshold": 0.7, "ngram": 3, "keep": "highest", "score": "score",
         "against": [{"path": str(ref)}]},
    ]}
    path = folder / "curation.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _files(out: Path) -> dict[str, list[dict]]:
    return {f"{p.parent.name}/{p.name}": pq.read_table(p).to_pylist()
            for p in sorted(out.glob("*/*.parquet"))}


def _counts(out: Path) -> list[tuple]:
    steps = json.loads((out / "curation.json").read_text())["steps"]
    return [(s["name"], s["rows_in"], s["removed"], s["rewritten"]) for s in steps]


def test_the_local_shard_executor_keeps_and_removes_what_curate_does(tmp_path):
    from synthloom.curate.pipeline import curate

    data, ref, bench = corpus(tmp_path)
    spec = load_curation(curation_file(tmp_path, ref, bench))
    counts, _ = curate_shards(data, spec, tmp_path / "out")
    rows = [r for p in sorted(data.glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    whole = curate(rows, spec)
    files = _files(tmp_path / "out")
    assert [r["text"] for k in sorted(files) if k.startswith("kept/") for r in files[k]] == [r["text"] for r in whole.kept]
    assert {s.name: s.removed for s in counts} == {s.name: s.removed for s in whole.steps}
    assert all(s.removed > 0 or s.rewritten > 0 for s in counts), counts  # every step had work
    assert len(files) == 8 and all(k.split("/")[1].startswith("part-") for k in files)


@pytest.mark.timeout(600)
def test_ray_data_writes_the_files_the_local_executor_writes(tmp_path):
    ray = pytest.importorskip("ray")
    data, ref, bench = corpus(tmp_path)
    spec = load_curation(curation_file(tmp_path, ref, bench))
    curate_shards(data, spec, tmp_path / "local")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        curate_shards(data, spec, tmp_path / "ray", executor="ray")
    finally:
        ray.shutdown()
    local, on_ray = _files(tmp_path / "local"), _files(tmp_path / "ray")
    assert sorted(local) == sorted(on_ray)
    for name in local:
        assert on_ray[name] == local[name], name
    assert _counts(tmp_path / "ray") == _counts(tmp_path / "local")
    removed = [r for k in local if k.startswith("removed/") for r in local[k]]
    reasons = {json.loads(r["_curation"])["step"] for r in removed}
    assert reasons == {"quality", "decontaminate", "exact_dedup", "near_dedup"}
    assert any("reference row" in json.loads(r["_curation"])["reason"] for r in removed)


def test_a_step_that_needs_every_row_at_once_is_refused_on_ray_before_any_work(tmp_path):
    data, ref, bench = corpus(tmp_path, shards=1, per_shard=10)
    cfg = tmp_path / "semantic.yaml"
    cfg.write_text("steps:\n  - kind: semantic_dedup\n    embedding: tfidf\n")
    with pytest.raises(SynthloomError, match="semantic_dedup.*one machine"):
        curate_shards(data, load_curation(cfg), tmp_path / "out", executor="ray")
    assert not (tmp_path / "out").exists()
