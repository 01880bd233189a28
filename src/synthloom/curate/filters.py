"""Steps that judge each row alone: quality (length, repetition loops, refusals and boilerplate,
score thresholds, validator results) and PII (flag, redact or drop)."""

from __future__ import annotations

import re
from typing import Any

from synthloom.config.curation import PII, Quality
from synthloom.curate.fields import map_text, value_at
from synthloom.curate.pii_detectors import extra_detectors, presidio_model
from synthloom.curate.step import Batch, Step, StepContext, StepResult, registered
from synthloom.data.text.pii import Detector, find_pii, redact
from synthloom.data.text.similarity import words

REFUSAL = re.compile(
    r"(?i)\b(?:as an ai(?: language model)?|i(?:'m| am) (?:sorry|unable|not able)|i can(?:no|')t (?:help|assist|"
    r"provide|answer|do that)|i (?:cannot|won't|will not) (?:help|assist|provide)|i apologi[sz]e,? but|"
    r"it is not appropriate|i don't have (?:access|the ability)|my knowledge cutoff|"
    r"here is (?:the|your) (?:answer|response):?\s*$|certainly! here(?:'s| is))")


def repeated_ngram_fraction(tokens: list[str], n: int) -> float:
    """Share of the text's n-grams that repeat an earlier one: 0 for varied text, near 1 for loops."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


@registered(Quality)
class QualityStep(Step):
    config: Quality

    def run(self, batch: Batch) -> StepResult:
        return StepResult({i: self.removal(reason) for i, (t, row) in enumerate(zip(batch.texts, batch.rows))
                           if (reason := self.fault(t, row))})

    def fault(self, text: str, row: dict[str, Any]) -> str | None:
        """Why the row falls short, or None."""
        step, toks = self.config, words(text)
        if step.min_words is not None and len(toks) < step.min_words:
            return f"{len(toks)} words, fewer than {step.min_words}"
        if step.max_words is not None and len(toks) > step.max_words:
            return f"{len(toks)} words, more than {step.max_words}"
        if step.max_repeated_ngram_fraction is not None and (
                (frac := repeated_ngram_fraction(toks, step.repetition_ngram)) > step.max_repeated_ngram_fraction):
            return f"{frac:.0%} of its {step.repetition_ngram}-grams repeat (a loop)"
        if step.refusals and (m := REFUSAL.search(text)):
            return f"refusal or boilerplate: '{m.group().strip()}'"
        for path, low in step.min_scores.items():
            v = value_at(row, path)
            if not isinstance(v, (int, float)) or v < low:
                return f"{path} = {v}, below {low}"
        for path in step.validators:
            v = value_at(row, path)
            if not (v.get("valid", False) if isinstance(v, dict) else bool(v)):
                return f"validator {path} failed"
        return None


@registered(PII)
class PIIStep(Step):
    """Drops (action drop), redacts in place (redact) or marks with `_pii` (flag) the rows with
    personal details. The extra detectors (a user's functions, Presidio's model) are loaded by
    prepare, so a bad one stops the curation before any step runs; they do not pickle, so a
    pickled step leaves them behind and loads them again when first applied."""

    config: PII

    def prepare(self, context: StepContext) -> None:
        super().prepare(context)
        self.presidio_model = presidio_model(self.config, context.resolve_path)
        self._detectors: list[Detector] | None = extra_detectors(self.config, self.presidio_model)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_detectors": None}

    @property
    def detectors(self) -> list[Detector]:
        if self._detectors is None:
            self._detectors = extra_detectors(self.config, self.presidio_model)
        return self._detectors

    def run(self, batch: Batch) -> StepResult:
        step, extra = self.config, self.detectors
        result = StepResult(rewrite_action="flagged" if step.action == "flag" else "rewritten")
        for i, (t, row) in enumerate(zip(batch.texts, batch.rows)):
            spans = find_pii(t, step.kinds, extra)
            if not spans:
                continue
            kinds = sorted({s.kind for s in spans})
            if step.action == "drop":
                result.removed[i] = self.removal(f"contains PII: {', '.join(kinds)}")
            elif step.action == "redact":
                # each string redacted where it lives, so structured fields keep their shape
                result.rewritten[i] = map_text(row, self.fields, lambda s: redact(s, find_pii(s, step.kinds, extra)))
            else:
                result.rewritten[i] = {**row, "_pii": kinds}
        return result
