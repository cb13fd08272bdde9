"""``ModbusDriver``: Modbus TCP/RTU devices, SunSpec-discovered or described by a template."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
from collections.abc import Mapping
from typing import Any, ClassVar

from flexcoop.drivers.base import (
    DeviceConfig,
    DeviceTemplate,
    DiscoveredDevice,
    Driver,
    DriverContext,
    DriverError,
)
from flexcoop.drivers.modbus.config import ModbusDeviceConfig
from flexcoop.drivers.modbus.link import Link, LinkPool, link_key
from flexcoop.drivers.modbus.session import DRIVER_NAME, DeviceSession
from flexcoop.drivers.modbus.sunspec import interview
from flexcoop.drivers.modbus.sunspec_models import DEFAULT_BASES
from flexcoop.drivers.modbus.templates import builtin_templates
from flexcoop.logs import event, get_logger

log = get_logger(__name__)

# Unit ids probed on each known connection besides the configured ones: the usual addresses
# of inverters (1), a meter or battery behind them (2, 3) and SunSpec gateways (126).
SCAN_UNIT_IDS = (1, 2, 3, 126)


class ModbusDriver(Driver[ModbusDeviceConfig]):
    """Polls every device on its own interval and recovers each one on its own.

    ``discover()`` probes, for SunSpec, the connections of the configured devices (every TCP
    host:port and serial line) at unit ids ``SCAN_UNIT_IDS`` plus the configured ones, skipping
    units already managed: a box finds the meter behind the inverter it was given, without
    scanning networks it was not told about.
    """

    name: ClassVar[str] = DRIVER_NAME
    config_schema: ClassVar[type[DeviceConfig]] = ModbusDeviceConfig

    def __init__(self, ctx: DriverContext, *, seed: int | None = None) -> None:
        super().__init__(ctx)
        self._pool = LinkPool()
        self._sessions: dict[str, DeviceSession] = {}
        self._running = False
        self._rng = random.Random(seed)

    async def start(self) -> None:
        self._running = True
        for session in self._sessions.values():
            session.start()

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*(s.stop() for s in self._sessions.values()))
        self._pool.close()

    async def add_device(self, config: ModbusDeviceConfig) -> None:
        if not isinstance(config, ModbusDeviceConfig):
            raise DriverError(f"{config.id}: not a Modbus device config ({type(config).__name__})")
        if config.id in self._sessions:
            raise DriverError(f"device {config.id!r} is already managed")
        key = link_key(config)
        for other in self._sessions.values():
            if other.link.key == key and other.config.unit_id == config.unit_id:
                raise DriverError(
                    f"{config.id}: unit {config.unit_id} on {key} is already managed as {other.id!r}"
                )
        session = DeviceSession(config, self._pool.acquire(config), self.ctx, self._rng)
        self._sessions[config.id] = session
        if self._running:
            session.start()

    async def remove_device(self, device_id: str) -> None:
        session = self._session(device_id)
        del self._sessions[device_id]
        await session.stop()
        self._pool.release(session.link)

    async def write(self, device_id: str, point: str, value: float) -> float:
        return await self._session(device_id).write(point, value)

    def _session(self, device_id: str) -> DeviceSession:
        try:
            return self._sessions[device_id]
        except KeyError:
            raise DriverError(f"unknown Modbus device {device_id!r}") from None

    def is_online(self, device_id: str) -> bool:
        return self._session(device_id).online

    async def discover(self, timeout_s: float = 10.0) -> list[DiscoveredDevice]:
        targets: dict[Link, tuple[ModbusDeviceConfig, set[int]]] = {}
        for s in self._sessions.values():
            targets.setdefault(s.link, (s.config, set()))[1].add(s.config.unit_id)
        found: list[DiscoveredDevice] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(
                    *(
                        self._probe(link, cfg, managed, found)
                        for link, (cfg, managed) in targets.items()
                    )
                )
        event(log, "modbus_discovery_done", found=len(found))
        return found

    async def _probe(
        self,
        link: Link,
        config: ModbusDeviceConfig,
        managed: set[int],
        found: list[DiscoveredDevice],
    ) -> None:
        for unit in sorted(set(SCAN_UNIT_IDS) - managed):
            try:
                await link.connect()
                device = await interview(functools.partial(link.read, unit), DEFAULT_BASES)
            except DriverError:
                continue
            table: dict[str, Any] = {"unit_id": unit, "sunspec_base": device.base}
            if config.transport == "rtu":
                table |= config.model_dump(
                    include={
                        "transport",
                        "serial_port",
                        "baudrate",
                        "parity",
                        "bytesize",
                        "stopbits",
                    }
                )
            else:
                table |= {"host": config.host, "port": config.port}
            found.append(
                DiscoveredDevice(
                    driver=self.name,
                    address=f"{link.key}/{unit}",
                    kind=device.kind,
                    manufacturer=device.manufacturer,
                    model=device.model,
                    serial=device.serial,
                    config=table,
                )
            )

    @classmethod
    def templates(cls) -> Mapping[str, DeviceTemplate]:
        return builtin_templates()
