"""The command line: exit codes and one-sentence errors, with nothing written lost."""

from __future__ import annotations

import socket

import pyarrow.parquet as pq

from .conftest import run_cli
from .recipes import qa_recipe, write


def _one_error_line(result):
    assert "Traceback" not in result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_seed_file_exits_2(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: t\ntarget_rows: 1\ncolumns:\n  - {name: s, kind: seed, path: nowhere.csv}\n")
    result = run_cli("generate", str(path), "--output-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    assert "nowhere.csv does not exist" in _one_error_line(result)


def test_unreachable_endpoint_exits_2(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    path = write(qa_recipe(f"http://127.0.0.1:{port}/v1", tmp_path / "runs"), tmp_path / "r.yaml")
    result = run_cli("generate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "cannot be reached" in line


def test_generate_then_rerun_without_flags_keeps_the_data(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs", target=6), tmp_path / "r.yaml")
    first = run_cli("generate", str(path), "--quiet")
    assert first.returncode == 0, first.stderr
    assert "complete: 6/6 rows accepted" in first.stdout
    shards = sorted((tmp_path / "runs/qa/shards").glob("*.parquet"))
    before = [pq.read_table(s).to_pylist() for s in shards]
    again = run_cli("generate", str(path), "--quiet")
    assert again.returncode == 2 and "--resume" in _one_error_line(again)
    assert [pq.read_table(s).to_pylist() for s in shards] == before


def test_budget_stop_exits_3_and_resume_continues(tmp_path, scripted_server):
    server = scripted_server()
    recipe = qa_recipe(server.url, tmp_path / "runs", target=60, extra={"budget": {"max_tokens": 800}})
    path = write(recipe, tmp_path / "r.yaml")
    stopped = run_cli("generate", str(path), "--quiet")
    assert stopped.returncode == 3 and "budget reached" in stopped.stderr
    recipe["budget"] = {"max_tokens": 10_000_000}
    resumed = run_cli("generate", str(write(recipe, path)), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    rows = [r for s in sorted((tmp_path / "runs/qa/shards").glob("*.parquet")) for r in pq.read_table(s).to_pylist()]
    assert len(rows) == 60 == len({r["_row_id"] for r in rows})
    # changing what decides the rows is refused
    recipe["seed"] = 99
    refused = run_cli("generate", str(write(recipe, path)), "--resume", "--quiet")
    assert refused.returncode == 2 and "different recipe" in _one_error_line(refused)


def test_preview_prints_rows(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs"), tmp_path / "r.yaml")
    result = run_cli("preview", str(path), "-n", "3")
    assert result.returncode == 0, result.stderr
    assert "b00000-r0000" in result.stdout
    assert not (tmp_path / "runs").exists()


def test_generate_with_gates(tmp_path, scripted_server):
    server = scripted_server()
    path = write(qa_recipe(server.url, tmp_path / "runs", target=6), tmp_path / "r.yaml")
    gates = tmp_path / "gates.yaml"
    gates.write_text("- question_pii == 0\n- question_distinct_2 >= 0.99\n")
    result = run_cli("generate", str(path), "--quiet", "--gates", str(gates))
    assert result.returncode == 4, result.stderr
    assert "gate failed: question_distinct_2 >= 0.99" in result.stderr and "the rows are kept" in result.stderr
    assert len(list((tmp_path / "runs/qa/shards").glob("*.parquet"))) >= 1
    assert (tmp_path / "runs/qa/report.html").exists()
    gates.write_text("- question_pii == 0\n")
    ok = run_cli("generate", str(path), "--quiet", "--overwrite", "--gates", str(gates))
    assert ok.returncode == 0 and "all 1 gates passed" in ok.stdout
