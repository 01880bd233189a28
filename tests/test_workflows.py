"""workflows/: the jobs that combine feature packages, called as the CLI calls them. One gate
implementation serves a fresh report and a saved one alike; a release refuses failed or stale
gates before writing a file; the demo stops after generation when the run stops short; tabular
synthesis writes the format the output's suffix names."""

from __future__ import annotations

import asyncio

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from synthloom.api import to_recipe
from synthloom.config.errors import SynthloomError
from synthloom.evaluate.gates import parse_gates
from synthloom.generate import generate_run
from synthloom.tabular import DEFAULT_SYNTHESIZER
from synthloom.testing.tables import mixed_table
from synthloom.workflows.demo import run_demo
from synthloom.workflows.gates import gate_run, gate_saved_run_report
from synthloom.workflows.release import evaluate_and_release, release_run
from synthloom.workflows.tabular_synth import synth_table

from .recipes import qa_recipe


def test_gates_on_a_fresh_report_and_on_the_saved_one_agree_and_release_follows_them(tmp_path, scripted_server):
    server = scripted_server()
    recipe = to_recipe(qa_recipe(server.url, tmp_path / "runs", target=6))
    run = asyncio.run(generate_run(recipe)).run_dir
    failing = parse_gates(["question_pii == 0", "question_distinct_2 >= 0.99"])
    with pytest.raises(SynthloomError, match=r"^not released: 1 gate\(s\) failed: question_distinct_2 >= 0.99"):
        evaluate_and_release(run, ["parquet"], gates=failing)
    assert (run / "report.json").is_file() and not (run / "export").exists()  # evaluated, nothing exported
    fresh = gate_run(run, failing)
    saved = gate_saved_run_report(run, failing)
    assert fresh.failures() == saved.failures() == [f for f in fresh.failures() if f.startswith("question_distinct_2")]
    assert saved.path == run / "report.json" and not saved.passed
    with pytest.raises(SynthloomError, match="not released: 1 gate"):
        release_run(run, ["parquet"], gates=failing)
    assert not (run / "export").exists()
    released = release_run(run, ["parquet"], gates=parse_gates(["question_pii == 0"]))
    assert released.gates.passed and [p.name for p in released.files] == ["train.parquet", "README.md"]
    (run / "report.json").write_text((run / "report.json").read_text().replace('"rows_sha256": "', '"rows_sha256": "0'))
    with pytest.raises(SynthloomError, match="judged other rows"):  # a stale report is refused
        release_run(run, ["parquet"], gates=parse_gates(["question_pii == 0"]))


def test_the_demo_ends_after_generation_when_the_run_stops_short(tmp_path, scripted_server):
    server = scripted_server()
    recipe = to_recipe(qa_recipe(server.url, tmp_path / "runs", target=60, extra={"budget": {"max_tokens": 800}}))
    seen = []
    result = run_demo(recipe, on_stage=lambda stage, r: seen.append((stage, r.generated.status)))
    assert seen == [("generated", result.generated.status)] and result.generated.status != "complete"
    assert result.stages == ["generated"] and result.curated is None and result.released is None
    assert not (result.run_dir / "curation").exists() and not (result.run_dir / "report.json").exists()


def test_tabular_synthesis_writes_the_format_the_suffix_names(tmp_path):
    data = tmp_path / "real.parquet"
    pq.write_table(mixed_table(300, seed=1), data)
    as_csv = synth_table(data, 20, tmp_path / "out.csv", options={"seed": 2})
    as_parquet = synth_table(data, 20, tmp_path / "out.parquet", options={"seed": 2})
    assert pacsv.read_csv(as_csv.path).num_rows == 20 and pq.read_table(as_parquet.path).num_rows == 20
    assert as_csv.synthesizer.name == DEFAULT_SYNTHESIZER and as_csv.report["copies"]["guard"] == "on"
