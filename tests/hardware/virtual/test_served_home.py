"""A virtual home served over Modbus and read/controlled by the real Modbus driver."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

import pytest

from flexcoop.config import parse_config
from flexcoop.drivers.base import DriverError
from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.drivers.modbus.sunspec_controls import (
    battery_release_writes,
    battery_setpoint_writes,
    curtailment_writes,
)
from flexcoop.edge.model import DeviceInfo, DeviceKind, DeviceStatus, Quality, Reading
from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome
from flexcoop.hardware.virtual.serve import ServedHome, serve_home
from flexcoop.units import utcnow

START = datetime(2026, 6, 21, 11, 0, tzinfo=UTC)  # midsummer noon: the PV produces


class Recorder:
    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.statuses: list[DeviceStatus] = []
        self.infos: dict[str, DeviceInfo] = {}
        self.changed = asyncio.Event()

    def emit(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)
        self.changed.set()

    def now(self) -> datetime:
        return utcnow()

    def set_status(self, status: DeviceStatus) -> None:
        self.statuses.append(status)
        self.changed.set()

    def describe(self, info: DeviceInfo) -> None:
        self.infos[info.id] = info
        self.changed.set()

    def latest(self, device: str) -> dict[str, float]:
        return {r.point: r.value for r in self.readings if r.device == device}

    async def until(self, condition: Callable[[], object], timeout_s: float = 15.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
def home() -> VirtualHome:
    home = VirtualHome(HomeConfig(), SimClock.manual(START), seed=3)
    home.step(600)
    return home


@pytest.fixture
async def served(home: VirtualHome) -> AsyncIterator[ServedHome]:
    async with serve_home(home) as served:
        yield served


@pytest.fixture
async def osb(served: ServedHome) -> AsyncIterator[tuple[ModbusDriver, Recorder]]:
    rec = Recorder()
    async with ModbusDriver(rec, seed=2) as driver:
        for table in served.device_tables(poll_interval_s=0.1):
            await driver.add_device(
                ModbusDeviceConfig.model_validate(
                    table | {"reconnect_min_s": 0.05, "reconnect_max_s": 0.2}
                )
            )
        await rec.until(lambda: all(rec.latest(d).get("power_w") is not None for d in served))
        yield driver, rec


def test_endpoints_and_generated_config(served: ServedHome) -> None:
    assert set(served) == {"pv", "battery", "meter", "heat_pump", "ev_charger"}
    assert len({ep.port for ep in served.values()}) == 5
    assert served["heat_pump"].template == "heat_pump_generic" and served["pv"].template is None
    text = served.devices_toml(poll_interval_s=2)
    config = parse_config({"store": {"data_dir": "/tmp/x"}, **tomllib.loads(text)}, "home.toml")
    by_id = {d.id: d for d in config.devices}
    assert by_id["ev_charger"].port == served["ev_charger"].port
    assert by_id["ev_charger"].template == "ev_charger_generic"
    assert by_id["meter"].poll_interval_s == 2


async def test_driver_reads_the_physics(
    home: VirtualHome, osb: tuple[ModbusDriver, Recorder]
) -> None:
    _, rec = osb
    kinds = {i.id: i.kind for i in rec.infos.values()}
    assert kinds == {
        "pv": DeviceKind.PV_INVERTER,
        "battery": DeviceKind.BATTERY,
        "meter": DeviceKind.METER,
        "heat_pump": DeviceKind.HEAT_PUMP,
        "ev_charger": DeviceKind.EV_CHARGER,
    }
    assert rec.infos["pv"].serial == "VH0003-pv"
    pv, meter, hp = home.pv.values(), home.meter.values(), home.heat_pump.values()
    bat, ev = home.battery.values(), home.ev_charger.values()
    assert pv["power_w"] > 0
    assert rec.latest("pv")["operating_state"] == 4  # MPPT: producing
    assert rec.latest("pv")["power_w"] == pytest.approx(pv["power_w"], abs=0.5)
    assert rec.latest("pv")["energy_wh"] == pytest.approx(pv["energy_wh"], abs=0.5)
    assert rec.latest("meter")["power_w"] == pytest.approx(meter["power_w"], abs=0.5)
    assert rec.latest("meter")["import_energy_wh"] == pytest.approx(meter["import_wh"], abs=0.5)
    assert rec.latest("meter")["power_l1_w"] == pytest.approx(meter["phase_a_power_w"], abs=0.5)
    assert rec.latest("battery")["soc_pct"] == pytest.approx(bat["soc_pct"], abs=0.05)
    assert rec.latest("battery")["power_w"] == pytest.approx(bat["power_w"], abs=0.5)
    # Nameplate (model 120): what the planner needs to know about the battery and the array.
    assert rec.latest("battery")["rated_energy_wh"] == pytest.approx(bat["capacity_wh"], abs=0.5)
    assert rec.latest("battery")["max_charge_rate_w"] == pytest.approx(bat["max_charge_w"], abs=0.5)
    assert rec.latest("pv")["rated_power_w"] == pytest.approx(pv["rated_power_w"], abs=0.5)
    assert rec.latest("heat_pump")["indoor_temp_c"] == pytest.approx(hp["indoor_temp_c"], abs=0.05)
    assert rec.latest("heat_pump")["dhw_temp_c"] == pytest.approx(hp["dhw_temp_c"], abs=0.05)
    assert rec.latest("heat_pump")["energy_wh"] == pytest.approx(hp["energy_wh"], abs=0.5)
    assert rec.latest("ev_charger")["current_limit_a"] == pytest.approx(
        ev["current_limit_a"], abs=0.05
    )

    # The physics moves on; the next polls follow it.
    before = home.pv.values()["energy_wh"]
    home.step(900)
    after = home.pv.values()["energy_wh"]
    assert after > before
    await rec.until(lambda: rec.latest("pv")["energy_wh"] == pytest.approx(after, abs=0.5))


async def test_commands_reach_the_physics(
    home: VirtualHome, osb: tuple[ModbusDriver, Recorder]
) -> None:
    driver, _ = osb
    # Curtail the inverter to 40 %: WMaxLimPct only acts once WMaxLim_Ena is set.
    assert await driver.write("pv", "power_limit_pct", 40) == 40
    assert home.pv.values()["w_max_lim_pct"] == 100
    assert await driver.write("pv", "power_limit_enabled", 1) == 1
    assert home.pv.values()["w_max_lim_pct"] == 40
    assert await driver.write("pv", "connected", 0) == 0
    assert home.pv.values()["w_max_lim_pct"] == 0

    # Discharge the battery at 40 % of its maximum discharge rate.
    assert await driver.write("battery", "discharge_rate_pct", 40) == 40
    assert await driver.write("battery", "storage_control_mode", 2) == 2
    bat = home.battery.values()
    assert bat["mode"] == 1 and bat["setpoint_w"] == pytest.approx(0.4 * bat["max_discharge_w"])
    # The planner's way: watts in, SunSpec writes out.
    for point, value in battery_setpoint_writes(
        -1234, max_charge_w=bat["max_charge_w"], max_discharge_w=bat["max_discharge_w"]
    ):
        await driver.write("battery", point, value)
    assert home.battery.values()["setpoint_w"] == pytest.approx(-1234, abs=1)
    for point, value in battery_release_writes():
        await driver.write("battery", point, value)
    assert home.battery.values()["mode"] == 0
    for point, value in curtailment_writes(None):
        await driver.write("pv", point, value)
    assert home.pv.values()["w_max_lim_pct"] == 0  # still disconnected (Conn = 0)
    await driver.write("pv", "connected", 1)
    assert home.pv.values()["w_max_lim_pct"] == 100
    for point, value in curtailment_writes(60):
        await driver.write("pv", point, value)
    assert home.pv.values()["w_max_lim_pct"] == 60

    assert await driver.write("heat_pump", "setpoint_c", 21.5) == 21.5
    assert home.heat_pump.values()["setpoint_c"] == 21.5
    assert await driver.write("heat_pump", "on", 0) == 0
    assert home.heat_pump.values()["on"] == 0
    assert await driver.write("ev_charger", "current_limit_a", 8) == 8
    assert home.ev_charger.values()["current_limit_a"] == 8

    # The physics refuses what it cannot do (reserve above 50 %); nothing changes.
    reserve = home.battery.values()["min_soc_pct"]
    with pytest.raises(DriverError, match="exception 3"):
        await driver.write("battery", "min_reserve_pct", 80)
    assert home.battery.values()["min_soc_pct"] == reserve


async def test_a_device_restarting_on_its_port_resumes(
    served: ServedHome, osb: tuple[ModbusDriver, Recorder]
) -> None:
    _, rec = osb
    server = served.servers["meter"]
    await server.stop()
    await rec.until(lambda: any(s.device == "meter" and not s.online for s in rec.statuses))
    gap = len(rec.readings)
    await rec.until(lambda: sum(r.device == "ev_charger" for r in rec.readings[gap:]) >= 3)
    await server.start()  # same units, same port
    await rec.until(lambda: any(r.device == "meter" for r in rec.readings[gap:]))
    first = next(r for r in rec.readings[gap:] if r.device == "meter")
    assert first.quality is Quality.RESUMED
