"""Exponential back-off with jitter for talking to a VTN that is down.

"Equal jitter": the n-th delay is uniform in [d/2, d] with d = min(cap, base·2ⁿ), so thousands of
boxes that lost the cloud at the same moment do not come back in lock-step, yet no box retries
in a tight loop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures, 32))
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0
