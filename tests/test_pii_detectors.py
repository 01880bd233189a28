"""A pii curation step with detectors from outside: a user's own function named 'module:function',
and Presidio's analyzer with a spaCy NER pipeline (built here from an entity ruler and saved to a
folder, standing in for a trained model a user would install); bad settings get one sentence."""

from __future__ import annotations

import json
import re

import pytest

from synthloom.config.curation import CurationSpec
from synthloom.config.errors import SynthloomError
from synthloom.curate.pipeline import curate

from .conftest import run_cli

NAME = "Zorblax Quintavo"  # in no gazetteer: only the NER pipeline knows it


def _pii(**options) -> CurationSpec:
    return CurationSpec.model_validate({"steps": [{"kind": "pii", "action": "redact", **options}]})


def ticket_detector(tmp_path, monkeypatch) -> str:
    """A user's detector module (ticket ids TCK-dddddd) on the path; its 'module:function'."""
    (tmp_path / "ticket_ids.py").write_text(
        "import re\n"
        "def find(text):\n"
        "    return [('ticket', m.start(), m.end()) for m in re.finditer(r'TCK-\\d{6}', text)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "ticket_ids:find"


def test_a_users_detector_function_adds_its_own_kind(tmp_path, monkeypatch):
    rows = [{"text": "Ticket TCK-204981 was opened by jane@example.org."}, {"text": "No identifiers here."}]
    result = curate(rows, _pii(detectors=[ticket_detector(tmp_path, monkeypatch)]))
    assert result.kept[0]["text"] == "Ticket [TICKET] was opened by [EMAIL]."
    assert result.kept[1] == rows[1] and result.steps[0].rewritten == 1


@pytest.mark.parametrize("path, says", [("no_such_module_xyz:find", "cannot be imported"),
                                        ("json:no_such_function", "cannot be imported"),
                                        ("json:__doc__", "is not a function")])
def test_a_detector_that_cannot_be_used_gets_one_sentence(path, says):
    with pytest.raises(SynthloomError, match=says):
        curate([{"text": "x"}], _pii(detectors=[path]))


def _ner_pipeline(folder):
    import spacy  # installed with presidio-analyzer (the dev extra has it)

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "PERSON", "pattern": [{"LOWER": w.lower()} for w in NAME.split()]}])
    nlp.to_disk(folder)


def test_presidio_with_a_spacy_ner_pipeline_finds_what_the_gazetteer_cannot(tmp_path):
    _ner_pipeline(tmp_path / "ner")
    rows = [{"text": f"The invoice lists {NAME} as the buyer."}]
    assert curate(rows, _pii()).kept == rows  # the gazetteer alone does not know the name
    spec = _pii(presidio={"model": "ner"}).with_base_dir(tmp_path)  # a folder beside the curation file
    assert curate(rows, spec).kept[0]["text"] == "The invoice lists [PERSON] as the buyer."


def test_presidio_with_a_model_that_is_not_installed_says_so_without_downloading(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "hello"}) + "\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("steps:\n  - kind: pii\n    presidio: {model: xx_not_a_model_lg}\n")
    out = run_cli("curate", str(data), "-c", str(cfg), "-o", str(tmp_path / "o"))
    assert out.returncode == 2 and "neither an installed package nor a folder" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("returns, says", [("None", None), ("'abc'", "must return (kind, start, end)"),
                                           ("[('x', 10, 3)]", "spans must lie inside the text"),
                                           ("1 / 0", "failed on a text (ZeroDivisionError")])
def test_a_detector_that_misbehaves_gets_one_sentence(tmp_path, monkeypatch, returns, says):
    module = f"odd_detector_{tmp_path.name.replace('-', '_')}"  # one module per case: imports are cached
    (tmp_path / f"{module}.py").write_text(f"def find(text):\n    return {returns}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = [{"text": "Hello there, general reader."}]
    if says is None:  # nothing found is a fine answer
        assert curate(rows, _pii(detectors=[f"{module}:find"])).kept == rows
        return
    with pytest.raises(SynthloomError, match=re.escape(says)):
        curate(rows, _pii(detectors=[f"{module}:find"]))


def test_presidio_refuses_unknown_entities_and_models_without_ner(tmp_path):
    import spacy

    _ner_pipeline(tmp_path / "ner")
    with pytest.raises(SynthloomError, match="no recognizer for PERSN"):
        curate([{"text": "x"}], _pii(presidio={"model": str(tmp_path / "ner"), "entities": ["PERSN"]}))
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(SynthloomError, match="no named-entity component"):
        curate([{"text": "x"}], _pii(presidio={"model": str(tmp_path / "blank")}))
