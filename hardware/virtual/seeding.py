"""Deterministic random streams: the same seed and key give the same numbers on every run.

Virtual homes must be reproducible (a failing test or a demo can be replayed), and values must
be a function of simulated time rather than of call order, so that a clock that jumps, or a home
stepped with a different step size, sees the same weather, loads and EV sessions.
"""

from __future__ import annotations

import random


def seeded_rng(seed: int, *key: object) -> random.Random:
    """A generator for one ``(seed, key…)`` pair; string seeds hash with SHA-512, stable across runs."""
    return random.Random(":".join(str(part) for part in (seed, *key)))
