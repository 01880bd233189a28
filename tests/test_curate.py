"""Curation: each step removes what it should with a reason, near-dup search finds planted pairs
at known Jaccard, a run is curated before export and its card counts each step, and bad input
gets one sentence."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np


from synthloom.config.curation import CurationSpec
from synthloom.data.text.minhash import near_pairs
from synthloom.curate.pipeline import curate
from synthloom.data.runs.run_reader import read_jsonl
from synthloom.data.runs.run_store import open_existing

from .conftest import run_cli
from .test_builtin_recipes import run_builtin

BENCH = ("Which planet is the largest in the solar system and how many moons does it have according to "
         "the latest count by astronomers")


def _spec(steps: list[dict], text: list[str] | None = None) -> CurationSpec:
    return CurationSpec.model_validate({"text": text, "steps": steps})


def _varied(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    return [" ".join(rng.choice(vocab) for _ in range(60)) for _ in range(n)]


def test_near_pairs_find_every_planted_pair_above_the_threshold():
    rng = random.Random(1)
    docs = _varied(3000)
    truth = set()
    for k in range(60):  # variants with 0..11 words replaced: Jaccard from 1 down to ~0.3
        base = docs[k].split()
        for pos in rng.sample(range(len(base)), k % 12):
            base[pos] = f"x{rng.randint(0, 10**6)}"
        docs.append(" ".join(base))
        a, b = docs[k].split(), base
        sa = {tuple(a[i:i + 5]) for i in range(len(a) - 4)}
        sb = {tuple(b[i:i + 5]) for i in range(len(b) - 4)}
        if len(sa & sb) / len(sa | sb) >= 0.8:
            truth.add((k, len(docs) - 1))
    found = near_pairs(docs, 0.8)
    got = {tuple(p) for p in found.pairs.tolist()}
    assert truth and got == truth
    assert (found.similarity >= 0.8).all() and found.candidates >= len(got)
    chars = near_pairs(["The same sentence, almost.", "the SAME sentence almost", "Something else."], 0.6,
                       unit="char", n=4)
    assert {tuple(p) for p in chars.pairs.tolist()} == {(0, 1)}


def test_each_step_removes_with_a_reason():
    rows = [
        {"q": "Capital of France?", "a": "Paris is the capital city of France."},
        {"q": "capital of france", "a": "paris is the capital city of france!"},  # exact after normalising
        {"q": "Capital of France?", "a": "Paris is the capital city of France, of course."},
        {"q": BENCH, "a": "Jupiter."},  # a benchmark copy
        {"q": "Tides?", "a": "I'm sorry, but I cannot help with that request today."},
        {"q": "Loop", "a": "the cat sat the cat sat the cat sat the cat sat the cat sat"},
        {"q": "Rated", "a": "A fine and useful answer with enough words.", "judge": {"helpfulness": 1}},
        {"q": "Who to mail?", "a": "Write to Anna Schmidt at anna@example.org about the forms."},
    ]
    for r in rows:
        r.setdefault("judge", {"helpfulness": 4})
    spec = _spec([
        {"kind": "exact_dedup"},
        {"kind": "near_dedup", "threshold": 0.5, "ngram": 2, "keep": "longest"},
        {"kind": "quality", "min_scores": {"judge.helpfulness": 3}},
        {"kind": "pii"},
    ], text=["q", "a"])
    result = curate(rows, spec)
    by_step = {s.name: s for s in result.steps}
    assert by_step["exact_dedup"].removed == 1 and by_step["near_dedup"].removed == 1
    assert "near duplicate of row 2" in json.dumps(result.removed)  # the reason names the survivor
    kept_a = [r["a"] for r in result.kept]
    assert "Paris is the capital city of France, of course." in kept_a  # keep: longest
    assert "Paris is the capital city of France." not in kept_a
    reasons = {r["q"]: r["_curation"]["reason"] for r in result.removed}
    assert "refusal" in reasons["Tides?"] and "loop" in reasons["Loop"] and "below 3" in reasons["Rated"]
    mailed = next(r for r in result.kept if r["q"] == "Who to mail?")
    assert mailed["a"] == "Write to [PERSON] at [EMAIL] about the forms." and by_step["pii"].rewritten == 1
    assert len(result.kept) + len(result.removed) == len(rows)


def test_decontamination_removes_copies_and_near_copies(tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"question": BENCH}) + "\n" + json.dumps({"question": "What is two plus two?"}) + "\n")
    near = BENCH.replace("latest count", "most recent count")  # shares 10-grams, high match ratio
    rows = [{"text": f"Q: {BENCH}"}, {"text": near}, {"text": "Jupiter has many moons and a great red spot."},
            {"text": "what is TWO plus two"}, {"text": "Tell me: what is two plus two, and why?"}]
    rows += [{"text": t} for t in _varied(200)]
    spec = CurationSpec.model_validate({"steps": [{"kind": "decontaminate", "benchmarks": [
        {"path": str(bench), "text": ["question"]}]}]})
    result = curate(rows, spec)
    # a short item is matched by its whole words only (inside a longer text it is too common to mean a leak)
    assert [r["text"] for r in result.removed] == [f"Q: {BENCH}", near, "what is TWO plus two"]
    assert [r["_curation"]["matched"] for r in result.removed] == ["bench.jsonl#0", "bench.jsonl#0", "bench.jsonl#1"]
    assert "short benchmark item" in result.removed[2]["_curation"]["reason"]


def test_decontamination_finds_each_planted_copy_across_chunks(monkeypatch):
    """The n-gram stage works a chunk of documents at a time; a match's row number must survive."""
    from synthloom.curate import decontaminate as dc

    monkeypatch.setattr(dc, "CHUNK", 64)
    items = _varied(30, seed=5)
    rows = [{"text": t} for t in _varied(500, seed=6)]
    planted = {37: 3, 64: 4, 130: 29, 499: 0}  # row -> item copied into it, mid-text
    for r, k in planted.items():
        rows[r]["text"] = rows[r]["text"][:40] + " " + " ".join(items[k].split()[10:25]) + " end"
    step = CurationSpec.model_validate({"steps": [{"kind": "decontaminate", "benchmarks": [{"path": "x"}]}]}).steps[0]
    found = dc.ngram_matches(step, [r["text"] for r in rows], items)
    assert {i: k for i, (_, k) in found.items()} == planted


def test_curate_cli_and_bad_input(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"text": t}) for t in ["same text here ok", "same text here ok", "other one"]))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("steps:\n  - kind: exact_dedup\n")
    ok = run_cli("curate", str(data), "-c", str(cfg), "-o", str(tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr
    info = json.loads((tmp_path / "out" / "curation.json").read_text())
    assert info["kept"] == 2 and info["steps"][0]["removed"] == 1
    assert len((tmp_path / "out" / "removed.jsonl").read_text().splitlines()) == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    bad_cfg = tmp_path / "bad.yaml"
    bad_cfg.write_text("steps:\n  - kind: near_dedup\n    threshold: 1.5\n")
    missing = tmp_path / "missing.yaml"
    missing.write_text("text: [body]\nsteps:\n  - kind: exact_dedup\n")
    no_bench = tmp_path / "no_bench.yaml"  # a later step's bad setting stops the run before any step
    no_bench.write_text("steps:\n  - kind: exact_dedup\n  - kind: decontaminate\n    benchmarks: [{path: gone.jsonl}]\n")
    for args, says in [((str(empty), "-c", str(cfg)), "is empty"),
                       ((str(data), "-c", str(bad_cfg)), "threshold"),
                       ((str(data), "-c", str(missing)), "text field 'body' is not in"),
                       ((str(data), "-c", str(no_bench)), "gone.jsonl of step 'decontaminate' does not exist")]:
        out = run_cli("curate", *args, "-o", str(tmp_path / "o2"))
        assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert not (tmp_path / "o2").exists()


def test_a_curated_run_exports_the_kept_rows_and_the_card_counts_steps(tmp_path, taxonomy_dir, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, store, rows = run_builtin("lab_freeform_skills", tmp_path, server,
                                       [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=4"])
    store.close()
    cfg = tmp_path / "curation.yaml"
    cfg.write_text("steps:\n  - kind: exact_dedup\n  - kind: quality\n    min_words: 1000\n    name: too short\n")
    out = run_cli("curate", str(summary.run_dir), "-c", str(cfg))
    assert out.returncode == 0, out.stderr
    assert run_cli("export", str(summary.run_dir), "--format", "sft").returncode == 2  # nothing left to export
    # the run's lineage holds the counts per step and each row's fate
    db = open_existing(summary.run_dir).db
    assert [(s["step"], s["rows_in"], s["removed"]) for s in db.curation_steps()] == [
        ("exact_dedup", len(rows), 0), ("too short", len(rows), len(rows))]
    fate = db.lineage_of(rows[0]["_row_id"])["curation"]
    assert fate[0]["step"] == "too short" and fate[0]["action"] == "removed" and "words" in fate[0]["reason"]
    assert db.lineage_of(rows[0]["_row_id"])["seed"]  # how it was made is still there
    db.close()
    cfg.write_text("steps:\n  - kind: exact_dedup\n  - kind: pii\n")
    assert run_cli("curate", str(summary.run_dir), "-c", str(cfg)).returncode == 0
    db = open_existing(summary.run_dir).db
    assert [s["step"] for s in db.curation_steps()] == ["exact_dedup", "pii"]  # curated again: the latest only
    assert "curation" not in db.lineage_of(rows[0]["_row_id"])
    db.close()
    exported = run_cli("export", str(summary.run_dir), "--format", "sft")
    assert exported.returncode == 0, exported.stderr
    card = next(summary.run_dir.rglob("README.md")).read_text()
    assert "## Curation" in card and "| exact_dedup | exact_dedup |" in card
    table_end = card.index("| pii | pii |")
    assert card[table_end:].split("\n")[1] == ""  # a blank line ends the table (else the next text joins it)
    assert len(read_jsonl(summary.run_dir / "export" / "sft.jsonl")) == len(rows)


def test_a_runs_own_curation_block_finds_references_beside_the_recipe(tmp_path, taxonomy_dir, scripted_server):
    """Reference paths in the recipe's `curation:` block start at the recipe's folder, also
    when the run is curated later from another directory."""
    server = scripted_server(enum_choice="max")
    block = "{text: [prompt], steps: [{kind: exact_dedup, against: [{path: real/old.jsonl, text: [prompt]}]}]}"
    summary, store, rows = run_builtin("lab_freeform_skills", tmp_path, server,
                                       [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=4",
                                        f"curation={block}"])
    store.close()
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "old.jsonl").write_text(json.dumps({"prompt": rows[1]["prompt"]}) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run_cli("curate", str(summary.run_dir), cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    removed = read_jsonl(summary.run_dir / "curation" / "removed.jsonl")
    assert [r["_row_id"] for r in removed] == [rows[1]["_row_id"]]
    assert "old.jsonl" in removed[0]["_curation"]["reason"] + str(removed[0]["_curation"]["matched"])
    # the project moved as a whole (recipe folder, data and runs): the run finds its new neighbours
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path / "runs", moved / "runs")
    shutil.move(tmp_path / "real", moved / "real")
    out = run_cli("curate", str(moved / "runs" / summary.run_dir.name), cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert len(read_jsonl(moved / "runs" / summary.run_dir.name / "curation" / "removed.jsonl")) == 1


def test_word_hashes_match_the_words_of_each_text_across_parts():
    """Texts are hashed in one polars part per thread; the flat hashes must still line up with
    each text's \\w+ words, also for empty, missing and punctuation-only texts."""
    import polars as pl

    from synthloom.data.text.shingles import word_hashes
    from synthloom.data.text.similarity import words

    texts = ["Grüße aus Köln, 2024!", "", None, " ,;- ", "naïve café_au_lait x"] + _varied(12_000, seed=3)
    flat, lengths = word_hashes(texts)
    expected = [words(t or "") for t in texts]
    assert lengths.tolist() == [len(w) for w in expected]
    everything = pl.Series([w for ws in expected for w in ws], dtype=pl.String).hash(seed=7).to_numpy()
    assert np.array_equal(flat, everything)


def test_clustered_semantic_search_finds_the_pairs_all_pairs_search_finds():
    """Above 50,000 rows semantic dedup compares within k-means clusters (each row in its 3 nearest);
    on topical embeddings with planted paraphrases it must find what comparing every pair finds."""
    from synthloom.curate.semantic import similar_pairs

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 64))
    z = centres[rng.integers(0, 40, 6000)] + 1.0 * rng.standard_normal((6000, 64))
    base = rng.choice(6000, 200, replace=False)
    z[base[100:]] = z[base[:100]] + 0.2 * rng.standard_normal((100, 64))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    every_pair, sims = similar_pairs(z, 0.9, clusters=0)
    clustered, clustered_sims = similar_pairs(z, 0.9, clusters=30)
    planted = {tuple(sorted(p)) for p in zip(base[:100].tolist(), base[100:].tolist())}
    assert planted <= {tuple(p) for p in every_pair.tolist()}
    assert {tuple(p) for p in clustered.tolist()} == {tuple(p) for p in every_pair.tolist()}
    assert clustered_sims.min() >= 0.9
    spec = _spec([{"kind": "semantic_dedup", "threshold": 0.9, "clusters": 30}])
    assert spec.steps[0].clusters == 30 and spec.steps[0].probes == 3


def test_the_lineage_names_rows_by_id_and_tells_flagged_from_rewritten(tmp_path):
    from synthloom.curate.pipeline import CurationResult, Rewrite
    from synthloom.curate.run_curation import record_in_lineage
    from synthloom.curate.step import Removal, RowMatch
    from synthloom.data.runs.run_db import RunDB

    rows = [{"_row_id": "a-0", "text": "x"}, {"_row_id": "b-1", "text": "x"}]
    removal = Removal("near", "near duplicate of row 0 (0.93)", RowMatch(0))
    removed = [{**rows[1], "_curation": removal.record()}]
    db = RunDB(tmp_path / "run.sqlite")
    record_in_lineage(db, CurationResult([rows[0]], removed, [], [Rewrite(0, "pii", "flagged")], {1: removal}), rows)
    got = db.conn.execute("SELECT row_id, step, action, matched FROM curation_rows ORDER BY row_id").fetchall()
    assert got == [("a-0", "pii", "flagged", None), ("b-1", "near", "removed", "a-0")]
    db.close()


def test_the_ratio_rule_compares_with_the_closest_item_whatever_the_order():
    from synthloom.config.curation import Decontaminate
    from synthloom.curate.decontaminate import ngram_matches

    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(3000)]
    close = [rng.choice(vocab) for _ in range(24)]
    row = close[:12] + ["edited"] + close[13:]  # no 13-gram left, 10-grams and a 0.96 ratio with `close`
    far = close[:10] + [rng.choice(vocab) for _ in range(200)]  # shares a 10-gram, ratio far below 0.5
    step = Decontaminate.model_validate({"kind": "decontaminate", "benchmarks": [{"path": "x"}]})
    for items, closest in (([" ".join(far), " ".join(close)], 1), ([" ".join(close), " ".join(far)], 0)):
        assert {i: k for i, (_, k) in ngram_matches(step, [" ".join(row)], items).items()} == {0: closest}


def test_near_copies_are_found_whatever_the_top_bit_of_their_hashes():
    """Many items and near copies: the items sharing a short n-gram are looked up in unsigned
    hash order (a signed sort once lost the half of them whose hashes have the top bit set)."""
    from synthloom.config.curation import Decontaminate
    from synthloom.curate.decontaminate import ngram_matches

    items = _varied(300, seed=9)
    rows = []
    for k in range(0, 300, 3):  # each item with every 11th word replaced: no 13-gram survives
        w = items[k].split()
        rows.append(" ".join("edit" if j % 11 == 5 else x for j, x in enumerate(w)))
    step = Decontaminate.model_validate({"kind": "decontaminate", "benchmarks": [{"path": "x"}]})
    found = ngram_matches(step, rows, items)
    assert {i: k for i, (_, k) in found.items()} == {i: 3 * i for i in range(len(rows))}
