from __future__ import annotations

import pytest

from flexcoop.hardware.virtual.battery import Battery, BatteryConfig


def test_soc_stays_within_limits_and_power_stops_at_them() -> None:
    battery = Battery(BatteryConfig(capacity_wh=10_000, min_soc_pct=10, max_soc_pct=90))
    battery.write("mode", 1)
    battery.write("setpoint_w", -5000)
    for _ in range(4 * 60):
        battery.step(60, 0.0)
        assert 10.0 - 1e-9 <= battery.soc_pct <= 90.0 + 1e-9
    assert battery.soc_pct == pytest.approx(90.0) and battery.power_w == 0
    battery.write("setpoint_w", 5000)
    for _ in range(4 * 60):
        battery.step(60, 0.0)
        assert 10.0 - 1e-9 <= battery.soc_pct <= 90.0 + 1e-9
    assert battery.soc_pct == pytest.approx(10.0) and battery.power_w == 0


def test_round_trip_loses_the_configured_share() -> None:
    battery = Battery(BatteryConfig(round_trip_efficiency=0.88, initial_soc_pct=5.0))
    battery.write("mode", 1)
    battery.write("setpoint_w", -3000)
    while battery.soc_pct < 100 - 1e-9:
        battery.step(60, 0.0)
    battery.write("setpoint_w", 3000)
    while battery.soc_pct > 5 + 1e-9:
        battery.step(60, 0.0)
    assert battery.discharged_wh / battery.charged_wh == pytest.approx(0.88, rel=1e-6)
    # The stored energy moved is between what went in and what came out.
    assert battery.discharged_wh < 9500 < battery.charged_wh


def test_self_consumption_follows_the_net_load() -> None:
    battery = Battery(BatteryConfig())
    assert battery.step(60, -2000.0) == pytest.approx(-2000.0)  # PV surplus: charge
    assert battery.step(60, 1500.0) == pytest.approx(1500.0)  # deficit: discharge
    assert battery.step(60, 8000.0) == pytest.approx(5000.0)  # power limit
    battery.write("setpoint_w", -1000)  # ignored unless in remote mode
    assert battery.step(60, 300.0) == pytest.approx(300.0)


def test_remote_mode_follows_the_setpoint() -> None:
    battery = Battery(BatteryConfig())
    battery.write("setpoint_w", -1200)
    battery.write("mode", 1)
    soc0 = battery.soc_pct
    assert battery.step(3600, 3000.0) == pytest.approx(-1200.0)
    stored = 1200 * 0.9**0.5
    assert battery.soc_pct == pytest.approx(soc0 + 100 * stored / 10_000)
    assert battery.values()["power_w"] == pytest.approx(-1200.0)


def test_soc_window_writes_are_checked_against_each_other() -> None:
    battery = Battery(BatteryConfig())
    battery.write("max_soc_pct", 80)
    with pytest.raises(ValueError, match="outside"):
        battery.write("min_soc_pct", 60)
    with pytest.raises(ValueError, match="outside"):
        battery.write("setpoint_w", 6000)
    with pytest.raises(ValueError, match="whole number"):
        battery.write("mode", 0.5)
    assert battery.values()["min_soc_pct"] == 5.0
    battery.write("min_soc_pct", 50)
    battery.step(3600, 5000.0)  # SoC 50 % already: nothing left to give
    assert battery.power_w == 0


def test_initial_soc_must_lie_in_the_window() -> None:
    with pytest.raises(ValueError, match="initial_soc_pct"):
        BatteryConfig(min_soc_pct=20, initial_soc_pct=10)
