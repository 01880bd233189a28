"""Release gates and the dataset card trust a run's report only for the rows it judged: a
report left from before a regeneration or a curation is refused with one sentence, and a run's
text evaluation judges against the same seed rows (chunks of documents) generation used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from synthloom.data.runs.run_store import open_existing
from synthloom.data.sources.taxonomy import taxonomy_rows

from .conftest import run_cli
from .recipes import qa_recipe, write

PASSING = "- question_distinct_2 >= 0\n"


def _one_error_line(out) -> str:
    """The refusal: a non-zero exit and one sentence, no traceback."""
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def _evaluated_run(tmp_path: Path, url: str) -> tuple[Path, Path, Path]:
    """A small QA run against the scripted server, evaluated; returns (recipe, run, gates)."""
    recipe = write(qa_recipe(url, tmp_path / "runs", target=8, batch=4), tmp_path / "qa.yaml")
    made = run_cli("generate", str(recipe), "--quiet")
    assert made.returncode == 0, made.stderr
    run = tmp_path / "runs" / "qa"
    evaluated = run_cli("evaluate", str(run), "--embedding", "tfidf")
    assert evaluated.returncode == 0, evaluated.stderr
    gates = tmp_path / "gates.yaml"
    gates.write_text(PASSING)
    return recipe, run, gates


def _curate_away_the_first_row(tmp_path: Path, run: Path) -> None:
    first = open_existing(run).read_accepted().to_pylist()[0]
    (tmp_path / "old.jsonl").write_text(json.dumps({"question": first["question"]}) + "\n")
    cfg = tmp_path / "curation.yaml"  # removes the questions asked before (the first one)
    cfg.write_text("text: [question]\nsteps:\n  - {kind: exact_dedup, against: [{path: old.jsonl}]}\n")
    curated = run_cli("curate", str(run), "-c", str(cfg))
    assert curated.returncode == 0, curated.stderr


def test_a_report_from_before_overwrite_does_not_release_the_new_rows(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    recipe, run, gates = _evaluated_run(tmp_path, server.url)
    report = json.loads((run / "report.json").read_text())
    released = run_cli("export", str(run), "--gates", str(gates))
    assert released.returncode == 0, released.stderr
    shutil.rmtree(run / "export")

    edited = qa_recipe(server.url, tmp_path / "runs", target=8, batch=4)
    edited["columns"][2]["prompt"] = "As {{ persona.name }}, ask one hard question about {{ topic }}."
    again = run_cli("generate", str(write(edited, recipe)), "--overwrite", "--quiet")
    assert again.returncode == 0, again.stderr
    refused = run_cli("export", str(run), "--gates", str(gates))
    assert "report.json does not exist; run `synthloom evaluate`" in _one_error_line(refused)
    assert not (run / "report.json").exists() and not (run / "report.html").exists()  # --overwrite removed it
    assert not (run / "export").exists()

    (run / "report.json").write_text(json.dumps(report))  # the old report put back by hand
    refused = run_cli("export", str(run), "--gates", str(gates))
    assert "judged a run of another recipe" in _one_error_line(refused)
    assert not (run / "export").exists()


def test_a_report_from_before_curation_does_not_release_the_curated_rows(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    _, run, gates = _evaluated_run(tmp_path, server.url)
    old = (run / "report.json").read_text()
    _curate_away_the_first_row(tmp_path, run)
    refused = run_cli("export", str(run), "--gates", str(gates))
    assert "report.json does not exist" in _one_error_line(refused)
    assert not (run / "report.json").exists()  # curation removed the report of the rows before it

    (run / "report.json").write_text(old)
    refused = run_cli("export", str(run), "--gates", str(gates))
    kept = json.loads((run / "curation" / "curation.json").read_text())["kept"]
    assert kept < 8 and f"judged other rows than run {run} holds now (8 rows then, {kept} now" in _one_error_line(refused)

    assert run_cli("evaluate", str(run), "--embedding", "tfidf").returncode == 0  # judged again: released
    assert json.loads((run / "report.json").read_text())["judged"]["rows"] == kept
    released = run_cli("export", str(run), "--gates", str(gates))
    assert released.returncode == 0, released.stderr


def test_the_card_refuses_a_report_of_other_rows(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    _, run, _ = _evaluated_run(tmp_path, server.url)
    exported = run_cli("export", str(run))
    assert exported.returncode == 0, exported.stderr
    card = (run / "export" / "README.md").read_text()
    assert "## Evaluation" in card and "question_distinct_2" in card
    shutil.rmtree(run / "export")

    old = (run / "report.json").read_text()
    _curate_away_the_first_row(tmp_path, run)
    exported = run_cli("export", str(run))  # the report of the rows before curation is gone, not shown
    assert exported.returncode == 0, exported.stderr
    assert "## Evaluation" not in (run / "export" / "README.md").read_text()
    shutil.rmtree(run / "export")

    (run / "report.json").write_text(old)  # put back: same recipe, but its row hash is of the 8 rows
    refused = run_cli("export", str(run))
    assert "judged other rows than run" in _one_error_line(refused) and "(8 rows then, 7 now" in refused.stderr
    assert not (run / "export").exists()

    report = json.loads(old)
    assert report["judged"]["rows"] == 8 and report["judged"]["fingerprint"]
    del report["judged"]  # a report without a stamp: not written by evaluating this run
    (run / "report.json").write_text(json.dumps(report))
    assert "does not say which rows it judged" in _one_error_line(run_cli("export", str(run)))


DOCUMENT = "\n\n".join(
    f"Paragraph {i} of the lighthouse history tells how keeper number {i} trimmed the wick, polished the "
    f"great lens, logged the passing ships and the weather of night {i}, and climbed the {100 + i} steps "
    "of the tower before dawn to shut the shutters against the sun." for i in range(12))


def _knowledge_taxonomy(root: Path) -> None:
    leaf = root / "taxonomy" / "knowledge" / "history" / "lighthouses"
    leaf.mkdir(parents=True)
    qa = {"version": 3, "domain": "history", "created_by": "test",
          "document_outline": "Lighthouse keepers", "document": {"repo": "https://example.org/lighthouses",
                                                                  "patterns": ["*.md"]},
          "seed_examples": [{"context": f"Seed context {k}: keepers lived in small cottages beside the tower.",
                             "questions_and_answers": [{"question": f"Where did keepers live ({k})?",
                                                        "answer": "In cottages beside the tower."}]}
                            for k in range(5)]}
    (leaf / "qna.yaml").write_text(json.dumps(qa))
    docs = root / "docs" / "lighthouses"
    docs.mkdir(parents=True)
    (docs / "history.md").write_text(DOCUMENT)


def test_a_runs_text_evaluation_judges_against_the_chunks_generation_used(tmp_path, scripted_server):
    """`unit: chunk` + `document_map` + `fields`: the reference set is the document chunks the
    rows were grown from, so a row that repeats its chunk is a copy of the reference."""
    server = scripted_server(enum_choice="max")
    _knowledge_taxonomy(tmp_path)
    recipe = qa_recipe(server.url, tmp_path / "runs", name="chunks", target=6, batch=3)
    recipe["columns"] = [
        {"name": "seed", "kind": "seed", "taxonomy": "taxonomy", "unit": "chunk", "chunk_words": 60,
         "document_map": {"https://example.org/lighthouses": "docs/lighthouses"}, "order": "ordered",
         "fields": ["leaf", "context"]},
        {"name": "question", "kind": "llm_text", "model": "teacher",
         "prompt": "Ask one question about this passage: {{ seed.context }}"},
        {"name": "passage", "kind": "expression", "template": "{{ seed.context }}"},
    ]
    recipe["filters"] = []
    made = run_cli("generate", str(write(recipe, tmp_path / "chunks.yaml")), "--quiet")
    assert made.returncode == 0, made.stderr
    run = tmp_path / "runs" / "chunks"
    evaluated = run_cli("evaluate", str(run), "--embedding", "tfidf")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads((run / "report.json").read_text())
    chunks = taxonomy_rows(tmp_path / "taxonomy", unit="chunk", chunk_words=60,
                           document_map={"https://example.org/lighthouses": tmp_path / "docs/lighthouses"})
    assert len(chunks) > 6 and all(c["source"] == "history.md" for c in chunks)
    assert report["reference_texts"] == len(chunks)  # the chunks' text, and only the fields kept
    assert report["summary"]["passage_exact_copies"] == 6
    assert report["summary"]["leaf_coverage"] == 1.0
