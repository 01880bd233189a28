"""A run's review end to end, without the browser: reviewers made with the CLI, decisions in
the store, then `synthloom export` leaves rejected rows out and writes edited ones as edited, the
card reports the review, and release gates read review.* beside the run's report."""

from __future__ import annotations

import json

from synthloom.data.review.store import ReviewStore
from synthloom.review.target import open_review

from .conftest import run_cli


def test_export_applies_the_review_and_gates_read_it(tmp_path, scripted_server):
    from .test_builtin_recipes import run_builtin

    server = scripted_server()
    summary, _, _ = run_builtin("preference_pairs", tmp_path, server, ["target_rows=6"])
    run = summary.run_dir
    made = run_cli("review", "add-user", str(run), "ana")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    run_cli("review", "add-user", str(run), "ben")
    with open_review(run) as store:
        assert store.reviewer_for(token) == "ana" and store.count() == 6
        ids = [store.row_id(i) for i in range(1, 7)]
        prompt = store.original(1)["prompt"]
        store.edit(1, "ana", "/prompt", prompt + " (clarified)")
        store.decide(1, "ana", "accept")
        store.decide(2, "ana", "reject", "made-up fact")
        for item, decision in [(3, "accept"), (4, "accept")]:
            store.decide(item, "ana", decision)
            store.decide(item, "ben", decision)
        store.decide(5, "ben", "accept")
        store.decide(5, "ana", "reject", "off-topic")  # the latest decision wins: rejected

    from synthloom.data.runs.run_reader import open_run

    with open_run(run) as reader:
        judged = reader.stamp(reader.rows("evaluate"))
    (run / "report.json").write_text(json.dumps({"judged": judged, "summary": {"responses_exact_copies": 0}}))
    gates = tmp_path / "gates.yaml"
    gates.write_text("- review.reviewed_fraction >= 0.9\n- review.acceptance_rate >= 0.5\n")
    refused = run_cli("export", str(run), "-f", "dpo", "--gates", str(gates))
    assert refused.returncode == 2 and "review.reviewed_fraction >= 0.9 (got 0.8333)" in refused.stderr
    gates.write_text("- review.reviewed_fraction >= 0.8\n- review.acceptance_low >= 0.2\n")
    ok = run_cli("export", str(run), "-f", "dpo", "--gates", str(gates))
    assert ok.returncode == 0, ok.stderr

    records = [json.loads(line) for line in (run / "export" / "dpo.jsonl").read_text().splitlines()]
    assert len(records) == 4  # six rows, two rejected
    assert records[0]["prompt"] == prompt + " (clarified)"
    card = (run / "export" / "README.md").read_text()
    assert "## Human review" in card and "5 of 6 rows" in card and "2 rejected" in card and "1 edited" in card
    assert "This dataset holds 4 rows" in card and "Krippendorff's alpha" in card
    with ReviewStore(run / "review" / "review.sqlite") as store:
        assert {store.row_id(i) for i in (2, 5)} == {ids[1], ids[4]}

    status = run_cli("review", "status", str(run))
    assert "review.acceptance_rate: 0.6000" in status.stdout and "review.agreement_alpha" in status.stdout


def test_a_gate_on_review_without_a_review_says_what_it_needs(tmp_path, scripted_server):
    from .test_builtin_recipes import run_builtin

    server = scripted_server()
    summary, _, _ = run_builtin("preference_pairs", tmp_path, server, ["target_rows=2"])
    from synthloom.data.runs.run_reader import open_run

    with open_run(summary.run_dir) as reader:
        judged = reader.stamp(reader.rows("evaluate"))
    (summary.run_dir / "report.json").write_text(json.dumps({"judged": judged, "summary": {}}))
    gates = tmp_path / "gates.yaml"
    gates.write_text("- review.reviewed_fraction >= 0.05\n")
    refused = run_cli("export", str(summary.run_dir), "-f", "dpo", "--gates", str(gates))
    assert refused.returncode == 2 and "synthloom review RUN" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_dataset_file_is_reviewed_beside_it_and_imported_once(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(5)))
    with open_review(data) as store:
        assert store.count() == 5 and store.path == tmp_path / "rows.jsonl.review" / "review.sqlite"
    with open_review(data) as store:
        assert store.count() == 5
    with open(data, "a") as fh:  # the dataset grows: the new row is imported, the others stay
        fh.write(json.dumps({"text": "row 5"}) + "\n")
    with open_review(data) as store:
        assert store.count() == 6 and store.original(6) == {"text": "row 5"}
    bad = run_cli("review", "add-user", str(tmp_path / "missing.jsonl"), "ana")
    assert bad.returncode != 0 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_a_reviewed_dataset_is_written_without_its_rejections_and_with_its_edits(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({"text": f"row {i}", "meta": {"n": i}}) + "\n" for i in range(6)))
    with open_review(data) as store:
        store.add_reviewer("ana")
        store.decide(2, "ana", "reject", "wrong")
        store.edit(3, "ana", "/meta/n", 99)
    out = tmp_path / "reviewed.jsonl"
    done = run_cli("review", "export", str(data), "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["text"] for r in rows] == ["row 0", "row 2", "row 3", "row 4", "row 5"]
    assert rows[1]["meta"]["n"] == 99 and "wrote 5 rows" in done.stdout
    parquet = run_cli("review", "export", str(data), "-o", str(tmp_path / "reviewed.parquet"))
    assert parquet.returncode == 0
    wrong = run_cli("review", "export", str(data), "-o", str(tmp_path / "x.txt"))
    assert wrong.returncode == 2 and ".jsonl or .parquet" in wrong.stderr


def test_a_runs_curation_rewrites_become_flags_in_its_review(tmp_path, scripted_server):
    from .test_builtin_recipes import run_builtin

    server = scripted_server()
    summary, run_store, rows = run_builtin("preference_pairs", tmp_path, server, ["target_rows=3"])
    with open_review(summary.run_dir) as store:
        assert store.flags(1) == []
    # what `synthloom curate` records of a PII rewrite
    run_store.db.record_curation([("pii", "pii", 3, 0, 1, 0.0)], [(rows[0]["_row_id"], "pii", "redacted", None, None)])
    run_store.close()
    with open_review(summary.run_dir) as store:
        assert store.flags(store.item_of(rows[0]["_row_id"])) == ["pii: redacted"]
        assert store.count() == 3
