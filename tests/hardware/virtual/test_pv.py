from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.hardware.virtual.pv import PvConfig, PvInverter
from flexcoop.hardware.virtual.weather import (
    Location,
    SyntheticWeather,
    WeatherSample,
    sun_position,
)

BRUSSELS = Location()


def _clear_noon(temp_c: float = 20.0) -> WeatherSample:
    """A clear June noon: fix the clouds at zero by picking the clearest of many days."""
    weather = SyntheticWeather(BRUSSELS, seed=21)
    samples = [weather.at(datetime(2026, 6, d, 11, 45, tzinfo=UTC)) for d in range(1, 31)]
    best = max(samples, key=lambda s: s.ghi_w_m2)
    return WeatherSample(
        best.ts, temp_c, best.ghi_w_m2, best.dni_w_m2, best.dhi_w_m2, best.sun, 0.0
    )


def test_no_power_at_night() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=1)
    pv = PvInverter(PvConfig())
    t = datetime(2026, 6, 21, tzinfo=UTC)
    for minute in range(0, 24 * 60, 10):
        ts = t + timedelta(minutes=minute)
        power = pv.step(600, weather.at(ts), 230.0, 50.0)
        if sun_position(ts, BRUSSELS).elevation_deg < 0:
            assert power == 0 and pv.values()["dc_power_w"] == 0


def test_noon_output_is_positive_but_below_kwp() -> None:
    pv = PvInverter(PvConfig(kwp=6.0, inverter_ac_w=8000.0))
    power = pv.step(60, _clear_noon(), 230.0, 50.0)
    assert 3500 < power < 6000  # losses: temperature, system, inverter
    assert pv.dc_power_w > power  # inverter losses
    assert pv.cell_temp_c > 20.0 + 15  # modules run hot in full sun


def test_inverter_clips_at_its_rating() -> None:
    pv = PvInverter(PvConfig(kwp=6.0, inverter_ac_w=3000.0))
    power = pv.step(60, _clear_noon(), 230.0, 50.0)
    assert power == pytest.approx(3000.0)
    assert pv.dc_power_w > 3000.0


def test_curtailment_limits_output_and_reports_what_was_available() -> None:
    pv = PvInverter(PvConfig(kwp=6.0, inverter_ac_w=5000.0))
    assert pv.write("w_max_lim_pct", 40) == 40
    power = pv.step(60, _clear_noon(), 230.0, 50.0)
    values = pv.values()
    assert power == pytest.approx(2000.0)
    assert values["available_power_w"] > power
    assert values["dc_power_w"] < pv.dc_power_for(pv.poa_w_m2, 20.0)[0]
    assert values["current_a"] == pytest.approx(2000.0 / (3 * 230.0))
    pv.write("w_max_lim_pct", 0)
    assert pv.step(60, _clear_noon(), 230.0, 50.0) == 0


def test_hot_modules_and_part_load_lose_efficiency() -> None:
    pv = PvInverter(PvConfig())
    cool, _ = pv.dc_power_for(800.0, 5.0)
    hot, _ = pv.dc_power_for(800.0, 35.0)
    assert hot == pytest.approx(cool * (1 - 0.004 * 30) / 1, rel=0.02) and hot < cool
    assert pv.ac_power_for(250.0) / 250.0 < pv.ac_power_for(3000.0) / 3000.0


def test_energy_is_the_integral_of_power() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=2)
    pv = PvInverter(PvConfig())
    t = datetime(2026, 5, 5, tzinfo=UTC)
    integral_wh = 0.0
    for minute in range(0, 24 * 60, 5):
        integral_wh += (
            pv.step(300, weather.at(t + timedelta(minutes=minute)), 230.0, 50.0) * 300 / 3600
        )
    assert pv.energy_wh == pytest.approx(integral_wh)
    assert 2000 < pv.energy_wh < 6 * 8 * 1000  # at most ~8 full-load hours on a May day


def test_invalid_curtailment_is_rejected() -> None:
    pv = PvInverter(PvConfig())
    for bad in (-1, 100.5, float("inf")):
        with pytest.raises(ValueError, match="w_max_lim_pct"):
            pv.write("w_max_lim_pct", bad)
    assert pv.w_max_lim_pct == 100.0
    with pytest.raises(ValueError, match="not writable"):
        pv.write("power_w", 10)
