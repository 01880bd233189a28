"""The first request of each kind (path, with or without a schema) goes first, so a server that
refuses requests built that way costs one request, not one per cell in flight (openai_http.py
says which refusals stop a run)."""

from __future__ import annotations

import asyncio
import math
import time

from synthloom.models.protocol import RequestRefused

# How long the other requests of a kind wait for the first one's answer, at least.
FIRST_REQUEST_GRACE_S = 0.1


class FirstRequest:
    """The first request of a kind goes first; the others wait until it has an answer, or until
    `grace` seconds have passed without one (infinite for structured requests). A server refuses
    a plain request it cannot take (a model name, a key, a parameter) before generating anything,
    so a refusal comes back within the grace and costs one request; an answer still being
    generated after it is no refusal to wait for, and the other slots should not idle through it.
    If the server refused for good, the ones still waiting fail with the same sentence without
    being sent."""

    def __init__(self, grace: float) -> None:
        self.state = "new"  # new | leading | open | failed
        self.error: RequestRefused | None = None
        self.grace = grace
        self._event = asyncio.Event()
        self._deadline = 0.0

    async def enter(self) -> bool:
        """True for the one caller that goes first."""
        while True:
            if self.state == "open":
                return False
            if self.state == "failed":
                raise RequestRefused(str(self.error))
            if self.state == "new":
                self.state = "leading"
                self._deadline = time.monotonic() + self.grace
                return True
            if math.isinf(self.grace):
                await self._event.wait()
                continue
            try:
                await asyncio.wait_for(self._event.wait(), max(0.0, self._deadline - time.monotonic()))
            except TimeoutError:
                return False  # the first one is being answered, not refused: go

    def settle(self, error: RequestRefused | None = None) -> None:
        if self.state == "leading":
            self.state, self.error = ("failed", error) if error is not None else ("open", None)
            self._event.set()
