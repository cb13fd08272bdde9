from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome

HomeFactory = Callable[..., VirtualHome]


@pytest.fixture
def make_home() -> HomeFactory:
    """Build a home on a manual clock: ``make_home(start, seed=1, config=None)``."""

    def build(start: datetime, seed: int = 1, config: HomeConfig | None = None) -> VirtualHome:
        return VirtualHome(config or HomeConfig(), SimClock.manual(start), seed)

    return build
