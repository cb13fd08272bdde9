"""DR events as the aggregator defines them: an ``EventSpec`` (pydantic, also the stored form).

The wire form (``flexcoop.openadr.messages.Event``) is derived from a spec plus its modification
number and the time it is sent (event status far/near/active/completed is a function of time).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from flexcoop.units import ensure_utc

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(ts: datetime) -> datetime:
    ts = ensure_utc(ts)
    if not EARLIEST <= ts < LATEST:
        raise ValueError(f"{ts.isoformat()} is outside {EARLIEST.year}..{LATEST.year}")
    return ts


UtcDatetime = Annotated[datetime, AfterValidator(_plausible)]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s<>&]+$")]

# "near" starts this long before the event (or its ramp-up) begins.
NEAR_WINDOW = timedelta(minutes=15)


class SignalName(StrEnum):
    SIMPLE = "SIMPLE"
    LOAD_DISPATCH = "LOAD_DISPATCH"
    ELECTRICITY_PRICE = "ELECTRICITY_PRICE"


# The signal types OpenADR 2.0b allows per signal name we support.
SIGNAL_TYPES: dict[SignalName, frozenset[str]] = {
    SignalName.SIMPLE: frozenset({"level"}),
    SignalName.LOAD_DISPATCH: frozenset({"setpoint", "delta"}),
    SignalName.ELECTRICITY_PRICE: frozenset({"price", "priceRelative", "priceMultiplier"}),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class IntervalSpec(_Model):
    duration_s: int = Field(gt=0, le=7 * 86400, description="interval length in s")
    value: float = Field(description="level 0-3, power in W, or price in EUR/kWh (per signal)")


class SignalSpec(_Model):
    name: SignalName
    type: str
    signal_id: Ident = Field(default_factory=lambda: uuid.uuid4().hex)
    intervals: list[IntervalSpec] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _check(self) -> SignalSpec:
        allowed = SIGNAL_TYPES[self.name]
        if self.type not in allowed:
            raise ValueError(
                f"signal {self.name.value} needs type in {sorted(allowed)}, got {self.type!r}"
            )
        if self.name is SignalName.SIMPLE:
            for i, iv in enumerate(self.intervals):
                if iv.value not in (0, 1, 2, 3):
                    raise ValueError(f"SIMPLE level must be 0..3, interval {i} has {iv.value}")
        return self


class TargetSpec(_Model):
    ven_ids: list[Ident] = Field(default_factory=list, max_length=100_000)
    group_ids: list[Ident] = Field(default_factory=list, max_length=1000)
    resource_ids: list[Ident] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _not_empty(self) -> TargetSpec:
        if not (self.ven_ids or self.group_ids or self.resource_ids):
            raise ValueError("an event needs at least one target (venID, groupID or resourceID)")
        return self


class EventSpec(_Model):
    """What the aggregator asks for. Times are UTC; durations in whole s (2.0b has no fractions)."""

    event_id: Ident = Field(default_factory=lambda: uuid.uuid4().hex)
    market_context: str = Field("http://flexcoop.energy/markets/dr", min_length=1, max_length=512)
    priority: int = Field(0, ge=0, le=2**31 - 1)
    start: UtcDatetime
    duration_s: int = Field(gt=0, le=7 * 86400)
    signals: list[SignalSpec] = Field(min_length=1, max_length=20)
    targets: TargetSpec
    ramp_up_s: int | None = Field(None, ge=0, le=86400)
    recovery_s: int | None = Field(None, ge=0, le=86400)
    # Randomisation: each VEN starts at a random offset in [0, start_after_s).
    start_after_s: int | None = Field(None, ge=0, le=86400)
    notification_s: int | None = Field(None, ge=0, le=7 * 86400)
    response_required: bool = True
    test_event: bool = False
    vtn_comment: str | None = Field(None, max_length=512)

    @model_validator(mode="after")
    def _intervals_fill_period(self) -> EventSpec:
        for sig in self.signals:
            total = sum(iv.duration_s for iv in sig.intervals)
            if total != self.duration_s:
                raise ValueError(
                    f"signal {sig.signal_id}: intervals last {total} s but the event lasts "
                    f"{self.duration_s} s"
                )
        ids = [s.signal_id for s in self.signals]
        if len(set(ids)) != len(ids):
            raise ValueError("signal_id values must be unique within an event")
        return self

    @property
    def end(self) -> datetime:
        """End of the event including recovery and the randomisation window."""
        extra = (self.recovery_s or 0) + (self.start_after_s or 0)
        return self.start + timedelta(seconds=self.duration_s + extra)

    def status_at(self, now: datetime, cancelled: bool) -> str:
        if cancelled:
            return "cancelled"
        if now >= self.start + timedelta(seconds=self.duration_s + (self.start_after_s or 0)):
            return "completed"
        if now >= self.start:
            return "active"
        if now >= self.start - timedelta(seconds=self.ramp_up_s or 0) - NEAR_WINDOW:
            return "near"
        return "far"
