"""Simulated time for virtual homes: wall time × speed, or stepped by hand in tests.

``SimClock(start, speed)`` maps elapsed wall time onto simulated time (a speed of 1440 turns one
wall minute into one simulated day). ``SimClock.manual(start)`` never moves on its own; tests
move it with ``advance(seconds)`` so physics can be checked without waiting.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta

from flexcoop.units import ensure_utc


class SimClock:
    """Simulated UTC time: ``start + speed × elapsed wall time + manual advances``."""

    def __init__(self, start: datetime, speed: float = 1.0, *, manual: bool = False) -> None:
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"clock speed must be a finite number > 0, got {speed!r}")
        self._start = ensure_utc(start)
        self._speed = float(speed)
        self._manual = manual
        # Monotonic, so NTP corrections of the wall clock never make simulated time jump.
        self._wall_t0 = time.monotonic()
        self._advanced_s = 0.0

    @classmethod
    def manual(cls, start: datetime) -> SimClock:
        """A clock that moves only through ``advance()``."""
        return cls(start, 1.0, manual=True)

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def speed(self) -> float:
        """Simulated seconds per wall second (ignored by a manual clock)."""
        return self._speed

    @property
    def is_manual(self) -> bool:
        return self._manual

    def elapsed_s(self) -> float:
        """Simulated seconds since ``start``."""
        wall = 0.0 if self._manual else (time.monotonic() - self._wall_t0) * self._speed
        return wall + self._advanced_s

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.elapsed_s())

    def advance(self, seconds: float) -> datetime:
        """Move simulated time forward by ``seconds`` (also allowed on a running clock)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"can only advance by a finite, non-negative time, got {seconds!r} s")
        self._advanced_s += seconds
        return self.now()

    def wall_seconds(self, sim_seconds: float) -> float:
        """Wall time that ``sim_seconds`` of simulated time take at this clock's speed."""
        return sim_seconds / self._speed
