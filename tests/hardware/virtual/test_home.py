from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.device import VirtualDevice
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome

WINTER_DAY = datetime(2026, 1, 15, tzinfo=UTC)
SPRING_DAY = datetime(2026, 4, 10, tzinfo=UTC)
SUMMER_DAY = datetime(2026, 6, 21, tzinfo=UTC)
Factory = Callable[..., VirtualHome]


def _balance_terms(home: VirtualHome) -> tuple[float, float]:
    """(net metered energy, sum of the components' energies) in Wh since the start."""
    metered = home.meter.import_wh - home.meter.export_wh
    components = (
        home.base_load_wh
        + home.heat_pump.energy_wh
        + home.ev_charger.energy_wh
        + home.battery.charged_wh
        - home.pv.energy_wh
        - home.battery.discharged_wh
    )
    return metered, components


def test_devices_have_the_agreed_ids_kinds_and_contract(make_home: Factory) -> None:
    home = make_home(WINTER_DAY)
    assert set(home.devices) == {"pv", "battery", "meter", "heat_pump", "ev_charger"}
    kinds = {name: device.kind for name, device in home.devices.items()}
    assert kinds == {
        "pv": DeviceKind.PV_INVERTER,
        "battery": DeviceKind.BATTERY,
        "meter": DeviceKind.METER,
        "heat_pump": DeviceKind.HEAT_PUMP,
        "ev_charger": DeviceKind.EV_CHARGER,
    }
    home.step(3600)
    for name, device in home.devices.items():
        assert isinstance(device, VirtualDevice), name
        values = device.values()
        assert values and all(isinstance(v, float) and math.isfinite(v) for v in values.values()), (
            name
        )
        for point, (lo, hi) in device.writable().items():
            assert lo <= hi and point in values, (name, point)
    assert "dhw_temp_c" in home.devices["heat_pump"].values()


def test_energy_balances_at_the_meter_every_step_and_over_two_days(make_home: Factory) -> None:
    home = make_home(SPRING_DAY, seed=3)
    for _ in range(2 * 96):
        home.step(900)
        instant = (
            home.base_load_w
            + home.heat_pump.power_w
            + home.ev_charger.power_w
            - home.pv.power_w
            - home.battery.power_w
        )
        assert home.meter.power_w == pytest.approx(instant, abs=1e-6)
    metered, components = _balance_terms(home)
    assert metered == pytest.approx(components, rel=1e-9, abs=1e-6)
    assert home.pv.energy_wh > 0 and home.heat_pump.energy_wh > 0 and home.ev_charger.energy_wh > 0


def test_thermostat_keeps_a_winter_day_near_the_setpoint(make_home: Factory) -> None:
    home = make_home(WINTER_DAY)
    setpoint = home.heat_pump.setpoint_c
    home.step(86400)
    day = home.summary
    assert setpoint - 1.0 < day.min_indoor_temp_c <= day.max_indoor_temp_c < setpoint + 1.0
    assert day.mean_indoor_temp_c == pytest.approx(setpoint, abs=0.3)
    assert day.heat_pump_wh > 5000 and 2.0 < day.seasonal_cop < 5.0
    # Hot water was used and made again.
    assert (
        home.tank.drawn_wh > 1000
        and home.tank.temp_c > home.tank.setpoint_c - home.tank.config.hysteresis_k - 1
    )


def test_raising_the_setpoint_warms_the_house_and_costs_energy(make_home: Factory) -> None:
    base, warmer = make_home(WINTER_DAY), make_home(WINTER_DAY)
    warmer.devices["heat_pump"].write("setpoint_c", 22.5)
    base.step(12 * 3600)
    warmer.step(12 * 3600)
    assert warmer.building.indoor_temp_c == pytest.approx(22.5, abs=0.7)
    assert warmer.heat_pump.energy_wh > base.heat_pump.energy_wh + 500


def test_summer_day_exports_pv_and_fills_the_battery(make_home: Factory) -> None:
    home = make_home(SUMMER_DAY)
    home.step(86400)
    day = home.summary
    assert day.pv_wh > 10_000 and day.export_wh > 0
    assert 0 < day.self_consumption_pct < 100
    assert home.battery.charged_wh > 5000
    assert home.pv.values()["energy_wh"] == pytest.approx(day.pv_wh)


def test_remote_battery_setpoint_shows_at_the_meter(make_home: Factory) -> None:
    home = make_home(SPRING_DAY + timedelta(hours=2))
    home.step(600)
    battery = home.devices["battery"]
    battery.write("mode", 1)
    battery.write("setpoint_w", 2500)
    home.step(600)
    assert home.battery.power_w == pytest.approx(2500)
    others = home.base_load_w + home.heat_pump.power_w + home.ev_charger.power_w - home.pv.power_w
    assert home.meter.power_w == pytest.approx(others - 2500)


def test_pv_curtailment_through_the_device_reduces_export(make_home: Factory) -> None:
    free, curtailed = make_home(SUMMER_DAY, seed=5), make_home(SUMMER_DAY, seed=5)
    curtailed.devices["pv"].write("w_max_lim_pct", 30)
    free.step(86400)
    curtailed.step(86400)
    assert curtailed.pv.energy_wh < free.pv.energy_wh
    assert max(curtailed.pv.power_w, 0) <= 0.3 * curtailed.config.pv.inverter_ac_w + 1e-6
    assert curtailed.meter.export_wh < free.meter.export_wh


def test_days_are_summarised_at_utc_midnight(make_home: Factory) -> None:
    home = make_home(WINTER_DAY + timedelta(hours=12))
    home.step(36 * 3600 + 1)
    assert len(home.days) == 2
    first, second = home.days
    assert first.start == WINTER_DAY + timedelta(hours=12) and first.end == WINTER_DAY + timedelta(
        days=1
    )
    assert second.end == WINTER_DAY + timedelta(days=2)
    assert home.summary.pv_wh == pytest.approx(first.pv_wh + second.pv_wh + home.today.pv_wh)
    printed = second.as_dict()
    assert {"pv_wh", "import_wh", "export_wh", "self_consumption_pct", "heat_pump_wh"} <= set(
        printed
    )
    assert printed["min_indoor_temp_c"] <= printed["max_indoor_temp_c"]
    closed = home.reset_summary()
    assert closed.end == home.time and home.summary.pv_wh == 0


def test_coarse_sub_steps_give_nearly_the_same_day(make_home: Factory) -> None:
    fine = make_home(SPRING_DAY, config=HomeConfig(max_substep_s=30))
    coarse = make_home(SPRING_DAY, config=HomeConfig(max_substep_s=300))
    fine.step(86400)
    coarse.step(86400)
    assert coarse.summary.pv_wh == pytest.approx(fine.summary.pv_wh, rel=0.02)
    assert coarse.summary.heat_pump_heat_wh == pytest.approx(
        fine.summary.heat_pump_heat_wh, rel=0.1
    )
    assert coarse.building.indoor_temp_c == pytest.approx(fine.building.indoor_temp_c, abs=0.5)


def test_same_seed_same_home_other_seed_other_home(make_home: Factory) -> None:
    a, b, c = make_home(SPRING_DAY, 9), make_home(SPRING_DAY, 9), make_home(SPRING_DAY, 10)
    for home in (a, b, c):
        home.step(6 * 3600)
    assert a.meter.values() == b.meter.values()
    assert a.meter.import_wh != c.meter.import_wh


def test_scaled_configs_vary_plausibly_and_deterministically(make_home: Factory) -> None:
    base = HomeConfig()
    configs = [base.scaled(seed) for seed in range(8)]
    assert configs[3] == base.scaled(3)
    assert len({c.pv.kwp for c in configs}) > 4
    for config in configs:
        assert 0.5 * base.pv.kwp <= config.pv.kwp <= 1.6 * base.pv.kwp
        design_load_w = config.building.heat_loss_w_per_k * (
            20 - config.heat_pump.design_outdoor_temp_c
        )
        assert config.heat_pump.rated_heat_w >= min(1.3 * design_load_w, 16_000)
    home = make_home(WINTER_DAY, seed=4, config=configs[4])
    home.step(6 * 3600)
    assert abs(home.building.indoor_temp_c - configs[4].heat_pump.setpoint_c) < 1.0


def test_bad_config_and_bad_steps_are_rejected(make_home: Factory) -> None:
    with pytest.raises(ValidationError, match="pv_kw"):
        HomeConfig.model_validate({"pv_kw": 6})
    with pytest.raises(ValidationError):
        HomeConfig.model_validate({"pv": {"kwp": -1}})
    home = make_home(WINTER_DAY)
    for bad in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="step"):
            home.step(bad)
    assert home.time == WINTER_DAY


async def test_run_follows_the_clock_until_stopped() -> None:
    clock = SimClock.manual(WINTER_DAY)
    home = VirtualHome(HomeConfig(), clock, seed=1)
    stop = asyncio.Event()
    task = asyncio.create_task(home.run(stop, tick_s=0.01))
    clock.advance(3600)
    for _ in range(500):
        if home.time >= WINTER_DAY + timedelta(hours=1):
            break
        await asyncio.sleep(0.01)
    assert home.time == WINTER_DAY + timedelta(hours=1)
    assert home.heat_pump.energy_wh > 0
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    clock.advance(3600)
    await asyncio.sleep(0.03)
    assert home.time == WINTER_DAY + timedelta(hours=1)  # stopped: no more stepping


async def test_run_with_an_accelerated_clock_advances_simulated_time() -> None:
    clock = SimClock(WINTER_DAY, speed=7200)
    home = VirtualHome(HomeConfig(), clock, seed=1)
    stop = asyncio.Event()
    task = asyncio.create_task(home.run(stop, tick_s=0.01))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert WINTER_DAY < home.time <= clock.now()
    with pytest.raises(ValueError, match="tick_s"):
        await home.run(asyncio.Event(), tick_s=0)


def test_sync_steps_to_the_clock(make_home: Factory) -> None:
    home = make_home(WINTER_DAY)
    home.clock.advance(5400)
    assert home.sync() == pytest.approx(5400)
    assert home.time == home.clock.now()
    assert home.sync() == 0.0


async def test_run_catches_up_a_clock_jump_without_blocking_the_loop() -> None:
    clock = SimClock.manual(WINTER_DAY)
    home = VirtualHome(HomeConfig(), clock, seed=2)
    stop = asyncio.Event()
    task = asyncio.create_task(home.run(stop, tick_s=0.01))
    clock.advance(2 * 86400)
    progress: list[datetime] = []
    while home.time < WINTER_DAY + timedelta(days=2):
        progress.append(home.time)  # this task runs while the home catches up
        await asyncio.sleep(0)
        assert not task.done()
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len({t for t in progress if t > WINTER_DAY}) > 10
    assert len(home.days) == 1
