"""What the store hands out and the errors it raises: plain frozen dataclasses, UTC everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class StoreUnavailableError(Exception):
    """The store cannot make this call durable right now (disk full, unwritable, DB missing).

    Callers keep what they wanted to store and retry later; the store never pretends durability.
    """


class SchemaTooNewError(StoreUnavailableError):
    """The database was written by a newer flexcoop; opening it could corrupt it, so we refuse."""


class EventKind(StrEnum):
    """Event kinds the store itself understands (any other string is stored as given)."""

    DEVICE_OFFLINE = "device_offline"
    DEVICE_ONLINE = "device_online"
    WRITE_REJECTED = "write_rejected"
    ALERT = "alert"
    STORE_RECOVERED = "store_recovered"


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One 15-minute roll-up of one point.

    ``start`` is the interval start (UTC, aligned to the hour); the interval is [start, start+15 min).
    ``last`` is the value of the newest reading in the interval.

    ``delta`` is set only for energy points (unit Wh, cumulative counters) and is the energy
    counted in this interval: the sum of the non-negative steps between consecutive readings that
    end inside the interval. The first step starts from the newest reading *before* the interval
    when the store still has one, so energy between two readings that straddle a boundary is not
    lost and the deltas of consecutive intervals add up to the counter's total increase. A step
    that goes down (counter reset or meter swap) counts as 0 rather than as negative energy.
    Without any earlier reading this is ``last − first`` within the interval.
    """

    start: datetime
    device: str
    point: str
    unit: str
    count: int
    mean: float
    min: float
    max: float
    last: float
    delta: float | None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    channel: str
    payload: bytes
    created: datetime
    attempts: int
    last_error: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    ts: datetime
    kind: str
    device: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """``ok`` is False whenever the last write failed (``error`` says why) or the store is stopped.

    ``buffered_readings`` wait in memory for the disk; ``dropped_readings`` were lost because the
    buffer overflowed while the disk was unavailable; ``rejected_readings`` were refused as bad
    input (non-finite value, not a Reading, older than the raw retention window).
    """

    ok: bool
    writable: bool
    error: str
    buffered_readings: int
    dropped_readings: int
    db_bytes: int
    rejected_readings: int = 0
