"""Template devices (heat pump, EV charger) read and written over real Modbus TCP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flexcoop.drivers.base import DriverError
from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.sunspec_server import TemplateUnit, VirtualModbusServer
from flexcoop.units import Unit

Device = Callable[..., ModbusDeviceConfig]


class Plant:
    """State behind a template server: values served, writes applied (or refused)."""

    def __init__(self, values: dict[str, float], limits: dict[str, tuple[float, float]]) -> None:
        self.state = dict(values)
        self.limits = limits
        self.writes: list[tuple[str, float]] = []

    def values(self) -> dict[str, float]:
        return dict(self.state)

    def write(self, name: str, value: float) -> None:
        lo, hi = self.limits[name]
        if not lo <= value <= hi:
            raise ValueError(f"{name} {value} outside {lo}..{hi}")
        self.writes.append((name, value))
        self.state[name] = value


async def test_heat_pump_template_reads_every_type(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    plant = Plant(
        {
            "power_w": 1830,
            "heat_w": 6400,
            "cop": 3.49,
            "flow_temp_c": 38.7,
            "outdoor_temp_c": -7.5,
            "energy_wh": 2_345_678,
            "heat_energy_wh": 70_000,
            "dhw_active": 1,
            "setpoint_c": 20.5,
            "mode": 1,
            "on": 1,
            "power_limit_w": 4000,
        },
        {},
    )
    async with VirtualModbusServer([TemplateUnit("heat_pump_generic", plant.values)]) as server:
        await driver.add_device(device("hp", server.port, template="heat_pump_generic"))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("hp"))
    latest = {name: r.value for name, r in ctx.latest("hp").items()}
    assert latest["power_w"] == 1830 and latest["heat_w"] == 6400
    assert latest["cop"] == 3.49
    assert latest["outdoor_temp_c"] == -7.5  # signed, scaled
    assert latest["energy_wh"] == 2_345_678  # 32 bits, low word first
    assert latest["dhw_active"] == 1 and latest["on"] == 1  # discrete input and coil
    assert latest["power_limit_w"] == 4000
    assert ctx.latest("hp")["flow_temp_c"].unit is Unit.CELSIUS
    assert ctx.infos["hp"].kind is DeviceKind.HEAT_PUMP and len(ctx.infos["hp"].points) == 18


async def test_ev_charger_template_writes_reach_the_device(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    plant = Plant(
        {
            "power_w": 7360.5,
            "current_limit_a": 16,
            "charging_enabled": 1,
            "connected": 1,
            "session_energy_wh": 4200,
            "departure_epoch_s": 1_790_000_000,
        },
        {"current_limit_a": (6, 16), "charging_enabled": (0, 1)},
    )
    unit = TemplateUnit("ev_charger_generic", plant.values, plant.write)
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("ev", server.port, template="ev_charger_generic"))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("ev"))
        assert ctx.latest("ev")["power_w"].value == 7360.5  # float32
        assert ctx.latest("ev")["departure_epoch_s"].value == 1_790_000_000

        assert await driver.write("ev", "current_limit_a", 10.04) == 10.0  # 0.1 A steps
        assert await driver.write("ev", "charging_enabled", 0) == 0
        assert plant.writes == [("current_limit_a", 10.0), ("charging_enabled", 0.0)]
        await ctx.wait_for(lambda: ctx.latest("ev")["current_limit_a"].value == 10.0)
        assert ctx.latest("ev")["charging_enabled"].value == 0

        # The device refuses 20 A (its rating is 16 A): a driver error, nothing changes.
        with pytest.raises(DriverError, match="exception 3"):
            await driver.write("ev", "current_limit_a", 20)
        assert plant.state["current_limit_a"] == 10.0
