"""Outages: a device that vanishes goes offline, comes back RESUMED, and never stalls others."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from datetime import datetime

from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.drivers.modbus.session import backoff_delay
from flexcoop.edge.model import Quality
from flexcoop.hardware.virtual.sunspec_server import (
    ServedUnit,
    SunSpecUnit,
    TemplateUnit,
    VirtualModbusServer,
)
from flexcoop.units import utcnow

Device = Callable[..., ModbusDeviceConfig]


def _closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_server_restart_resumes_with_resumed_quality(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    power = {"power_w": 1000.0}
    unit = SunSpecUnit([103], lambda: power)
    server = VirtualModbusServer([unit])
    await server.start()
    port = server.port
    await driver.add_device(device("pv", port))
    await ctx.wait_for(lambda: "power_w" in ctx.latest("pv"))
    assert ctx.online("pv") is True

    await server.stop()
    await ctx.wait_for(lambda: ctx.online("pv") is False)
    offline = [s for s in ctx.statuses if s.device == "pv"][-1]
    assert offline.reason  # says why (connection lost / refused)
    gap_start = len(ctx.readings)

    # A new server process on the same port, with a new value.
    power["power_w"] = 2000.0
    async with VirtualModbusServer([SunSpecUnit([103], lambda: power)], port=port):
        await ctx.wait_for(lambda: any(r.value == 2000.0 for r in ctx.readings[gap_start:]))
        await ctx.wait_for(lambda: len({r.ts for r in ctx.readings[gap_start:]}) >= 2)
    after = [r for r in ctx.readings[gap_start:] if r.point == "power_w"]
    assert after[0].quality is Quality.RESUMED and after[0].value == 2000.0
    assert all(r.quality is Quality.GOOD for r in after[1:])
    assert [s.online for s in ctx.statuses if s.device == "pv"] == [True, False, True]
    await driver.stop()  # must be clean (and idempotent)
    await driver.stop()


async def test_a_dead_device_does_not_stop_the_others(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    def broken() -> dict[str, float]:
        raise RuntimeError("sensor bus fault")  # the server answers "device failure"

    good = TemplateUnit("heat_pump_generic", lambda: {"power_w": 500})
    sick = TemplateUnit("heat_pump_generic", broken)
    async with VirtualModbusServer([good]) as a, VirtualModbusServer([sick]) as b:
        await driver.add_device(device("gone", _closed_port()))
        await driver.add_device(device("sick", b.port, template="heat_pump_generic"))
        await driver.add_device(device("hp", a.port, template="heat_pump_generic"))
        await ctx.wait_for(lambda: ctx.online("gone") is False and ctx.online("sick") is False)
        start = len(ctx.readings)
        await ctx.wait_for(lambda: sum(r.point == "power_w" for r in ctx.readings[start:]) >= 5)
    assert {r.device for r in ctx.readings} == {"hp"}
    assert ctx.online("hp") is True
    reasons = {s.device: s.reason for s in ctx.statuses if not s.online}
    assert "cannot connect" in reasons["gone"]
    assert "exception 4" in reasons["sick"]
    assert not driver.is_online("gone")


async def test_removed_devices_stop_polling(ctx, driver: ModbusDriver, device: Device) -> None:
    units = [TemplateUnit("heat_pump_generic", lambda: {"power_w": 1}, unit_id=u) for u in (1, 2)]
    async with VirtualModbusServer(units) as s:
        await driver.add_device(device("hp", s.port, template="heat_pump_generic"))
        # A second unit behind the same gateway shares the connection.
        await driver.add_device(device("hp2", s.port, template="heat_pump_generic", unit_id=2))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("hp") and "power_w" in ctx.latest("hp2"))
        await driver.remove_device("hp")
        start = len(ctx.readings)
        await ctx.wait_for(lambda: sum(r.device == "hp2" for r in ctx.readings[start:]) >= 30)
        assert not any(r.device == "hp" for r in ctx.readings[start:])


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, 1.0, 30.0, rng) for n in range(12)]
    assert all(0.5 * min(30.0, 2.0**n) <= d <= min(30.0, 2.0**n) for n, d in enumerate(delays))
    assert max(delays) <= 30.0
    # Jitter: many boxes failing together do not retry in lock-step.
    assert len({round(backoff_delay(5, 1.0, 30.0, rng), 6) for _ in range(20)}) > 10
    assert backoff_delay(10_000, 1.0, 30.0, rng) <= 30.0  # no overflow on long outages


async def test_a_failing_runtime_callback_does_not_stop_polling(device: Device) -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0
            self.readings: list[object] = []
            self.enough = asyncio.Event()

        def emit(self, readings: object) -> None:
            self.calls += 1
            if self.calls % 2:
                raise RuntimeError("store full")
            self.readings.append(readings)
            if len(self.readings) >= 3:
                self.enough.set()

        def now(self) -> datetime:
            return utcnow()

        def set_status(self, status: object) -> None:
            raise RuntimeError("monitor down")

        def describe(self, info: object) -> None:
            raise RuntimeError("registry down")

    flaky = Flaky()
    async with VirtualModbusServer(
        [TemplateUnit("heat_pump_generic", lambda: {"power_w": 7})]
    ) as s:
        async with ModbusDriver(flaky) as driver:
            await driver.add_device(device("hp", s.port, template="heat_pump_generic"))
            async with asyncio.timeout(15):
                await flaky.enough.wait()
            assert driver.is_online("hp")


class _MuteUnit(ServedUnit):
    """A unit id the gateway forwards but nothing answers: requests just time out."""

    def __init__(self, unit_id: int) -> None:
        self.unit_id = unit_id

    def simdevice(self) -> SimDevice:
        async def never(*_: object) -> None:
            await asyncio.Event().wait()

        return SimDevice(
            self.unit_id,
            simdata=[SimData(0, count=50002, values=0, datatype=SimType.REGISTERS)],
            action=never,
        )


async def test_a_mute_unit_behind_a_gateway_does_not_cut_its_neighbours_off(
    ctx, driver: ModbusDriver, device: Device
) -> None:
    units = [SunSpecUnit([203], lambda: {"power_w": 10.0}, unit_id=1), _MuteUnit(5)]
    async with VirtualModbusServer(units) as gateway:
        await driver.add_device(device("meter", gateway.port, unit_id=1))
        await ctx.wait_for(lambda: "power_w" in ctx.latest("meter"))
        await driver.add_device(
            device(
                "mute", gateway.port, unit_id=5, timeout_s=0.2, reconnect_min_s=1, reconnect_max_s=2
            )
        )
        await ctx.wait_for(lambda: ctx.online("mute") is False)
        start = len(ctx.readings)
        # The mute unit keeps timing out (and is retried) while the meter keeps being read.
        await ctx.wait_for(lambda: sum(r.point == "power_w" for r in ctx.readings[start:]) >= 5)
    assert [s.online for s in ctx.statuses if s.device == "meter"] == [True]
    reason = next(s.reason for s in ctx.statuses if s.device == "mute")
    assert "unit 5" in reason
