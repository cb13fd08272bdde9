"""SunSpec discovery and decoding against real pymodbus servers built from the model tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.drivers.modbus.codec import RegisterType
from flexcoop.drivers.modbus.link import Link, link_key
from flexcoop.drivers.modbus.sunspec import interview
from flexcoop.drivers.modbus.sunspec_models import MODELS
from flexcoop.edge.model import DeviceKind, Direction, Quality
from flexcoop.hardware.virtual.sunspec_server import (
    CommonInfo,
    SunSpecUnit,
    TemplateUnit,
    VirtualModbusServer,
)
from flexcoop.units import Unit

Device = Callable[..., ModbusDeviceConfig]


def test_model_tables_are_consistent() -> None:
    for model in MODELS.values():
        used: set[int] = set()
        for p in model.points:
            span = set(range(p.offset, p.offset + p.registers))
            assert not span & used, f"model {model.id}: {p.id} overlaps"
            used |= span
            assert p.offset + p.registers <= model.length + 2, f"model {model.id}: {p.id} past L"
            if p.sf is not None:
                assert model.point(p.sf).type.value == "sunssf"
        # Every register of the block is described: offsets are checkable against the spec.
        assert used == set(range(2, model.length + 2)), f"model {model.id} has holes"


INVERTER_VALUES = {
    "power_w": 4321.0,
    "energy_wh": 12_345_678.0,
    "frequency_hz": 50.02,
    "voltage_l1_v": 231.4,
    "current_a": 18.75,
    "cabinet_temp_c": 41.5,
    "operating_state": 4,
}


@pytest.mark.parametrize(
    ("model_id", "sfs", "expected"),
    [
        (101, {}, INVERTER_VALUES),
        # W_SF 1: the register holds tens of watts, so 4321 W reads back as 4320 W.
        (
            102,
            {"W_SF": 1, "WH_SF": 3},
            {**INVERTER_VALUES, "power_w": 4320.0, "energy_wh": 12_346_000.0},
        ),
        (103, {"Hz_SF": -3, "V_SF": -2, "A_SF": -3}, INVERTER_VALUES),
    ],
)
async def test_inverter_models_decode_with_scale_factors(
    ctx,
    driver: ModbusDriver,
    device: Device,
    model_id: int,
    sfs: dict[str, int],
    expected: dict[str, float],
) -> None:
    unit = SunSpecUnit(
        [model_id],
        lambda: INVERTER_VALUES,
        scale_factors=sfs,
        common=CommonInfo("Acme Solar", f"Inv-{model_id}", "SN-42", "2.1"),
    )
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("inv", server.port))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("inv"))
    info = ctx.infos["inv"]
    assert (info.kind, info.manufacturer, info.model, info.serial) == (
        DeviceKind.PV_INVERTER,
        "Acme Solar",
        f"Inv-{model_id}",
        "SN-42",
    )
    latest = ctx.latest("inv")
    for name, value in expected.items():
        assert latest[name].value == pytest.approx(value, abs=1e-9), name
    assert latest["power_w"].unit is Unit.W and latest["energy_wh"].unit is Unit.WH
    assert info.points["cabinet_temp_c"].unit is Unit.CELSIUS
    # Points the device marks "not implemented" are neither described nor read.
    assert "voltage_l2_v" not in info.points and "dc_power_w" not in latest
    assert all(r.quality is Quality.GOOD for r in ctx.readings)


async def test_storage_and_controls_make_a_battery(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    values = {
        "power_w": -2500.0,
        "soc_pct": 63.4,
        "max_charge_power_w": 5000.0,
        "battery_voltage_v": 51.2,
        "rated_energy_wh": 13_500.0,  # model 120 nameplate
        "der_type": 82,
    }
    unit = SunSpecUnit(
        [120, 103, 123, 124], lambda: values, scale_factors={"ChaState_SF": -1, "WHRtg_SF": 1}
    )
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("bat", server.port))
        await ctx.wait_for(lambda: "soc_pct" in ctx.latest("bat"))
    info = ctx.infos["bat"]
    assert info.kind is DeviceKind.BATTERY
    latest = ctx.latest("bat")
    assert latest["soc_pct"].value == 63.4 and latest["soc_pct"].unit is Unit.PERCENT
    assert latest["power_w"].value == -2500.0
    assert latest["battery_voltage_v"].value == 51.2
    assert latest["rated_energy_wh"].value == 13_500.0 and latest["der_type"].value == 82
    # Controls (model 123) and storage setpoints (124) are writable points with limits.
    limit = info.points["power_limit_pct"]
    assert limit.direction is Direction.READ_WRITE and (limit.min, limit.max) == (0, 100)
    assert latest["power_limit_pct"].value == 100.0 and latest["connected"].value == 1.0
    assert info.points["charge_rate_pct"].direction is Direction.READ_WRITE
    assert info.points["soc_pct"].direction is Direction.READ


@pytest.mark.parametrize("model_id", [201, 202, 203, 204])
async def test_meter_models(ctx, driver: ModbusDriver, device: Device, model_id: int) -> None:
    values = {
        "power_w": -1520.0,
        "power_l1_w": -500.0,
        "import_energy_wh": 987_654.0,
        "export_energy_wh": 123_456.0,
        "voltage_l1_v": 229.9,
        "frequency_hz": 49.98,
        "power_factor_pct": 97.5,
    }
    unit = SunSpecUnit([model_id], lambda: values, scale_factors={"TotWh_SF": 0, "W_SF": 1})
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("m", server.port))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("m"))
    assert ctx.infos["m"].kind is DeviceKind.METER
    latest = ctx.latest("m")
    assert latest["power_w"].value == -1520.0
    assert latest["import_energy_wh"].value == 987_654.0
    assert latest["export_energy_wh"].value == 123_456.0
    assert latest["voltage_l1_v"].value == 229.9
    assert latest["frequency_hz"].value == 49.98
    assert latest["power_factor_pct"].value == 97.5
    assert "voltage_l3_v" not in latest


async def test_meter_behind_an_inverter_gets_prefixed_names(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    values = {"power_w": 3000.0, "m203.power_w": 800.0}
    unit = SunSpecUnit([103, 203], lambda: values)
    assert "m203.power_w" in unit.point_names
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("inv", server.port))
        await ctx.wait_for(lambda: "m203.power_w" in ctx.latest("inv"))
    latest = ctx.latest("inv")
    assert (latest["power_w"].value, latest["m203.power_w"].value) == (3000.0, 800.0)


@pytest.mark.parametrize("base", [50000, 0])
async def test_other_base_addresses_are_found(
    ctx, driver: ModbusDriver, device: Device, base: int
) -> None:
    unit = SunSpecUnit([101], lambda: {"power_w": 99.0}, base=base)
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("inv", server.port))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("inv"))
    assert ctx.latest("inv")["power_w"].value == 99.0


async def test_unknown_models_in_the_chain_are_skipped(device: Device) -> None:
    # Model 1 + 103, then a vendor model we have no table for: the walk must step over it.
    unit = SunSpecUnit([103], lambda: {"power_w": 10.0})
    async with VirtualModbusServer([unit]) as server:
        link = Link(link_key(device("x", server.port)), device("x", server.port))
        await link.connect()

        async def read(register: RegisterType, address: int, count: int) -> list[int]:
            return await link.read(1, register, address, count)

        found = await interview(read)
        link.close()
    assert found.model_ids == [1, 103]
    assert found.base == 40000
    assert {p.point.name for p in found.points} >= {"power_w"}


async def test_a_device_without_sunspec_is_reported_offline_with_the_reason(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    # A heat pump answers Modbus but has no "SunS" marker: the config lacks its template.
    hp = TemplateUnit("heat_pump_generic", lambda: {})
    async with VirtualModbusServer([hp]) as server:
        await driver.add_device(device("hp", server.port))
        await ctx.wait_for(lambda: ctx.online("hp") is False)
    offline = [s for s in ctx.statuses if s.device == "hp"][-1]
    assert "SunS" in offline.reason
    assert not ctx.latest("hp")


def test_virtual_unit_rejects_unknown_models_and_scale_factors() -> None:
    with pytest.raises(ValueError, match=r"no table for SunSpec model\(s\) \[64001\]"):
        SunSpecUnit([64001], dict)
    with pytest.raises(
        ValueError, match=r"no such SF point in models \[1, 203\]: \['103.W_SF', 'Watt_SF'\]"
    ):
        SunSpecUnit([203], dict, scale_factors={"W_SF": 1, "Watt_SF": 1, "103.W_SF": 1})
