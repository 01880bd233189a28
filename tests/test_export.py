"""Export: training files that `datasets` loads offline and TRL's format helpers accept."""

from __future__ import annotations

import json
import os

import pytest

from synthloom.config.errors import SynthloomError
from synthloom.data.release.export import export_run

from .conftest import run_cli
from .test_builtin_recipes import docs_override, leaves_of, run_builtin

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer():
    """A tiny tokenizer built here (nothing downloaded) carrying a ChatML chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", chat_template=CHATML)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_dpo_export_matches_trl_preference_formats(tmp_path, scripted_server, tokenizer):
    import datasets
    from trl.data_utils import is_conversational, maybe_apply_chat_template, maybe_extract_prompt

    server = scripted_server()
    summary, _, rows = run_builtin("preference_pairs", tmp_path, server, ["target_rows=6"])
    written = export_run(summary.run_dir, ["dpo", "hf"])
    assert [p.name for p in written] == ["dpo.jsonl", "hf", "README.md"]
    records = [json.loads(line) for line in written[0].read_text().splitlines()]
    assert len(records) == 6 and all(set(r) == {"prompt", "chosen", "rejected"} for r in records)
    assert records[0]["chosen"] == rows[0]["pair"]["chosen"]
    ds = datasets.load_from_disk(str(written[1]))
    assert ds.num_rows == 6 and set(ds.column_names) == {"prompt", "chosen", "rejected"}
    example = maybe_extract_prompt(ds[0])
    assert not is_conversational(example) and example["prompt"] == records[0]["prompt"]

    conv = export_run(summary.run_dir, ["dpo"], out_dir=tmp_path / "conv", dpo_style="conversational")
    record = json.loads(conv[0].read_text().splitlines()[0])
    assert is_conversational(record)
    text = maybe_apply_chat_template(record, tokenizer)
    assert text["prompt"].startswith("<|im_start|>user\n") and text["prompt"].endswith("<|im_start|>assistant\n")
    assert text["chosen"].startswith(record["chosen"][0]["content"])


def test_sft_export_of_dialogues_and_card(tmp_path, scripted_server, tokenizer):
    import datasets
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    server = scripted_server(enum_choice="max")
    summary, _, rows = run_builtin("nemotron_dialogue", tmp_path, server, ["target_rows=4"])
    written = export_run(summary.run_dir, ["sft", "parquet", "hf"])
    records = [json.loads(line) for line in (summary.run_dir / "export/sft.jsonl").read_text().splitlines()]
    assert [m["role"] for m in records[0]["messages"]] == ["user", "assistant"] * 3
    assert is_conversational(records[0])
    assert maybe_apply_chat_template(records[0], tokenizer)["text"].count("<|im_start|>assistant") == 3
    ds = datasets.load_from_disk(str(summary.run_dir / "export/hf"))
    assert ds.num_rows == 4 and ds[0]["messages"] == records[0]["messages"]
    import pyarrow.parquet as pq

    assert pq.read_table(summary.run_dir / "export/train.parquet").num_rows == 4
    card = written[-1].read_text()
    assert card.startswith("---\npretty_name: nemotron_dialogue")
    assert "| accepted (in this dataset) | 4 |" in card and "`dialogue` (llm_dialogue, model `default`)" in card
    assert "sft.jsonl" in card and "load_from_disk" in card


def test_card_counts_rejections_and_taxonomy_coverage(tmp_path, taxonomy_dir, example_document_map, scripted_server):
    server = scripted_server()  # random judge scores: some rows fail the filter
    summary, store, rows = run_builtin("lab_knowledge", tmp_path, server, [
        f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=2", docs_override(example_document_map),
    ])
    card = export_run(summary.run_dir, ["sft"])[-1].read_text()
    for leaf in leaves_of(taxonomy_dir, ["knowledge"]):
        assert f"| `{leaf}` | 2 |" in card
    assert "| `_filter` | filter 'faithful and relevant' is false |" in card
    assert f"| rejected (kept in the run's `rejected/`) | {summary.rejected} |" in card
    assert "| `qa` | `default` |" in card


def test_export_errors_are_one_sentence(tmp_path, scripted_server):
    server = scripted_server()
    summary, _, _ = run_builtin("preference_pairs", tmp_path, server, ["target_rows=2"])
    with pytest.raises(SynthloomError, match="exports DPO records, not SFT"):
        export_run(summary.run_dir, ["sft"])
    with pytest.raises(SynthloomError, match="unknown export format 'csv'"):
        export_run(summary.run_dir, ["csv"])
    result = run_cli("export", str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a synthloom run directory" in result.stderr
    ok = run_cli("export", str(summary.run_dir), "-f", "dpo", "-f", "parquet", env={"HF_HUB_OFFLINE": "1"})
    assert ok.returncode == 0, ok.stderr
    assert (summary.run_dir / "export/dpo.jsonl").exists() and (summary.run_dir / "export/README.md").exists()
    assert os.path.getsize(summary.run_dir / "export/train.parquet") > 0
