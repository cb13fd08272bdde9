"""The driver contract: every protocol driver has this shape, so the 20th is as easy as the 2nd.

A ``Driver`` instance serves one protocol on one box and manages any number of devices of that
protocol (one Modbus TCP connection per device, one radio coordinator for many ZigBee nodes).
Lifecycle is explicit and async (``start``/``stop`` or ``async with``); drivers run no hidden
threads. The runtime gives each driver a ``DriverContext`` through which it reports readings,
device liveness and what it learnt about a device (its points) — that is the "stream of Readings".

Each driver declares:
- ``name``: the value of ``driver = "…"`` in ``[[devices]]`` tables and its entry-point name;
- ``config_schema``: a pydantic model (subclass of ``DeviceConfig``) validating one device table;
- ``templates()``: the device templates it knows (register maps, clusters, …).

Writes reach a driver only after the device registry checked them against the point's limits,
so ``write`` may assume a valid, canonical-unit value; it returns the value actually applied
(after device-side rounding/scaling).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.edge.model import DeviceInfo, DeviceKind, DeviceStatus, Point, Reading


class DriverError(Exception):
    """A driver-level failure (connection, protocol); the runtime logs it and isolates it."""


class DeviceUnavailableError(DriverError):
    """The device is configured but cannot be reached right now."""


class UnknownPointError(DriverError):
    pass


# Validation-context key: the folder of the config file, for drivers' relative paths.
CONFIG_DIR = "config_dir"


class DeviceConfig(BaseModel):
    """Keys every ``[[devices]]`` table has; drivers extend it with their own."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="unique device id on this box")
    driver: str
    name: str = ""
    poll_interval_s: float = Field(5.0, gt=0, le=86_400, description="seconds between polls")


class DeviceTemplate(BaseModel):
    """A known device type: its kind and points. Protocol drivers subclass it to add the map."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: DeviceKind = DeviceKind.OTHER
    manufacturer: str = ""
    model: str = ""
    points: list[Point] = Field(default_factory=list)


class DiscoveredDevice(BaseModel):
    """A candidate found by ``discover()``; ``config`` is the device table that pairs it."""

    model_config = ConfigDict(extra="forbid")

    driver: str
    address: str
    kind: DeviceKind = DeviceKind.OTHER
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    config: dict[str, Any] = Field(default_factory=dict)


class DriverContext(Protocol):
    """What the runtime offers a driver. Implementations must be cheap and non-blocking."""

    def now(self) -> datetime:
        """The box's clock (tz-aware UTC): drivers timestamp readings with it, so a simulated
        run (the demo's accelerated day) gets simulated timestamps end to end."""
        ...

    def emit(self, readings: Sequence[Reading]) -> None: ...

    def set_status(self, status: DeviceStatus) -> None: ...

    def describe(self, info: DeviceInfo) -> None: ...


C = TypeVar("C", bound=DeviceConfig)


class Driver(ABC, Generic[C]):
    name: ClassVar[str]
    config_schema: ClassVar[type[DeviceConfig]] = DeviceConfig

    def __init__(self, ctx: DriverContext) -> None:
        self.ctx = ctx

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    async def start(self) -> None:
        """Open shared resources (radio, sockets) and begin polling every added device."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop polling and close everything; must be safe to call twice."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- devices ---------------------------------------------------------------------------
    @abstractmethod
    async def add_device(self, config: C) -> None:
        """Take a configured device under management (before or after ``start``)."""

    @abstractmethod
    async def remove_device(self, device_id: str) -> None: ...

    async def discover(self, timeout_s: float = 10.0) -> list[DiscoveredDevice]:
        """Look for devices this driver could pair. Drivers without discovery return []."""
        return []

    async def pair(self, candidate: DiscoveredDevice, device_id: str) -> C:
        """Turn a discovered candidate into a managed device and return its config."""
        config = self.config_schema.model_validate(
            {**candidate.config, "id": device_id, "driver": self.name}
        )
        await self.add_device(config)  # type: ignore[arg-type]
        return config  # type: ignore[return-value]

    async def unpair(self, device_id: str) -> None:
        await self.remove_device(device_id)

    # -- control ---------------------------------------------------------------------------
    @abstractmethod
    async def write(self, device_id: str, point: str, value: float) -> float:
        """Set a point (canonical unit, already limit-checked); returns the applied value."""

    @classmethod
    def templates(cls) -> Mapping[str, DeviceTemplate]:
        return {}
