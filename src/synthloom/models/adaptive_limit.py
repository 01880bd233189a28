"""How many requests one endpoint gets at once, adapted to how it answers.

The limit starts at the endpoint's `max_concurrency`, the user's cap, and never exceeds it: a
ramp from below would idle most slots for the first round trips of every run against a server
that takes them all. It changes once per window of answers (as many answers as the limit, at
least MIN_WINDOW), on three signals:

- **overload** (multiplicative decrease): refusals (429, 503) and timeouts made up more than
  STRONG_OVERLOAD of the window's answers, or more than OVERLOAD_SHARE smoothed over windows:
  the limit is cut by DECREASE (and the smoothing starts again: one cut per burst). A few
  refusals are not overload (a rate limiter shared with others, a replica restarting): each
  refused request waits for its own Retry-After, and the others keep their slots.
- **queueing** (latency rising): the window's fast answers (its FAST_QUANTILE latency) took
  half as long again as usual (QUEUE_TOLERANCE) in two windows running, or twice as long in one
  (STRONG_QUEUE). A server far past its capacity queues every request, so even the fast answers
  wait, while the client's own scheduling delays and long outputs hit some answers, not most.
  The tolerance is wide on purpose, as in Netflix's Gradient2 (which also takes 1.5): what users
  pay for is a busy server, and a server that is merely slower under load (a CPU-bound one, a
  GPU batching more sequences) still answers more at a higher concurrency; the cut is for a
  queue that grows toward the timeout. "Usual" is, for steady answers, the lowest of the recent
  windows (as TCP Vegas takes the lowest round trip for its base); for varied ones (outputs of
  all lengths), their lower quartile, which one lucky window does not set; three standard
  errors of the window's figure widen the tolerance when its answers vary more. The limit
  goes to what the server serves without a queue: the requests that were in flight x usual /
  now. A cut that brings no relief (the next window is as slow) was not ours to make: the
  server itself got slower, so it is undone and the usual latency starts again.
- otherwise, if the window filled the limit, **additive increase**: one more, up to the cap.

Windows hold at least MIN_WINDOW answers, so a lower limit does not make the signals noisier,
and only answers to requests sent under the current limit: `sent` returns the limit's epoch,
which its answer brings back, so what was sent before a change does not judge the change.
This is AIMD as NeMo Data Designer uses it on 429s, plus a delay signal in the spirit of TCP
Vegas, so a server that queues instead of refusing is found too."""

from __future__ import annotations

import math
from collections import deque

MIN_WINDOW = 32
OVERLOAD_SHARE = 0.1
STRONG_OVERLOAD = 0.2
SMOOTHING = 0.25  # weight of the newest window in the smoothed refusal share
DECREASE = 0.75
FAST_QUANTILE = 0.1
QUEUE_TOLERANCE = 0.5
STRONG_QUEUE = 1.0
RECENT_WINDOWS = 31  # "usual" latency is read over this many recent windows


class AdaptiveLimit:
    def __init__(self, cap: int):
        self.cap = cap
        self.limit = float(cap)
        self._recent: deque[float] = deque(maxlen=RECENT_WINDOWS)
        self.changes = 0  # how often the limit moved (for tests and the manifest)
        self.epoch = 0  # moves with the limit
        self._refusal_share = 0.0
        self._queued_before = False  # the last window's fast answers were slow too
        self._last_cut: tuple[float, float] | None = None  # (limit before, latency) of a queueing cut
        self._new_window()

    @property
    def current(self) -> int:
        return max(1, min(self.cap, int(self.limit)))

    def _new_window(self) -> None:
        self._latencies: list[float] = []
        self._refused = 0
        self._peak = 0

    def sent(self, in_flight: int) -> int:
        """A request left with `in_flight` requests (itself included) at the endpoint; returns
        the epoch its outcome is to be reported with."""
        self._peak = max(self._peak, in_flight)
        return self.epoch

    def answered(self, latency_s: float, epoch: int) -> None:
        if epoch == self.epoch:
            self._latencies.append(latency_s)
            self._maybe_update()

    def refused(self, epoch: int) -> None:
        """A 429 or 503, a timeout or a refused connection: the server could not take it."""
        if epoch == self.epoch:
            self._refused += 1
            self._maybe_update()

    def _maybe_update(self) -> None:
        seen = len(self._latencies) + self._refused
        window = max(MIN_WINDOW, self.current)
        # so many refusals that the window's share is over STRONG_OVERLOAD whatever comes next:
        # cut now, before more requests meet a full server
        if seen < window and self._refused <= STRONG_OVERLOAD * window:
            return
        before = self.current
        share = self._refused / max(seen, window) if seen < window else self._refused / seen
        self._refusal_share = SMOOTHING * share + (1 - SMOOTHING) * self._refusal_share
        cuts = []
        if share > STRONG_OVERLOAD or self._refusal_share > OVERLOAD_SHARE:
            cuts.append(self.limit * DECREASE)
            self._refusal_share = 0.0
        queued = False
        if self._latencies:
            queued = self._queueing(cuts)
        self._queued_before = queued
        if cuts:
            self.limit = max(1.0, min(self.limit, *cuts))
        elif not queued and self._peak >= self.current:
            self.limit = min(float(self.cap), self.limit + 1)
        if self.current != before:
            self.changes += 1
            self.epoch += 1
        self._new_window()


    def _queueing(self, cuts: list[float]) -> bool:
        """Whether this window's answers waited in a queue; appends a cut when they did twice."""
        ordered = sorted(self._latencies)
        n = len(ordered)
        rank = int(FAST_QUANTILE * (n - 1))
        spread = math.ceil(math.sqrt(n * FAST_QUANTILE * (1 - FAST_QUANTILE)))  # one standard error, in ranks
        now = ordered[rank]
        error = (ordered[min(n - 1, rank + spread)] - ordered[max(0, rank - spread)]) / 2
        if self._last_cut is not None:
            limit_before, latency_then = self._last_cut
            self._last_cut = None
            if now >= latency_then * (1 - QUEUE_TOLERANCE / 2):
                self.limit = max(self.limit, limit_before)
                self._recent.clear()
        noise = 3 * error / now if now > 0 else 0.0
        tolerance = max(QUEUE_TOLERANCE, noise)
        # steady answers: the fastest window is the unqueued latency; varied ones: a low quartile,
        # which one lucky window does not set
        steady = noise <= QUEUE_TOLERANCE
        usual = (min(self._recent) if steady else _quantile(list(self._recent), 0.25)) if self._recent else now
        queued = now > usual * (1 + tolerance)
        if queued and (self._queued_before or now > usual * (1 + tolerance + STRONG_QUEUE)):
            cuts.append(self._peak * usual / now)
            self._last_cut = (self.limit, now)
        self._recent.append(now)
        return queued


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]
