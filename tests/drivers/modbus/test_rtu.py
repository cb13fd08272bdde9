"""Modbus RTU: real RTU framing through pyserial's socket:// port, units sharing one line."""

from __future__ import annotations

import pytest

from flexcoop.drivers.base import DriverError
from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.hardware.virtual.sunspec_server import SunSpecUnit, TemplateUnit, VirtualModbusServer


def _rtu(device_id: str, port: int, **keys: object) -> ModbusDeviceConfig:
    return ModbusDeviceConfig.model_validate(
        {
            "id": device_id,
            "driver": "modbus",
            "transport": "rtu",
            "serial_port": f"socket://127.0.0.1:{port}",
            "poll_interval_s": 0.1,
            "timeout_s": 3.0,
            "reconnect_min_s": 0.05,
            "reconnect_max_s": 0.2,
            **keys,
        }
    )


async def test_two_units_on_one_rtu_line(ctx, driver: ModbusDriver) -> None:
    hp = TemplateUnit(
        "heat_pump_generic", lambda: {"power_w": 1500, "flow_temp_c": 41.2}, unit_id=1
    )
    meter = SunSpecUnit([203], lambda: {"power_w": -300.0}, unit_id=2)
    async with VirtualModbusServer([hp, meter], framer="rtu") as line:
        await driver.add_device(_rtu("hp", line.port, template="heat_pump_generic", unit_id=1))
        await driver.add_device(_rtu("meter", line.port, unit_id=2))
        await ctx.wait_for(
            lambda: "power_w" in ctx.latest("hp") and "power_w" in ctx.latest("meter")
        )
        assert await driver.write("hp", "setpoint_c", 21.3) == 21.3
    assert ctx.latest("hp")["flow_temp_c"].value == 41.2
    assert ctx.latest("meter")["power_w"].value == -300.0


async def test_one_line_cannot_have_two_speeds(driver: ModbusDriver) -> None:
    await driver.add_device(_rtu("a", 9, template="heat_pump_generic", baudrate=9600))
    with pytest.raises(DriverError, match="already open with 9600 8N1, not 19200 8N1"):
        await driver.add_device(_rtu("b", 9, template="heat_pump_generic", unit_id=2))
    with pytest.raises(DriverError, match="already managed"):
        await driver.add_device(_rtu("a", 9, template="heat_pump_generic", baudrate=9600))
    with pytest.raises(
        DriverError, match=r"unit 1 on rtu://socket://127.0.0.1:9 is already managed as 'a'"
    ):
        await driver.add_device(_rtu("c", 9, template="ev_charger_generic", baudrate=9600))
