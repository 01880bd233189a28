"""Curation steps are objects registered by their config class: every kind a user can write has
one, a config with none is an error naming it (never another step's work), a prepared step
survives pickling, and a removal names what it matched as data: another row by its number in
the input, or a reference dataset's item."""

from __future__ import annotations

import json
import pickle
from typing import Literal, get_args

import pytest

from synthloom.config.curation import CurationSpec, Quality, StepConfig
from synthloom.curate.pipeline import curate, prepared_steps, step_for, write_curation
from synthloom.curate.step import STEP_FOR_CONFIG, ReferenceMatch, Removal, RowMatch, Step, StepContext

from .test_pii_detectors import ticket_detector



def _classes(annotation) -> list[type]:
    """The classes inside a type (list[...], Annotated[...], Union[...])."""
    if isinstance(annotation, type) and not get_args(annotation):
        return [annotation]
    return [c for arg in get_args(annotation) for c in _classes(arg)]


# what `steps:` accepts, read from CurationSpec itself
STEP_CONFIGS = _classes(CurationSpec.model_fields["steps"].annotation)


def test_every_step_config_a_user_can_write_has_its_step():
    assert len(STEP_CONFIGS) >= 6 and all(issubclass(c, StepConfig) for c in STEP_CONFIGS)
    missing = [c.__name__ for c in STEP_CONFIGS if c not in STEP_FOR_CONFIG]
    assert missing == []
    for config_class, step_class in STEP_FOR_CONFIG.items():
        assert issubclass(step_class, Step) and step_class.config_class is config_class


class Mystery(StepConfig):
    kind: Literal["mystery"] = "mystery"


class NotQuiteQuality(Quality):  # a subclass is not its parent's kind of step either
    pass


@pytest.mark.parametrize("config", [Mystery(), NotQuiteQuality(kind="quality")])
def test_a_step_config_with_no_step_is_an_error_naming_it(config):
    with pytest.raises(TypeError, match=type(config).__name__):
        step_for(config)
    spec = CurationSpec.model_construct(text=None, steps=[config])
    rows = [{"text": "Write to jane@example.org"}]
    with pytest.raises(TypeError, match=f"no curation step is registered for {type(config).__name__}"):
        curate(rows, spec)  # never the PII step, nor any other


def test_each_prepared_step_pickles_and_judges_the_same_after(tmp_path, monkeypatch):
    """An executor may ship a prepared step to another process: after pickling it gives the same
    result. The PII step leaves its detectors (closures, NER models) behind and loads them again."""
    (tmp_path / "ref.jsonl").write_text(json.dumps({"text": "An old answer about the refund of order TCK-123456."}) + "\n")
    ref = [{"path": "ref.jsonl"}]
    settings = {
        "exact_dedup": {"against": ref},
        "near_dedup": {"threshold": 0.5, "ngram": 2, "against": ref},
        "semantic_dedup": {"threshold": 0.9, "embedding": "tfidf", "against": ref},
        "decontaminate": {"benchmarks": ref, "ngram": 5},
        "pii": {"action": "redact", "detectors": [ticket_detector(tmp_path, monkeypatch)]},
        "quality": {"min_words": 4},
    }
    assert set(settings) == {get_args(c.model_fields["kind"].annotation)[0] for c in STEP_FOR_CONFIG}
    spec = CurationSpec.model_validate({"steps": [{"kind": k, **v} for k, v in settings.items()]})
    spec.with_base_dir(tmp_path)
    rows = [{"text": "An old answer about the refund of order TCK-123456."},
            {"text": "Mail jane@example.org about order TCK-567890 today please."},
            {"text": "Mail jane@example.org about order TCK-567890 today please."},
            {"text": "Too short."},
            {"text": "Something else entirely, with enough words to stay."}]
    for step in prepared_steps(spec):
        before = step.apply(rows)
        shipped = pickle.loads(pickle.dumps(step))
        if step.config.kind == "pii":
            assert shipped._detectors is None  # loaded again when first applied
        after = shipped.apply(rows)
        assert after == before, step.label
        assert before.removed or before.rewritten, f"{step.label} judged nothing: the round trip proved little"


def test_an_unprepared_step_refuses_to_run():
    step = step_for(CurationSpec.model_validate({"steps": [{"kind": "exact_dedup"}]}).steps[0])
    with pytest.raises(RuntimeError, match="before prepare"):
        step.apply([{"text": "x"}])
    step.prepare(StepContext(_no_paths))
    assert step.apply([{"text": "a b"}, {"text": "A, b!"}], [7, 9]).removed == {
        1: Removal("exact_dedup", "exact copy of row 7 (1.00)", RowMatch(7))}


def _no_paths(path):  # a step with no references resolves none
    raise AssertionError(path)


def test_removals_name_rows_by_their_input_number_and_references_by_item(tmp_path):
    (tmp_path / "bench.jsonl").write_text("\n".join(json.dumps({"q": q}) for q in [
        "what is the boiling point of water at sea level in degrees celsius", "name the largest ocean"]) + "\n")
    rows = [{"text": "tiny"},  # gone first, so the later rows' positions in the dedup batch shift by one
            {"text": "Paris is the capital of France and its largest city."},
            {"text": "Paris is the capital of France and its largest city!"},
            {"text": "Q: what is the boiling point of water at sea level in degrees celsius?"}]
    spec = CurationSpec.model_validate({"steps": [
        {"kind": "quality", "min_words": 2},
        {"kind": "exact_dedup", "name": "copies"},
        {"kind": "decontaminate", "benchmarks": [{"path": "bench.jsonl", "text": ["q"]}], "ngram": 8},
    ]}).with_base_dir(tmp_path)
    result = curate(rows, spec)
    assert result.removals == {
        0: Removal("quality", "1 words, fewer than 2"),
        2: Removal("copies", "exact copy of row 1 (1.00)", RowMatch(1)),
        3: Removal("decontaminate", "shares a 8-gram with a benchmark item", ReferenceMatch("bench.jsonl", 0)),
    }
    write_curation(result, tmp_path / "out")
    records = [json.loads(line)["_curation"] for line in (tmp_path / "out" / "removed.jsonl").read_text().splitlines()]
    assert records == [
        {"step": "quality", "reason": "1 words, fewer than 2", "matched": None},
        {"step": "copies", "reason": "exact copy of row 1 (1.00)", "matched": "row 1", "matched_row": 1},
        {"step": "decontaminate", "reason": "shares a 8-gram with a benchmark item", "matched": "bench.jsonl#0",
         "matched_dataset": "bench.jsonl", "matched_item": 0},
    ]
