"""Row filters: quality (length, repetition loops, refusals and boilerplate, score thresholds,
validator results) and PII (flag, redact or drop)."""

from __future__ import annotations

import re
from typing import Any

from synthloom.config.curation import PIIStep, Quality
from synthloom.curate.fields import map_text, value_at
from synthloom.data.pii import Detector, find_pii, redact
from synthloom.data.similarity import words

Removed = dict[int, tuple[str, str | None]]
REFUSAL = re.compile(
    r"(?i)\b(?:as an ai(?: language model)?|i(?:'m| am) (?:sorry|unable|not able)|i can(?:no|')t (?:help|assist|"
    r"provide|answer|do that)|i (?:cannot|won't|will not) (?:help|assist|provide)|i apologi[sz]e,? but|"
    r"it is not appropriate|i don't have (?:access|the ability)|my knowledge cutoff|"
    r"here is (?:the|your) (?:answer|response):?\s*$|certainly! here(?:'s| is))")


def repeated_ngram_fraction(tokens: list[str], n: int) -> float:
    """Share of the text's n-grams that repeat an earlier one: 0 for varied text, near 1 for loops."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def quality(step: Quality, texts: list[str], rows: list[dict[str, Any]]) -> Removed:
    removed: Removed = {}
    for i, (t, row) in enumerate(zip(texts, rows)):
        toks = words(t)
        reason = None
        if step.min_words is not None and len(toks) < step.min_words:
            reason = f"{len(toks)} words, fewer than {step.min_words}"
        elif step.max_words is not None and len(toks) > step.max_words:
            reason = f"{len(toks)} words, more than {step.max_words}"
        elif step.max_repeated_ngram_fraction is not None and (
                (frac := repeated_ngram_fraction(toks, step.repetition_ngram)) > step.max_repeated_ngram_fraction):
            reason = f"{frac:.0%} of its {step.repetition_ngram}-grams repeat (a loop)"
        elif step.refusals and (m := REFUSAL.search(t)):
            reason = f"refusal or boilerplate: '{m.group().strip()}'"
        else:
            for path, low in step.min_scores.items():
                v = value_at(row, path)
                if not isinstance(v, (int, float)) or v < low:
                    reason = f"{path} = {v}, below {low}"
                    break
            for path in step.validators if reason is None else []:
                v = value_at(row, path)
                ok = v.get("valid", False) if isinstance(v, dict) else bool(v)
                if not ok:
                    reason = f"validator {path} failed"
                    break
        if reason:
            removed[i] = (reason, None)
    return removed


def pii(step: PIIStep, texts: list[str], rows: list[dict[str, Any]], fields: list[str] | None,
        extra: list[Detector] | None = None) -> tuple[Removed, dict[int, dict]]:
    """Rows to drop (action drop), or rewritten rows (redact), or neither (flag: counted only)."""
    removed: Removed = {}
    rewritten: dict[int, dict] = {}
    extra = extra or []
    for i, (t, row) in enumerate(zip(texts, rows)):
        spans = find_pii(t, step.kinds, extra)
        if not spans:
            continue
        kinds = sorted({s.kind for s in spans})
        if step.action == "drop":
            removed[i] = (f"contains PII: {', '.join(kinds)}", None)
        elif step.action == "redact":
            # each string redacted where it lives, so structured fields keep their shape
            rewritten[i] = map_text(row, fields, lambda s: redact(s, find_pii(s, step.kinds, extra)))
        else:
            rewritten[i] = {**row, "_pii": kinds}
    return removed, rewritten
