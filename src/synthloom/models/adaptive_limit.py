"""How many requests one endpoint gets at once, adapted to how it answers.

The limit starts at the endpoint's `max_concurrency`, the user's cap, and never exceeds it: a
ramp from below would idle most slots for the first round trips of every run against a server
that takes them all. It changes once per window of answers (as many answers as the limit, at
least MIN_WINDOW), on three signals:

- **overload** (multiplicative decrease): refusals (429, 503) and timeouts made up more than
  STRONG_OVERLOAD of the window's answers, or more than OVERLOAD_SHARE smoothed over windows:
  the limit is cut by DECREASE (and the smoothing starts again: one cut per burst). A few
  refusals are not overload (a rate limiter shared with others, a replica restarting): each
  refused request waits for its own Retry-After, and the others keep their slots. Meanwhile
  each refusal keeps one slot shut until an answer comes back: a full server refuses at once,
  and a slot refilled at once would be refused again, many times before the window ends.
- **queueing** (latency rising) in two windows running, or by STRONG_QUEUE more in one:
  - steady answers are judged on the window's mean, which rises with every request queued
    (Little's law), even when only a wave behind the served ones waits; against the lowest
    recent mean (as TCP Vegas takes the lowest round trip for its base);
  - varied answers (outputs of all lengths) on the fast quantile (FAST_QUANTILE), which long
    outputs and the client's own scheduling delays leave alone, against a low quartile of
    recent windows, which one lucky window does not set; three standard errors of the
    window's figure widen the tolerance when its answers vary more.

  The tolerance (QUEUE_TOLERANCE) is wide on purpose, as in Netflix's Gradient2 (which also
  takes 1.5): what users pay for is a busy server, and one merely slower under load (CPU-bound,
  a GPU batching more sequences) still answers more at a higher concurrency. The limit goes to
  what the server serves without a queue: the requests in flight x usual / now. A cut that
  brings no relief (the next window is as slow) was not ours to make: the server itself got
  slower, so it is undone and "usual" starts again. A cut that brings relief shows that this
  server queues: from then on a rise of KNOWN_QUEUE_TOLERANCE is a queue, so the limit stays
  near the capacity instead of half as high again (Vegas keeps a few packets queued, not a
  buffer's worth), and the unqueued latency is also read off the fastest answers, the ones
  served first in each wave, since past the capacity no window is unqueued as a whole. A
  server full from the first request (a cap far above its capacity) shows its unqueued latency
  only in the run's first answers, whose queue starts empty: the fast quantile of the first
  MIN_WINDOW answers, whatever their epoch, is a floor of "usual".
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
KNOWN_QUEUE_TOLERANCE = 0.1  # once a cut has shown that this server queues
STRONG_QUEUE = 1.0
RECENT_WINDOWS = 31  # "usual" latency is read over this many recent windows


class AdaptiveLimit:
    def __init__(self, cap: int):
        self.cap = cap
        self.limit = float(cap)
        self._recent: deque[float] = deque(maxlen=RECENT_WINDOWS)  # windows' fast quantiles
        self._recent_mean: deque[float] = deque(maxlen=RECENT_WINDOWS)  # and their means
        self.changes = 0  # how often the limit moved (for tests and the manifest)
        self.epoch = 0  # moves with the limit
        self._refusal_share = 0.0
        self._queued_before = False  # the last window's fast answers were slow too
        self._last_cut: tuple[float, float] | None = None  # (limit before, latency) of a queueing cut
        self._known_queue = False  # a queueing cut brought relief: this server queues
        # A refused request frees its slot at once, and a full server refuses whatever fills it
        # next: each refusal keeps one slot closed until an answer comes back.
        self._held = 0
        self._first: list[float] = []  # the run's first answers, any epoch: their queue started empty
        self._floor: float | None = None  # their fast quantile, the unqueued latency
        self._new_window()

    @property
    def current(self) -> int:
        """Requests to have in flight now: the limit, less the slots refusals keep closed."""
        return max(1, self.target - self._held)

    @property
    def target(self) -> int:
        """The limit the signals set."""
        return max(1, min(self.cap, int(self.limit)))

    def _new_window(self) -> None:
        self._latencies: list[float] = []
        self._refused = 0
        self._peak = 0
        self._in_flight = 0  # summed over the window's sends: their mean is the load Little's law needs
        self._sends = 0

    def sent(self, in_flight: int) -> int:
        """A request left with `in_flight` requests (itself included) at the endpoint; returns
        the epoch its outcome is to be reported with."""
        self._peak = max(self._peak, in_flight)
        self._in_flight += in_flight
        self._sends += 1
        return self.epoch

    def answered(self, latency_s: float, epoch: int) -> None:
        self._held = max(0, self._held - 1)
        if self._floor is None:
            self._first.append(latency_s)
            if len(self._first) >= MIN_WINDOW:
                self._floor = _quantile(self._first, FAST_QUANTILE)
                self._first = []
        if epoch == self.epoch:
            self._latencies.append(latency_s)
            self._maybe_update()

    def refused(self, epoch: int) -> None:
        """A 429 or 503, a timeout or a refused connection: the server could not take it."""
        self._held = min(self._held + 1, self.target - 1)  # an answer reopens one; some stay open
        if epoch == self.epoch:
            self._refused += 1
            self._maybe_update()

    def _maybe_update(self) -> None:
        seen = len(self._latencies) + self._refused
        window = max(MIN_WINDOW, self.target)
        # so many refusals that the window's share is over STRONG_OVERLOAD whatever comes next:
        # cut now, before more requests meet a full server
        if seen < window and self._refused <= STRONG_OVERLOAD * window:
            return
        before = self.target
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
        elif not queued and self._peak >= self.target:
            self.limit = min(float(self.cap), self.limit + 1)
        if self.target != before:
            self.changes += 1
            self.epoch += 1
        self._new_window()


    def _queueing(self, cuts: list[float]) -> bool:
        """Whether this window's answers waited in a queue; appends a cut when they did twice."""
        ordered = sorted(self._latencies)
        n = len(ordered)
        rank = int(FAST_QUANTILE * (n - 1))
        spread = math.ceil(math.sqrt(n * FAST_QUANTILE * (1 - FAST_QUANTILE)))  # one standard error, in ranks
        fast = ordered[rank]
        mean = sum(ordered) / n
        error = (ordered[min(n - 1, rank + spread)] - ordered[max(0, rank - spread)]) / 2
        if self._last_cut is not None:
            limit_before, then, tolerance_then, by_mean = self._last_cut
            self._last_cut = None
            if (mean if by_mean else fast) >= then * (1 - tolerance_then / 2):
                self.limit = max(self.limit, limit_before)
                self._recent.clear()
                self._recent_mean.clear()
                self._floor = None  # the server's own latency moved: the run's first answers no longer tell it
                self._known_queue = False
            else:
                self._known_queue = True
        # steady answers (a tight fast quantile): judged on the window's mean, which rises with
        # every request queued (Little's law), even when only a wave behind the served ones waits
        # and the fast answers show nothing; the unqueued mean is the lowest recent one. Varied
        # answers (outputs of all lengths): on the fast quantile, which long outputs leave alone,
        # against a low quartile of recent windows, which one lucky window does not set.
        steady = (3 * error / fast if fast > 0 else 0.0) <= QUEUE_TOLERANCE
        if steady:
            now, recent, load = mean, self._recent_mean, self._peak
            deviation = math.sqrt(sum((x - mean) ** 2 for x in ordered) / n)
            noise = 3 * deviation / math.sqrt(n) / mean if mean > 0 else 0.0
            usual = min(recent) if recent else now
            if self._floor is not None:
                usual = min(usual, self._floor)
            if self._known_queue:
                # past the capacity the limit never drops to where no answer waits, so no window's
                # mean is unqueued; the fastest answers (served first in each wave) still are
                usual = min(usual, fast, *self._recent)
        else:
            now, recent, load = fast, self._recent, self._peak
            noise = 3 * error / fast
            usual = _quantile(list(recent), 0.25) if recent else now
        by_mean = steady
        # once a cut has brought relief, two windows running above the narrow tolerance are the
        # test (a false cut is undone by the next window); before, the window's own noise widens it
        tolerance = KNOWN_QUEUE_TOLERANCE if self._known_queue and steady else max(QUEUE_TOLERANCE, noise)
        queued = now > usual * (1 + tolerance)
        if queued and (self._queued_before or now > usual * (1 + tolerance + STRONG_QUEUE)):
            # what the server serves without a queue: its throughput (load / now) x usual
            cuts.append(load * usual / now)
            self._last_cut = (self.limit, now, tolerance, by_mean)
        self._recent.append(fast)
        self._recent_mean.append(mean)
        return queued


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]
