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
        self._paused_at: float | None = None

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
        if self._manual:
            return self._advanced_s
        wall_now = time.monotonic() if self._paused_at is None else self._paused_at
        return (wall_now - self._wall_t0) * self._speed + self._advanced_s

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> datetime:
        """Hold simulated time still (e.g. to let every poller read the same instant)."""
        if self._paused_at is None:
            self._paused_at = time.monotonic()
        return self.now()

    def resume(self) -> datetime:
        """Go on from where ``pause`` held time: the paused wall time is not simulated."""
        if self._paused_at is not None:
            self._wall_t0 += time.monotonic() - self._paused_at
            self._paused_at = None
        return self.now()

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
