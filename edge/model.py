"""The device model shared by drivers, the store, the demand manager and the APIs.

A device has points; each point has a canonical unit, a direction and optional limits. Drivers
produce ``Reading``s; everything that wants to change the world sends a ``Command``, which the
device registry checks against the point's limits (and comfort bounds) before a driver sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flexcoop.units import Unit, ensure_utc, utcnow


class Direction(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"

    @property
    def writable(self) -> bool:
        return self is not Direction.READ


class DeviceKind(StrEnum):
    """What a device is, as the demand manager and the cloud need to know it."""

    PV_INVERTER = "pv_inverter"
    BATTERY = "battery"
    METER = "meter"
    HEAT_PUMP = "heat_pump"
    DHW_TANK = "dhw_tank"
    EV_CHARGER = "ev_charger"
    THERMOSTAT = "thermostat"
    SENSOR = "sensor"
    SWITCH = "switch"
    OTHER = "other"


class Quality(StrEnum):
    GOOD = "good"
    # First reading after a gap (device vanished and came back); the store marks the gap.
    RESUMED = "resumed"
    ESTIMATED = "estimated"


class Point(BaseModel):
    """One measurable or controllable quantity of a device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    unit: Unit
    direction: Direction = Direction.READ
    min: float | None = None
    max: float | None = None
    description: str = ""

    @model_validator(mode="after")
    def _limits_ordered(self) -> Point:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"point {self.name}: min {self.min} > max {self.max}")
        return self


class DeviceInfo(BaseModel):
    """What a driver knows about a device after discovery or interview."""

    model_config = ConfigDict(extra="forbid")

    id: str
    driver: str
    kind: DeviceKind = DeviceKind.OTHER
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    points: dict[str, Point] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reading:
    """A value of one point at one instant, in the point's canonical unit."""

    device: str
    point: str
    value: float
    unit: Unit
    ts: datetime
    quality: Quality = Quality.GOOD

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None:
            raise ValueError("Reading.ts must be timezone-aware (UTC)")


@dataclass(frozen=True, slots=True)
class Command:
    """A request to set a point. ``unit`` may be any unit convertible to the point's unit."""

    device: str
    point: str
    value: float
    unit: str
    source: str = "api"
    ts: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", ensure_utc(self.ts))


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Outcome of a Command: applied, or rejected with a reason (never silently dropped)."""

    command: Command
    accepted: bool
    reason: str = ""
    applied_value: float | None = None


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """Liveness of a device as its driver sees it (the WSN monitor builds on these)."""

    device: str
    online: bool
    reason: str = ""
    ts: datetime = field(default_factory=utcnow)
