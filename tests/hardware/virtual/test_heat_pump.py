from __future__ import annotations

import itertools
import math

import pytest

from flexcoop.hardware.virtual.dhw import DhwConfig, DhwTank
from flexcoop.hardware.virtual.heat_pump import HeatPump, HeatPumpConfig, cop


def _unit(tank_temp_c: float | None = None, **hp: float) -> HeatPump:
    tank = DhwTank(DhwConfig(initial_temp_c=tank_temp_c))
    return HeatPump(HeatPumpConfig(**hp), tank)


def test_cop_rises_with_outdoor_and_falls_with_flow_temperature() -> None:
    outdoor = [x / 2 for x in range(-40, 41)]
    for flow in (30.0, 35.0, 45.0, 55.0):
        series = [cop(t, flow) for t in outdoor]
        assert all(b >= a for a, b in itertools.pairwise(series))
        assert series[-1] > series[0]
    for t in (-10.0, 2.0, 7.0):
        by_flow = [cop(t, f) for f in range(25, 61)]
        assert all(b <= a for a, b in itertools.pairwise(by_flow))
    assert 3.5 < cop(7, 35) < 5.5  # typical A7/W35 datasheet value
    assert 1.8 < cop(-7, 55) < 3.0  # typical A-7/W55
    assert all(1.0 <= cop(t, f) <= 8.0 for t in (-30, 0, 30) for f in (20, 40, 70))


def test_thermostat_heats_below_and_rests_above_setpoint() -> None:
    hp = _unit()
    hp.step(60, temp_out_c=0.0, indoor_temp_c=19.0)
    assert hp.space_heat_w > 0 and not hp.dhw_active
    assert hp.compressor_w == pytest.approx(hp.space_heat_w / hp.cop)
    assert hp.space_heat_w <= hp.capacity_w(0.0)
    cold = HeatPump(HeatPumpConfig(), DhwTank(DhwConfig()))
    cold.step(60, temp_out_c=0.0, indoor_temp_c=22.0)
    assert cold.space_heat_w == 0 and cold.power_w == 0


def test_output_is_modulated_within_capacity() -> None:
    hp = _unit()
    hp.prime(3000.0)
    hp.step(60, temp_out_c=0.0, indoor_temp_c=hp.setpoint_c)
    assert hp.space_heat_w == pytest.approx(3000.0, rel=1e-6)
    hp.step(60, temp_out_c=0.0, indoor_temp_c=hp.setpoint_c - 10)
    assert hp.space_heat_w == pytest.approx(hp.capacity_w(0.0))
    assert hp.capacity_w(-10.0) < hp.capacity_w(7.0) == pytest.approx(8000.0)
    # Weather compensation: colder outside, hotter flow, worse COP.
    assert hp.heating_curve_c(-8.0) > hp.heating_curve_c(10.0)


def test_dhw_has_priority_and_the_heat_goes_to_the_tank() -> None:
    hp = _unit(tank_temp_c=40.0)
    hp.step(60, temp_out_c=0.0, indoor_temp_c=19.0)
    assert hp.dhw_active and hp.space_heat_w == 0
    assert hp.dhw_heat_w == pytest.approx(hp.capacity_w(0.0))
    assert hp.flow_temp_c == pytest.approx(45.0)
    # Heating a tank is done at a higher flow temperature than the room needs: lower COP.
    dhw_cop = hp.cop
    hp.tank.temp_c = 50.0
    hp.step(60, temp_out_c=0.0, indoor_temp_c=19.0)
    assert not hp.dhw_active and hp.space_heat_w > 0 and hp.cop > dhw_cop


def test_tank_setpoint_above_compressor_reach_uses_the_element() -> None:
    hp = _unit(tank_temp_c=56.0)
    hp.write("dhw_setpoint_c", 65.0)
    hp.step(60, temp_out_c=5.0, indoor_temp_c=19.0)
    assert hp.element_w == pytest.approx(hp.tank.config.element_power_w)
    assert hp.dhw_heat_w == pytest.approx(hp.element_w)  # resistive: COP 1
    assert hp.space_heat_w > 0  # the compressor stays on space heating


def test_power_limit_caps_electric_input() -> None:
    hp = _unit()
    hp.write("power_limit_w", 500.0)
    hp.step(60, temp_out_c=-5.0, indoor_temp_c=15.0)
    assert hp.power_w == pytest.approx(500.0)
    assert hp.space_heat_w == pytest.approx(500.0 * hp.cop)


def test_off_means_no_power_and_dhw_only_means_no_space_heating() -> None:
    hp = _unit(tank_temp_c=40.0)
    hp.write("on", 0)
    hp.step(60, temp_out_c=-5.0, indoor_temp_c=15.0)
    assert hp.power_w == 0 and hp.space_heat_w == 0 and hp.dhw_heat_w == 0
    hp.write("on", 1)
    hp.write("mode", 2)
    hp.tank.temp_c = 50.0
    hp.step(60, temp_out_c=-5.0, indoor_temp_c=15.0)
    assert hp.space_heat_w == 0 and hp.values()["mode"] == 2


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("setpoint_c", 30.5, "outside"),
        ("setpoint_c", 4.9, "outside"),
        ("setpoint_c", math.nan, "finite"),
        ("dhw_setpoint_c", 80.0, "outside"),
        ("mode", 1.5, "whole number"),
        ("mode", 0, "outside"),
        ("indoor_temp_c", 20.0, "not writable"),
        ("setpoint_c", "warm", "not a number"),
    ],
)
def test_invalid_writes_are_rejected_and_change_nothing(
    name: str, value: object, reason: str
) -> None:
    hp = _unit()
    before = hp.values()
    with pytest.raises(ValueError, match=reason):
        hp.write(name, value)
    assert hp.values() == before


def test_valid_writes_are_applied_and_reported() -> None:
    hp = _unit()
    assert hp.write("setpoint_c", 22.5) == 22.5
    assert hp.write("dhw_setpoint_c", 55) == 55
    values = hp.values()
    assert values["setpoint_c"] == 22.5 and values["dhw_setpoint_c"] == 55
    assert set(hp.writable()) == {"on", "mode", "setpoint_c", "dhw_setpoint_c", "power_limit_w"}
    assert hp.writable()["setpoint_c"] == (5.0, 30.0)


def test_warm_spell_ends_space_heating_but_not_hot_water() -> None:
    hp = _unit(tank_temp_c=50.0)
    hp.step(60, temp_out_c=10.0, indoor_temp_c=19.0)
    assert hp.heating_allowed and hp.space_heat_w > 0
    for _ in range(3 * 24):  # three warm days
        hp.step(3600, temp_out_c=22.0, indoor_temp_c=19.0)
    assert not hp.heating_allowed and hp.space_heat_w == 0
    assert hp.values()["heating_allowed"] == 0
    hp.tank.temp_c = 40.0
    hp.step(60, temp_out_c=22.0, indoor_temp_c=19.0)
    assert hp.dhw_active and hp.dhw_heat_w > 0
