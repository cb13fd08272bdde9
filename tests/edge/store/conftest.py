from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flexcoop.edge.store import Store
from flexcoop.units import floor_interval, utcnow


@pytest.fixture
def t0() -> datetime:
    """A 15-minute boundary three hours ago: well inside the raw retention window."""
    return floor_interval(utcnow() - timedelta(hours=3))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    # Long maintenance interval: the tests drive aggregation and retention themselves.
    async with Store(
        tmp_path / "data", flush_interval_s=0.05, maintenance_interval_s=3600, retry_interval_s=0.05
    ) as s:
        yield s
