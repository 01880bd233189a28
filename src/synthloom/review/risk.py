"""Which rows to review first: a risk score per row, from what can go wrong with it.

- a judge score close to the threshold its filter keeps (the judge was least sure there), or,
  with no filter on it, close to the middle of its scale; a missing score counts too;
- personal details in the row's text (data/text/pii.py: emails, phones, cards, IBANs, ...);
- near duplicates among the rows under review (MinHash over word 5-grams, Jaccard >= 0.8);
- a long run of words copied from a seed text (13 words or more: the usual contamination bound).

Each signal adds at most 1, and says why, so the focus view can show the reason beside the row.
The first two are the row's own; the last two compare rows, so `RiskIndex` computes them once
over the whole review, when a risk queue is first asked for."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from synthloom.data.review.store import ReviewStore
from synthloom.data.text.minhash import near_pairs
from synthloom.data.text.pii import find_pii
from synthloom.data.text.shared_span import longest_shared_span

COPIED_WORDS = 13  # a shared run this long is a copy, not a coincidence
NEAR_JACCARD = 0.8

_THRESHOLD = re.compile(r"^\s*(\w+)\.(\w+)\s*(>=|>|<=|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class JudgeScale:
    column: str
    attribute: str
    low: float
    high: float
    threshold: float  # the filter's, or the middle of the scale


def judge_scales(recipe: Any) -> list[JudgeScale]:
    """The judge attributes of a recipe, with the thresholds its filters keep."""
    thresholds: dict[tuple[str, str], float] = {}
    for flt in getattr(recipe, "filters", None) or []:
        expr = getattr(flt, "expr", flt)
        m = _THRESHOLD.match(str(expr))
        if m:
            thresholds[(m.group(1), m.group(2))] = float(m.group(4))
    scales = []
    for col in getattr(recipe, "columns", []):
        if getattr(col, "kind", None) != "judge":
            continue
        for attribute in col.attributes:
            middle = (col.min_score + col.max_score) / 2
            scales.append(JudgeScale(col.name, attribute, col.min_score, col.max_score,
                                     thresholds.get((col.name, attribute), middle)))
    return scales


def _texts(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) of every string in a row, nested ones too (bookkeeping `_` fields aside)."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if not str(key).startswith("_"):
                yield from _texts(inner, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _texts(inner, f"{pointer}/{index}")


def pii_spans(row: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    """(pointer, start, end, kind) of each personal detail found in the row's text."""
    return [(pointer, span.start, span.end, span.kind) for pointer, text in _texts(row) for span in find_pii(text)]


def row_risk(row: dict[str, Any], scales: list[JudgeScale] | tuple[JudgeScale, ...] = ()) -> tuple[float, list[str]]:
    risk, why = 0.0, []
    closest = None
    for scale in scales:
        score = (row.get(scale.column) or {}).get(scale.attribute) if isinstance(row.get(scale.column), dict) else None
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            closest = (0.5, f"no {scale.column}.{scale.attribute} score")
            continue
        near = 1 - min(1.0, abs(score - scale.threshold) / (scale.high - scale.low))
        if closest is None or near > closest[0]:
            closest = (near, f"{scale.column}.{scale.attribute} = {score:g}, near {scale.threshold:g}")
    if closest is not None and closest[0] > 0:
        risk += closest[0]
        why.append(closest[1])
    kinds = sorted({kind for *_, kind in pii_spans(row)})
    if kinds:
        risk += 1.0
        why.append("personal details: " + ", ".join(kinds))
    return risk, why


def generated_text(row: dict[str, Any], seed_strings: set[str]) -> str:
    """The row's text less the fields a seed filled in verbatim (a seed's own words are no copy)."""
    return "\n".join(text for _, text in _texts(row) if text not in seed_strings)


class RiskIndex:
    """Risk of every row of a review: the row's own signals plus the ones that compare rows.
    `references`: the seed texts of the run (none for a dataset)."""

    def __init__(self, store: ReviewStore, scales: list[JudgeScale], references: list[str]):
        self.store, self.scales, self.references = store, scales, references
        self._scores: dict[int, tuple[float, list[str]]] | None = None

    def scores(self) -> dict[int, tuple[float, list[str]]]:
        if self._scores is None:
            self._scores = self._compute()
        return self._scores

    def reasons(self, item: int, row: dict[str, Any]) -> list[str]:
        if self._scores is not None and item in self._scores:
            return self._scores[item][1]
        return row_risk(row, self.scales)[1]

    def _compute(self) -> dict[int, tuple[float, list[str]]]:
        items, rows = [], []
        for item, data in self.store.conn.execute("SELECT item, data FROM items ORDER BY item"):
            items.append(item)
            rows.append(json.loads(data))
        out = {item: row_risk(row, self.scales) for item, row in zip(items, rows)}
        seed_strings = set(self.references)
        texts = [generated_text(row, seed_strings) for row in rows]
        if len(texts) > 1:
            found = near_pairs(texts, threshold=NEAR_JACCARD)
            twins: dict[int, int] = {}
            for i, j in found.pairs:
                twins[int(i)] = twins.get(int(i), 0) + 1
                twins[int(j)] = twins.get(int(j), 0) + 1
            for index, count in twins.items():
                risk, why = out[items[index]]
                out[items[index]] = (risk + 0.5, [*why, f"near-duplicate of {count} other row{'s' if count > 1 else ''}"])
        if self.references:
            cache: dict[int, set[int]] = {}
            for item, text in zip(items, texts):
                span = longest_shared_span(text, self.references, cache)
                if span >= COPIED_WORDS:
                    risk, why = out[item]
                    out[item] = (risk + min(1.0, span / (2 * COPIED_WORDS)), [*why, f"copies {span} words of a seed"])
        return out
