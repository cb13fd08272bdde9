"""What the VEN needs from the rest of the box, as protocols, plus the defaults it ships with.

- ``TelemetrySource``: the devices with their points, latest readings and liveness. The daemon's
  ``DeviceRegistry`` satisfies it as is.
- ``EventHandler``: decides optIn/optOut for a DR event (the demand manager plugs in later;
  ``OptInHandler`` accepts everything).
- ``FlexibilityProvider``: the 24 h flexibility offer (96 × 15 min of up/down power);
  ``PointLimitFlexibility`` derives a constant offer from battery / heat-pump point limits.

Sign convention of the flexibility (docs/openadr-profile.md §4): ``up_w`` is how much the site
can reduce its net consumption, ``down_w`` how much it can increase it; both ≥ 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from flexcoop.edge.model import DeviceInfo, DeviceKind, DeviceStatus, Point, Reading
from flexcoop.openadr.messages import OptType
from flexcoop.units import INTERVAL, Unit, ensure_utc, floor_interval

OFFER_INTERVALS = 96


class EventState(StrEnum):
    """The VEN's own view of an event, computed from its active period and the VTN's status."""

    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class SignalInterval:
    start: datetime
    duration: timedelta
    value: float


@dataclass(frozen=True, slots=True)
class DrSignal:
    name: str  # SIMPLE, ELECTRICITY_PRICE, LOAD_DISPATCH, x-…
    type: str  # level, price, setpoint, delta, …
    intervals: tuple[SignalInterval, ...]
    unit: str = ""  # canonical unit symbol of the values when the signal has an item base


@dataclass(frozen=True, slots=True)
class DrEvent:
    """A demand-response event as the local demand manager sees it (no XML types)."""

    event_id: str
    modification_number: int
    status: EventState
    start: datetime
    duration: timedelta
    signals: tuple[DrSignal, ...]
    market_context: str = ""
    priority: int = 0
    test_event: bool = False
    response_required: bool = True
    vtn_status: str = ""  # far|near|active|completed|cancelled|none as the VTN said
    # Randomisation window (xcal tolerance startafter): the demand manager starts at a random
    # offset in [0, start_after) so that a fleet does not switch in the same second.
    start_after: timedelta = timedelta(0)
    ramp_up: timedelta = timedelta(0)
    recovery: timedelta = timedelta(0)

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class EventDecision:
    opt: OptType
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FlexInterval:
    start: datetime
    up_w: float
    down_w: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", ensure_utc(self.start))
        if self.up_w < 0 or self.down_w < 0:
            raise ValueError(f"flexibility must be >= 0 W (up {self.up_w}, down {self.down_w})")


class TelemetrySource(Protocol):
    def devices(self) -> list[DeviceInfo]: ...

    def latest(self, device_id: str | None = None) -> list[Reading]: ...

    def status(self, device_id: str) -> DeviceStatus | None: ...


class EventHandler(Protocol):
    async def on_event(self, event: DrEvent) -> EventDecision: ...


class FlexibilityProvider(Protocol):
    async def offer(self, start: datetime) -> list[FlexInterval]:
        """96 intervals of 15 min from ``start`` (15-min aligned, UTC)."""
        ...


class OptInHandler:
    """Default event handler: take part in everything (the demand manager replaces it)."""

    async def on_event(self, event: DrEvent) -> EventDecision:
        return EventDecision(OptType.OPT_IN, "default handler opts in")


@dataclass
class PointLimitFlexibility:
    """A constant offer from what the controllable devices could do right now.

    Batteries: the writable W setpoint (+ discharge, − charge) can move from its current value up
    to its max (reducing net consumption) and down to its min. Heat pumps and EV chargers: the W
    consumption can drop to its min (or 0) and rise to its max. Deliberately simple; the DFP's
    forecast replaces it.
    """

    telemetry: TelemetrySource
    consumer_kinds: frozenset[DeviceKind] = field(
        default=frozenset({DeviceKind.HEAT_PUMP, DeviceKind.EV_CHARGER})
    )

    async def offer(self, start: datetime) -> list[FlexInterval]:
        start = floor_interval(start)
        up_w = down_w = 0.0
        for device in self.telemetry.devices():
            point = _power_point(device)
            if point is None or point.max is None:
                continue
            now = {r.point: r.value for r in self.telemetry.latest(device.id)}
            low = point.min if point.min is not None else 0.0
            current = min(max(now.get(point.name, 0.0), low), point.max)
            if device.kind is DeviceKind.BATTERY:
                up_w += point.max - current
                down_w += current - low
            elif device.kind in self.consumer_kinds:
                up_w += current - max(low, 0.0)
                down_w += point.max - current
        return [
            FlexInterval(start + i * INTERVAL, max(up_w, 0.0), max(down_w, 0.0))
            for i in range(OFFER_INTERVALS)
        ]


def _power_point(device: DeviceInfo) -> Point | None:
    """The device's controllable power point: writable W first, else any W point with limits."""
    candidates: Sequence[Point] = [p for p in device.points.values() if p.unit is Unit.W]
    writable = [p for p in candidates if p.direction.writable and p.max is not None]
    if writable:
        return writable[0]
    if device.kind is DeviceKind.BATTERY:
        return None  # a battery we cannot command offers nothing
    limited = [p for p in candidates if p.max is not None]
    return limited[0] if limited else None
