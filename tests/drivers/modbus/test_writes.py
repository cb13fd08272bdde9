"""Writes: SunSpec scale factors on the way out, limits, read-only and unknown points."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flexcoop.drivers.base import DeviceUnavailableError, DriverError, UnknownPointError
from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.hardware.virtual.sunspec_server import SunSpecUnit, VirtualModbusServer

Device = Callable[..., ModbusDeviceConfig]


@pytest.mark.parametrize(
    ("sf", "asked", "applied"), [(0, 55.4, 55.0), (-1, 55.44, 55.4), (-2, 33.333, 33.33)]
)
async def test_power_limit_is_encoded_with_the_device_scale_factor(
    ctx, driver: ModbusDriver, device: Device, sf: int, asked: float, applied: float
) -> None:
    seen: list[tuple[str, float]] = []
    unit = SunSpecUnit(
        [103, 123],
        lambda: {"power_w": 5000.0},
        lambda name, value: seen.append((name, value)),
        scale_factors={"WMaxLimPct_SF": sf},
    )
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("pv", server.port))
        await ctx.wait_for(lambda: "power_limit_pct" in ctx.latest("pv"))
        assert await driver.write("pv", "power_limit_pct", asked) == applied
        assert await driver.write("pv", "power_limit_enabled", 1) == 1
        assert seen == [("power_limit_pct", applied), ("power_limit_enabled", 1.0)]
        await ctx.wait_for(lambda: ctx.latest("pv")["power_limit_pct"].value == applied)


async def test_storage_setpoints(ctx, driver: ModbusDriver, device: Device) -> None:
    seen: dict[str, float] = {}
    unit = SunSpecUnit(
        [124],
        lambda: {"soc_pct": 50.0, "max_charge_power_w": 5000.0},
        seen.__setitem__,
        scale_factors={"InOutWRte_SF": -2},
    )
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("bat", server.port))
        await ctx.wait_for(lambda: "soc_pct" in ctx.latest("bat"))
        assert await driver.write("bat", "storage_control_mode", 2) == 2
        assert await driver.write("bat", "charge_rate_pct", -12.346) == -12.35
        assert await driver.write("bat", "discharge_rate_pct", 40.5) == 40.5
    assert seen == {
        "storage_control_mode": 2.0,
        "charge_rate_pct": -12.35,
        "discharge_rate_pct": 40.5,
    }


async def test_refused_writes_say_why(ctx, driver: ModbusDriver, device: Device) -> None:
    unit = SunSpecUnit([103, 123], lambda: {"power_w": 5000.0})
    async with VirtualModbusServer([unit]) as server:
        await driver.add_device(device("pv", server.port))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("pv"))
        with pytest.raises(
            UnknownPointError, match=r"no point 'flux' \(writable: connected, power_limit_enabled"
        ):
            await driver.write("pv", "flux", 1)
        with pytest.raises(DriverError, match=r"pv\.power_w is read-only"):
            await driver.write("pv", "power_w", 1)
        with pytest.raises(DriverError, match=r"outside the point's limits 0.0..100.0"):
            await driver.write("pv", "power_limit_pct", 150)
        with pytest.raises(DriverError, match="unknown Modbus device 'nope'"):
            await driver.write("nope", "power_limit_pct", 50)
        assert ctx.latest("pv")["power_limit_pct"].value == 100.0
    # With the server gone the write cannot reach the device, and says so.
    with pytest.raises(DeviceUnavailableError):
        await driver.write("pv", "power_limit_pct", 50)


async def test_server_side_limits_reject_out_of_range_raw_values(device: Device) -> None:
    """A client that bypasses our limits still cannot push the simulated inverter past 100 %."""
    from flexcoop.drivers.modbus.codec import RegisterType
    from flexcoop.drivers.modbus.link import Link, ModbusReplyError, link_key

    unit = SunSpecUnit([103, 123], lambda: {})
    address = next(i.address for i in unit.instances if i.model_id == 123) + 5  # WMaxLimPct
    async with VirtualModbusServer([unit]) as server:
        cfg = device("raw", server.port)
        link = Link(link_key(cfg), cfg)
        await link.connect()
        with pytest.raises(ModbusReplyError, match="exception 3"):
            await link.write(1, RegisterType.HOLDING, address, [150])
        with pytest.raises(ModbusReplyError, match="exception 2"):  # read-only
            await link.write(1, RegisterType.HOLDING, address - 5, [1])  # the model id
        await link.write(1, RegisterType.HOLDING, address, [80])
        assert await link.read(1, RegisterType.HOLDING, address, 1) == [80]
        link.close()
