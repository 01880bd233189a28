"""A set of non-overlapping [start, end) character spans: a new span is kept only if it overlaps
none already kept. Sorted with bisect, so a text with thousands of findings stays fast."""

from __future__ import annotations

from bisect import bisect_right


class DisjointSpans:
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)
        return not (i and self.ends[i - 1] > start) and not (i < len(self.starts) and self.starts[i] < end)

    def add(self, start: int, end: int) -> bool:
        if not self.free(start, end):
            return False
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        return True
