"""A recording DriverContext (the runtime's side of the driver contract) and server helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

import pytest

from flexcoop.drivers.modbus import ModbusDeviceConfig, ModbusDriver
from flexcoop.edge.model import DeviceInfo, DeviceStatus, Reading
from flexcoop.units import utcnow


class RecordingContext:
    """Keeps everything a driver reports, and lets a test wait for a condition on it."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.statuses: list[DeviceStatus] = []
        self.infos: dict[str, DeviceInfo] = {}
        self._changed = asyncio.Event()

    def emit(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)
        self._changed.set()

    def set_status(self, status: DeviceStatus) -> None:
        self.statuses.append(status)
        self._changed.set()

    def now(self) -> datetime:
        return utcnow()

    def describe(self, info: DeviceInfo) -> None:
        self.infos[info.id] = info
        self._changed.set()

    async def wait_for(self, condition: Callable[[], object], timeout_s: float = 15.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def latest(self, device: str) -> dict[str, Reading]:
        out: dict[str, Reading] = {}
        for r in self.readings:
            if r.device == device:
                out[r.point] = r
        return out

    def online(self, device: str) -> bool | None:
        for s in reversed(self.statuses):
            if s.device == device:
                return s.online
        return None


@pytest.fixture
def ctx() -> RecordingContext:
    return RecordingContext()


@pytest.fixture
async def driver(ctx: RecordingContext) -> AsyncIterator[ModbusDriver]:
    async with ModbusDriver(ctx, seed=1) as drv:
        yield drv


def _device(device_id: str, port: int, **keys: object) -> ModbusDeviceConfig:
    table: dict[str, object] = {
        "id": device_id,
        "driver": "modbus",
        "host": "127.0.0.1",
        "port": port,
        "poll_interval_s": 0.1,
        "timeout_s": 3.0,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
    }
    table.update(keys)
    return ModbusDeviceConfig.model_validate(table)


@pytest.fixture
def device() -> Callable[..., ModbusDeviceConfig]:
    """``device(id, port, **keys)``: a fast-polling TCP device on 127.0.0.1 with quick reconnects."""
    return _device
