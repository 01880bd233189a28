"""Curation reads every field it is pointed at: strings nested in structured answers, judge
results, personas and message lists, by dotted path or whole; PII redaction writes each string
back where it was; a field with no text in it is one sentence."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import yaml

from synthloom.config.curation import CurationSpec
from synthloom.curate.pipeline import curate
from synthloom.data.runs.run_reader import read_jsonl
from synthloom.data.runs.run_store import open_existing

from .conftest import ROOT, run_cli

PLANTED = {"steps": ["Send the receipt to jane.doe@example.com so we can check it",
                     "We will refund the card 4111 1111 1111 1111 within five days"], "escalate": False}
REDACTED = {"steps": ["Send the receipt to [EMAIL] so we can check it",
                      "We will refund the card [CREDIT_CARD] within five days"], "escalate": False}


def _spec(steps: list[dict], text: list[str] | None = None) -> CurationSpec:
    return CurationSpec.model_validate({"text": text, "steps": steps})


def test_the_readme_recipe_curated_as_the_readme_shows_finds_pii_inside_answer_steps(tmp_path, scripted_server):
    """README tour: the support-qa recipe, generated against the scripted server (which answers
    every customer with steps holding an email and a card number), then curated with
    `text: [question, answer]` and a pii step: both are found inside `answer.steps` and
    redacted there, the answer keeping its shape in kept.jsonl and in the export."""
    server = scripted_server(enum_choice="max", rules=[("Answer this customer", json.dumps(PLANTED))])
    recipe = yaml.safe_load((ROOT / "examples/support_qa.yaml").read_text())
    recipe["models"]["teacher"]["endpoints"][0]["url"] = server.url
    recipe.update(output_dir=str(tmp_path / "runs"), target_rows=6, batch_size=6,
                  curation={"text": ["question", "answer"],
                            "steps": [{"kind": "exact_dedup"}, {"kind": "pii", "action": "redact"}]})
    (tmp_path / "support_qa.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False))
    env = {"OPENAI_API_KEY": "test-key"}
    made = run_cli("generate", str(tmp_path / "support_qa.yaml"), "--quiet", env=env)
    assert made.returncode == 0, made.stderr
    run = tmp_path / "runs" / "support-qa"
    rows = open_existing(run).read_accepted().to_pylist()
    assert len(rows) == 6 and all(r["answer"] == PLANTED for r in rows)

    curated = run_cli("curate", str(run), env=env)
    assert curated.returncode == 0, curated.stderr
    pii = json.loads((run / "curation" / "curation.json").read_text())["steps"][1]
    assert pii["name"] == "pii"
    assert pii["rewritten"] == 6 and pii["removed"] == 0
    kept = read_jsonl(run / "curation" / "kept.jsonl")
    assert [r["answer"] for r in kept] == [REDACTED] * 6  # redacted in place, not flattened
    assert [r["question"] for r in kept] == [r["question"] for r in rows]
    assert [r["customer"] for r in kept] == [r["customer"] for r in rows]  # not named: left alone

    flagged = tmp_path / "flag.yaml"
    flagged.write_text("text: [answer.steps]\nsteps:\n  - {kind: pii, action: flag}\n")
    assert run_cli("curate", str(run), "-c", str(flagged)).returncode == 0
    assert all(r["_pii"] == ["credit_card", "email"] for r in read_jsonl(run / "curation" / "kept.jsonl"))

    assert run_cli("curate", str(run)).returncode == 0  # the recipe's own block again
    exported = run_cli("export", str(run), "-f", "parquet")
    assert exported.returncode == 0, exported.stderr
    table = pq.read_table(run / "export" / "train.parquet").to_pylist()
    assert [r["answer"] for r in table] == [REDACTED] * 6


def test_a_whole_field_reads_every_string_nested_in_it():
    from synthloom.curate.fields import map_text, strings_of, text_of

    row = {"_row_id": "x-1", "question": "How do I reset it?",
           "answer": {"steps": ["Hold the button", "Wait"], "escalate": False, "_note": "private"},
           "customer": {"name": "Ana Lima", "traits": {"style": "terse"}},
           "score": {"helpfulness": 4},
           "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert strings_of(row, ["answer"]) == ["Hold the button", "Wait"]
    assert strings_of(row, ["answer.steps.1", "customer.traits"]) == ["Wait", "terse"]
    assert strings_of(row, ["messages.content"]) == strings_of(row, ["messages"]) == ["hi", "hello"]
    assert text_of(row, None) == "How do I reset it?\nHold the button\nWait\nAna Lima\nterse\nhi\nhello"
    upper = map_text(row, ["answer.steps.0", "messages"], str.upper)
    assert upper["answer"] == {"steps": ["HOLD THE BUTTON", "Wait"], "escalate": False, "_note": "private"}
    assert upper["messages"] == [{"role": "user", "content": "HI"}, {"role": "assistant", "content": "HELLO"}]
    assert upper["question"] == row["question"] and row["answer"]["steps"][0] == "Hold the button"


def test_every_string_field_by_default_includes_nested_ones():
    """Without `text`, dedup and PII see what lies inside dicts and lists too."""
    rows = [{"q": "Where is my order?", "a": {"steps": ["Call 415-555-0132 or mail ops@shop.example"]}},
            {"q": "Where is my order?", "a": {"steps": ["Check the tracking page first"]}},
            {"q": "Where is my order?", "a": {"steps": ["Check the tracking page first"]}}]
    result = curate(rows, _spec([{"kind": "exact_dedup"}, {"kind": "pii", "action": "redact"}]))
    assert [s.removed for s in result.steps] == [1, 0]  # only the true copy: the answers differ
    assert result.kept[0]["a"] == {"steps": ["Call [PHONE] or mail [EMAIL]"]}
    dropped = curate(rows, _spec([{"kind": "pii", "action": "drop"}]))
    assert len(dropped.removed) == 1 and "email" in dropped.removed[0]["_curation"]["reason"]


def test_a_text_field_that_holds_no_text_is_one_sentence(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"question": "Why?", "answer": {"steps": ["Because"], "escalate": True},
                                          "score": {"helpfulness": 3}}) for _ in range(2)))
    for field, says in [("answer.escalate", "text field 'answer.escalate' holds no text"),
                        ("score", "text field 'score' holds no text"),
                        ("answer.step", "text field 'answer.step' is not in")]:
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"text: [{field}]\nsteps:\n  - kind: exact_dedup\n")
        out = run_cli("curate", str(data), "-c", str(cfg), "-o", str(tmp_path / "out"))
        assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    cfg.write_text("text: [answer]\nsteps:\n  - kind: exact_dedup\n")
    assert run_cli("curate", str(data), "-c", str(cfg), "-o", str(tmp_path / "out")).returncode == 0
