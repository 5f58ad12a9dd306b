"""Stage timings for the query path: each stage's milliseconds land in a caller's dict, or nowhere."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, laps: dict[str, float] | None = None) -> None:
        self.laps = laps
        self.last = time.perf_counter()
        self.taken = 0

    def lap(self, name: str) -> None:
        """Record the time since the previous lap (or the start) under `name`."""
        self.taken += 1
        now = time.perf_counter()
        if self.laps is not None:
            self.laps[name] = round((now - self.last) * 1000, 3)
        self.last = now
