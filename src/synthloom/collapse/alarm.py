"""When the signals say collapse is under way. Calibrated once, on the one-Gaussian loop with 100
rows a generation (tests/test_collapse_alarm.py), and fixed since:

- the variance has dropped: the mean log-variance ratio of the last DROP_WINDOW generations is
  below log(DROP_RATIO) of the first DROP_WINDOW's (relative to the series' own start, so the
  noise of a small real reference, shared by every generation, cancels out);
- or the variance is low outright: the mean of the last LEVEL_WINDOW generations is below
  log(LEVEL_RATIO);
- or a real category has been absent for LOST_FOR generations running (rare values go first),
  in generations large enough to hold at least MIN_EXPECTED rows of it at its real share (so
  chance leaves it out of each under 5% of the time, and of LOST_FOR running almost never: a
  category of 2 rows in 300 is missing from a faithful sample one time in seven).

- or, for text, the word pairs of the real texts that a generation still uses fell below
  PAIR_DROP of the previous generation's (generations of like size, within SIZE_TOLERANCE in
  words: a smaller one holds fewer pairs by size alone). A model trained on its own text loses,
  each generation, the pairs it did not happen to sample, for good; one that keeps the real data
  samples them again. Calibrated once on the text setup (a bigram model, 1,000 sentences a
  generation): from generation 1 to 2 replace kept at most 0.82 of its pairs in 20 seeds, while
  accumulate never kept less than 0.94 of the previous generation's in 10 seeds x 40 generations.

On the one-Gaussian loop the variance rules fire by generation 50 in 82% of 400 replace-mode seeds and in 0.25% of
400 accumulate-mode seeds over 200 generations."""

from __future__ import annotations

import math
from dataclasses import dataclass

from synthloom.collapse.signals import GenerationSignals

DROP_WINDOW, DROP_RATIO = 5, 0.7
LEVEL_WINDOW, LEVEL_RATIO = 10, 0.6
LOST_FOR = 3
PAIR_DROP = 0.88
SIZE_TOLERANCE = 0.1
MIN_EXPECTED = 3.0


@dataclass(frozen=True)
class Alarm:
    generation: int  # 1-based: the generation at which the rule first fired
    reason: str


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def first_alarm(series: list[GenerationSignals]) -> Alarm | None:
    """The first generation at which the rule fires, with why; None if it never does."""
    variance = [s.log_variance_ratio for s in series]
    for g in range(1, len(series) + 1):
        known = [v for v in variance[:g] if v is not None]
        if len(known) > DROP_WINDOW and len(known) == g:
            start, now = _mean(known[:DROP_WINDOW]), _mean(known[-DROP_WINDOW:])
            if now - start < math.log(DROP_RATIO):
                return Alarm(g, f"the variance fell to {math.exp(now - start):.2f} of its first generations' "
                                f"(last {DROP_WINDOW} against first {DROP_WINDOW})")
        if len(known) >= LEVEL_WINDOW and len(known) == g:
            level = _mean(known[-LEVEL_WINDOW:])
            if level < math.log(LEVEL_RATIO):
                return Alarm(g, f"the variance is {math.exp(level):.2f} of the real data's "
                                f"(mean of the last {LEVEL_WINDOW} generations)")
        if g >= LOST_FOR:
            recent = series[g - LOST_FOR:g]
            for column, gone in recent[-1].lost.items():
                for category in gone:
                    if all(category in s.lost.get(column, [])
                           and s.expected.get(column, {}).get(category, math.inf) >= MIN_EXPECTED for s in recent):
                        return Alarm(g, f"{column} = {category!r}, present in the real data, has been absent "
                                        f"for {LOST_FOR} generations")
        if g >= 2:
            dropped = _pairs_dropped(series[g - 2], series[g - 1])
            if dropped is not None:
                column, ratio = dropped
                return Alarm(g, f"text {column!r} uses {ratio:.2f} of the real word pairs the generation before used "
                                f"(below {PAIR_DROP})")
    return None


def _pairs_dropped(before: GenerationSignals, now: GenerationSignals) -> tuple[str, float] | None:
    for column, signals in now.texts.items():
        previous = before.texts.get(column)
        if not previous or not previous["pair_coverage"] or signals["pair_coverage"] is None:
            continue
        if abs(signals["words"] - previous["words"]) > SIZE_TOLERANCE * max(signals["words"], previous["words"]):
            continue
        ratio = signals["pair_coverage"] / previous["pair_coverage"]
        if ratio < PAIR_DROP:
            return column, ratio
    return None
