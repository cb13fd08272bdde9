from __future__ import annotations

import math

import pytest

from flexcoop.hardware.virtual.dhw import WATER_J_PER_KG_K, DhwConfig, DhwTank, DrawProfile
from flexcoop.hardware.virtual.heat_pump import HeatPump, HeatPumpConfig

DAY_S = 86400


def test_standing_losses_decay_exponentially_towards_ambient() -> None:
    config = DhwConfig(volume_l=200, loss_w_per_k=2.0, initial_temp_c=60.0)
    tank = DhwTank(config)
    for _ in range(24 * 60):
        tank.step(60, heat_w=0.0, ambient_c=20.0, mixed_draw_l=0.0)
    tau_s = 200 * WATER_J_PER_KG_K / 2.0
    assert tank.temp_c == pytest.approx(20 + 40 * math.exp(-DAY_S / tau_s), abs=1e-6)
    assert tank.loss_wh == pytest.approx(200 * WATER_J_PER_KG_K * (60 - tank.temp_c) / 3600)


def test_a_shower_cools_the_tank_by_the_heat_it_carries_away() -> None:
    tank = DhwTank(DhwConfig(volume_l=200, loss_w_per_k=0.0, initial_temp_c=55.0))
    for _ in range(8):  # 8 minutes at 7 L/min of 40 °C water
        tank.step(60, heat_w=0.0, ambient_c=20.0, mixed_draw_l=7.0)
    delivered_wh = 56 * WATER_J_PER_KG_K * (40 - 10) / 3600
    assert tank.drawn_wh == pytest.approx(delivered_wh, rel=0.01)
    assert tank.temp_c == pytest.approx(
        55 - delivered_wh * 3600 / (200 * WATER_J_PER_KG_K), abs=0.1
    )
    assert tank.drawn_mixed_l == pytest.approx(56.0)


def test_energy_balance_closes() -> None:
    tank = DhwTank(DhwConfig(initial_temp_c=45.0))
    stored0 = tank.stored_energy_wh()
    for i in range(600):
        tank.step(
            60,
            heat_w=2500.0 if i % 3 else 0.0,
            ambient_c=18.0,
            mixed_draw_l=3.0 if i % 7 == 0 else 0.0,
        )
    balance = tank.heat_in_wh - tank.loss_wh - tank.drawn_wh
    assert tank.stored_energy_wh() - stored0 == pytest.approx(balance, rel=1e-6, abs=1e-6)


def test_heat_pump_reheats_a_drawn_down_tank_and_stops_at_setpoint() -> None:
    tank = DhwTank(DhwConfig(setpoint_c=50.0, hysteresis_k=5.0))
    hp = HeatPump(HeatPumpConfig(), tank)
    for _ in range(20):  # two long showers
        tank.step(60, 0.0, 20.0, mixed_draw_l=9.0)
        hp.step(60, temp_out_c=5.0, indoor_temp_c=20.5)
    assert tank.temp_c < 45.0
    heating_seen = False
    for _ in range(240):
        hp.step(60, temp_out_c=5.0, indoor_temp_c=20.5)
        tank.step(60, hp.dhw_heat_w, 20.0, 0.0)
        heating_seen = heating_seen or hp.dhw_active
        if not hp.dhw_active and heating_seen:
            break
    assert heating_seen
    assert tank.temp_c == pytest.approx(50.0, abs=0.05)  # stopped at the setpoint, not beyond
    hp.step(60, temp_out_c=5.0, indoor_temp_c=20.5)
    assert not hp.dhw_active and hp.dhw_heat_w == 0


def test_draw_profile_has_morning_and_evening_showers() -> None:
    profile = DrawProfile(seed=9, persons=3, longitude_deg=0.0)
    days = range(20000, 20014)
    morning = sum(
        profile.mixed_litres_between(d * DAY_S + 5 * 3600, d * DAY_S + 9 * 3600) for d in days
    )
    evening = sum(
        profile.mixed_litres_between(d * DAY_S + 19 * 3600, d * DAY_S + 23 * 3600) for d in days
    )
    night = sum(profile.mixed_litres_between(d * DAY_S + 0, d * DAY_S + 5 * 3600) for d in days)
    total = profile.mixed_litres_between(days[0] * DAY_S, (days[-1] + 1) * DAY_S)
    assert morning > evening > 0 and night == 0
    assert 60 < total / len(days) < 250  # litres of 40 °C water per day for three people
    # Splitting an interval does not change what was drawn.
    t0 = days[0] * DAY_S
    pieces = sum(profile.mixed_litres_between(t0 + i * 60, t0 + (i + 1) * 60) for i in range(1440))
    assert pieces == pytest.approx(profile.mixed_litres_between(t0, t0 + DAY_S))


def test_draw_profile_is_seeded() -> None:
    a, b, c = DrawProfile(1, 3), DrawProfile(1, 3), DrawProfile(2, 3)
    assert a.draws_on(20100) == b.draws_on(20100) != c.draws_on(20100)
    assert DrawProfile(1, 0).mixed_litres_between(0, 30 * DAY_S) == 0


def test_dhw_setpoint_limits_are_enforced_by_the_heat_pump_device() -> None:
    hp = HeatPump(HeatPumpConfig(), DhwTank(DhwConfig()))
    with pytest.raises(ValueError, match="40 … 70"):
        hp.write("dhw_setpoint_c", 39)
    assert hp.tank.setpoint_c == 50.0
    with pytest.raises(ValueError):
        DhwConfig(setpoint_c=90)


@pytest.mark.parametrize("dt_s", [60.0, 900.0])
def test_reheating_stops_at_the_setpoint_even_with_long_steps(dt_s: float) -> None:
    tank = DhwTank(DhwConfig(setpoint_c=50.0, initial_temp_c=42.0, loss_w_per_k=0.0))
    hp = HeatPump(HeatPumpConfig(), tank)
    for _ in range(int(4 * 3600 / dt_s)):
        hp.step(dt_s, temp_out_c=5.0, indoor_temp_c=20.5)
        tank.step(dt_s, hp.dhw_heat_w, 20.0, 0.0)
        assert tank.temp_c <= 50.0 + 1e-6
    assert tank.temp_c == pytest.approx(50.0, abs=0.05)
    assert not hp.dhw_active
