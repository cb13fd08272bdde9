"""discover(): SunSpec units behind the connections the box already knows, ready to pair."""

from __future__ import annotations

from collections.abc import Callable

from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.sunspec_server import (
    CommonInfo,
    SunSpecUnit,
    TemplateUnit,
    VirtualModbusServer,
)

Device = Callable[..., ModbusDeviceConfig]


async def test_discover_finds_the_meter_behind_the_inverter_and_pairs_it(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    units = [
        SunSpecUnit([103, 123], lambda: {"power_w": 2000.0}, unit_id=1),
        SunSpecUnit(
            [203],
            lambda: {"power_w": 450.0},
            unit_id=2,
            common=CommonInfo("MeterCo", "M3", "MSN-9"),
        ),
        TemplateUnit("heat_pump_generic", lambda: {}, unit_id=3),  # Modbus, but not SunSpec
        SunSpecUnit([124], lambda: {"soc_pct": 40.0}, unit_id=126, base=50000),
    ]
    async with VirtualModbusServer(units) as gateway:
        await driver.add_device(device("inv", gateway.port, unit_id=1))
        found = await driver.discover(timeout_s=10)
        by_unit = {c.config["unit_id"]: c for c in found}
        assert sorted(by_unit) == [2, 126]
        meter = by_unit[2]
        assert (meter.kind, meter.manufacturer, meter.model, meter.serial) == (
            DeviceKind.METER,
            "MeterCo",
            "M3",
            "MSN-9",
        )
        assert meter.address == f"tcp://127.0.0.1:{gateway.port}/2"
        assert meter.config == {
            "host": "127.0.0.1",
            "port": gateway.port,
            "unit_id": 2,
            "sunspec_base": 40000,
        }
        assert (
            by_unit[126].kind is DeviceKind.BATTERY and by_unit[126].config["sunspec_base"] == 50000
        )

        paired = await driver.pair(meter, "grid_meter")
        assert paired.id == "grid_meter" and paired.unit_id == 2
        await ctx.wait_for(lambda: "power_w" in ctx.latest("grid_meter"))
        assert ctx.latest("grid_meter")["power_w"].value == 450.0
        # Paired units are managed now, so a second scan does not offer them again.
        assert {c.config["unit_id"] for c in await driver.discover(timeout_s=10)} == {126}


async def test_discover_without_devices_finds_nothing(driver: ModbusDriver) -> None:
    assert await driver.discover(timeout_s=1) == []
