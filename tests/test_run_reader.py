"""The run reader (data/runs/run_reader.py): a real run made against the scripted server, curated and
exported, read back through `open_run` without a byte of its folder changing; its kept rows are
what export writes; a folder that is not a finished run is one sentence; an older run.sqlite
reads as it is."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from synthloom.config.curation import CurationSpec
from synthloom.config.errors import SynthloomError
from synthloom.config.loader import parse_recipe
from synthloom.curate.run_curation import curate_run
from synthloom.data.release.export import export_run
from synthloom.data.runs.report_stamp import rows_sha256
from synthloom.data.runs.run_reader import open_run, read_jsonl
from synthloom.data.runs.run_store import RunStore, open_existing
from synthloom.data.files.tables import read_table
from synthloom.generate import generate_run

from .recipes import qa_recipe


def _folder_state(folder: Path) -> dict[str, str]:
    """Every file below `folder` by its content: what a reader must leave as it found it."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_sentence(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and text.count("; ") <= 2, text
    return text


@pytest.fixture
def curated_run(tmp_path, scripted_server) -> tuple[Path, dict]:
    """A QA run of 8 rows, curated (its first question removed as seen before) and exported."""
    server = scripted_server(enum_choice="max")
    recipe = parse_recipe(json.dumps(qa_recipe(server.url, tmp_path / "runs", target=8, batch=4)),
                          source="qa.yaml", base_dir=tmp_path)
    summary = asyncio.run(generate_run(recipe))
    store = open_existing(summary.run_dir)
    first = store.read_accepted().to_pylist()[0]
    store.close()
    (tmp_path / "old.jsonl").write_text(json.dumps({"question": first["question"]}) + "\n")
    spec = CurationSpec.model_validate(
        {"text": ["question"], "steps": [{"kind": "exact_dedup", "against": [{"path": str(tmp_path / "old.jsonl")}]}]})
    curate_run(summary.run_dir, spec)
    export_run(summary.run_dir, ["parquet"])
    return summary.run_dir, first


def test_the_reader_gives_a_curated_run_as_export_wrote_it_and_changes_nothing(curated_run):
    run_dir, first = curated_run
    before = _folder_state(run_dir)
    with open_run(run_dir) as run:
        assert not {"recipe", "all_rows", "kept_rows", "manifest", "curation"} & set(vars(run))  # nothing read yet
        assert run.recipe.name == "qa" and run.recipe.fingerprint() == run.fingerprint
        assert run.manifest["status"] == "complete" and run.manifest["accepted"] == len(run.all_rows) == 8
        store = open_existing(run_dir)
        assert run.all_rows == store.read_accepted().to_pylist()
        assert run.rejected_rows == store.read_rejected().to_pylist()
        store.close()
        # curation removed the first row; the kept rows are the rest, and what export wrote
        assert run.curation["kept"] == 7 and run.curation["accepted_rows"] == 8
        assert run.kept_rows == run.all_rows[1:] == run.rows("export")
        assert run.rows("curate", curated=False) == run.all_rows
        assert run.kept_rows == read_jsonl(run_dir / "curation" / "kept.jsonl")
        assert read_table(run_dir / "export" / "train.parquet").to_pylist() == run.kept_rows
        # lineage: how each row was made, and what curation did to the removed one
        kept_lineage = run.lineage(run.kept_rows[0]["_row_id"])
        assert set(kept_lineage["llm"]) == {"question", "answer", "score"} and "curation" not in kept_lineage
        [event] = run.lineage(first["_row_id"])["curation"]
        assert (event["step"], event["action"]) == ("exact_dedup", "removed")
        assert len(run.accepted_lineage()) == 8
        assert [s["step"] for s in run.db.curation_steps()] == ["exact_dedup"]
        # the report stamp is that of the rows export and evaluate use
        assert run.stamp() == {"fingerprint": run.fingerprint, "rows": 7, "rows_sha256": rows_sha256(run.kept_rows)}
        assert run.current_report() is None  # not evaluated
    assert _folder_state(run_dir) == before  # read-only: no file changed, none appeared


def test_a_run_grown_after_curation_refuses_its_kept_rows(curated_run):
    run_dir, _ = curated_run
    info = json.loads((run_dir / "curation" / "curation.json").read_text())
    (run_dir / "curation" / "curation.json").write_text(json.dumps({**info, "accepted_rows": 6}))
    with open_run(run_dir) as run:
        assert len(run.all_rows) == 8  # the rows before curation are still there to read
        with pytest.raises(SynthloomError) as error:
            run.rows("export")
    assert _one_sentence(error) == (f"run {run_dir} has 8 accepted rows but was curated when it had 6; "
                                    f"run `synthloom curate {run_dir}` again")


def test_a_folder_that_is_not_a_finished_run_is_one_sentence(tmp_path):
    with pytest.raises(SynthloomError) as error:
        open_run(tmp_path)
    assert _one_sentence(error) == f"{tmp_path} is not a synthloom run directory (no run.sqlite); check the path"

    started = tmp_path / "started"  # a run that was opened and never committed a batch
    RunStore.open(started, "f" * 16, "name: started\n", resume=False, overwrite=False).close()
    with open_run(started) as run:
        with pytest.raises(SynthloomError) as error:
            run.rows("export")
    assert _one_sentence(error) == f"run {started} has no accepted rows to export"

    (started / "recipe.yaml").unlink()
    with open_run(started) as run:
        with pytest.raises(SynthloomError) as error:
            _ = run.recipe
    assert _one_sentence(error) == f"{started} has no recipe.yaml; it is not a complete synthloom run"


def test_a_run_sqlite_from_an_older_synthloom_reads_without_being_changed(tmp_path):
    old = sqlite3.connect(tmp_path / "run.sqlite")
    old.executescript(  # before estimated tokens, uncommitted usage and curation records
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE usage (batch INTEGER NOT NULL, column_name TEXT NOT NULL, model TEXT NOT NULL, calls INTEGER "
        "NOT NULL, cached_calls INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, "
        "cost_usd REAL NOT NULL, PRIMARY KEY (batch, column_name, model));"
        "CREATE TABLE lineage (row_id TEXT PRIMARY KEY, batch INTEGER NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('fingerprint', 'abc');"
        "INSERT INTO usage VALUES (0, 'q', 'teacher', 2, 0, 10, 5, 0.01);"
        """INSERT INTO lineage VALUES ('b00000-r0000', 0, 'accepted', '{"status": "accepted"}');""")
    old.close()
    before = _folder_state(tmp_path)
    with open_run(tmp_path) as run:
        assert run.fingerprint == "abc"
        [usage] = run.db.usage_totals()
        assert (usage.prompt_tokens, usage.completion_tokens, usage.estimated_tokens) == (10, 5, 0)
        assert run.db.curation_steps() == [] and run.db.committed_batches() == {}
        assert run.lineage("b00000-r0000") == {"status": "accepted"}
        assert run.all_rows == [] and run.curation is None and run.manifest == {}
    assert _folder_state(tmp_path) == before
