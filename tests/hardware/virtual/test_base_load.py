from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest

from flexcoop.hardware.virtual.base_load import BaseLoad, BaseLoadConfig


def test_a_year_adds_up_to_the_configured_energy() -> None:
    load = BaseLoad(BaseLoadConfig(annual_energy_wh=3_000_000), seed=5)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=10)
    total_wh = sum(load.power_w(t + i * step) for i in range(6 * 24 * 365)) / 6
    assert total_wh == pytest.approx(3_000_000, rel=0.05)


def test_daily_shape_has_a_quiet_night_and_an_evening_peak() -> None:
    load = BaseLoad(BaseLoadConfig(), seed=5)
    days = [datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=d) for d in range(28)]

    def hour_mean(h: float) -> float:
        return mean(
            load.power_w(d + timedelta(hours=h, minutes=m)) for d in days for m in range(0, 60, 5)
        )

    night, evening = hour_mean(3), hour_mean(19)
    assert 50 < night < 300
    assert evening > 2 * night
    assert min(load.power_w(d + timedelta(minutes=m)) for d in days for m in range(0, 1440, 30)) > 0


def test_profile_is_seeded_and_scaled() -> None:
    ts = [datetime(2026, 9, 1, tzinfo=UTC) + timedelta(minutes=7 * i) for i in range(2000)]
    a, b, c = (
        BaseLoad(BaseLoadConfig(), 1),
        BaseLoad(BaseLoadConfig(), 1),
        BaseLoad(BaseLoadConfig(), 2),
    )
    assert [a.power_w(t) for t in ts] == [b.power_w(t) for t in ts]
    assert [a.power_w(t) for t in ts] != [c.power_w(t) for t in ts]
    big = BaseLoad(BaseLoadConfig(annual_energy_wh=6_000_000), 1)
    assert sum(big.power_w(t) for t in ts) > 1.5 * sum(a.power_w(t) for t in ts)
