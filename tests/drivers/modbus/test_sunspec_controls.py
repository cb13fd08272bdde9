"""Watts to SunSpec control writes: rates before modes, limits before enables."""

from __future__ import annotations

import pytest

from flexcoop.drivers.modbus.sunspec_controls import (
    battery_release_writes,
    battery_setpoint_writes,
    curtailment_writes,
)


def test_battery_setpoints_become_rates_then_mode() -> None:
    assert battery_setpoint_writes(2000, max_charge_w=5000, max_discharge_w=4000) == [
        ("discharge_rate_pct", 50.0),
        ("storage_control_mode", 2),
    ]
    assert battery_setpoint_writes(-1234, max_charge_w=5000, max_discharge_w=4000) == [
        ("charge_rate_pct", 24.68),
        ("storage_control_mode", 1),
    ]
    assert battery_setpoint_writes(0, max_charge_w=5000, max_discharge_w=4000)[0] == (
        "discharge_rate_pct",
        0.0,
    )
    # Beyond the rating: capped at 100 %.
    assert battery_setpoint_writes(-9000, max_charge_w=5000, max_discharge_w=4000)[0] == (
        "charge_rate_pct",
        100.0,
    )
    with pytest.raises(ValueError, match="ratings"):
        battery_setpoint_writes(100, max_charge_w=0, max_discharge_w=4000)
    assert battery_release_writes() == [("storage_control_mode", 0)]


def test_curtailment_sets_the_limit_before_enabling_it() -> None:
    assert curtailment_writes(60) == [("power_limit_pct", 60), ("power_limit_enabled", 1)]
    assert curtailment_writes(None) == [("power_limit_enabled", 0)]
    with pytest.raises(ValueError, match=r"outside 0\.\.100"):
        curtailment_writes(120)
