"""The terms of a flexibility contract: one immutable, schema-validated version per proposal.

Power is stored in W, with the balancing-market sign convention: ``max_up_w`` is upward
regulation (the home lowers its consumption or raises its generation by up to this much),
``max_down_w`` downward regulation (the opposite). Prices are in EUR, notice in s.
Availability is given in the prosumer's local time (weekday + time range + IANA time zone)
because that is how people think about when their heat pump may be used;
``Terms.available_intervals`` converts it to UTC when events are planned.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flexcoop.units import ensure_utc

MAX_POWER_W = 100_000_000  # 100 MW: far above any member plant, catches kW/W mix-ups in MW
HHMM_PATTERN = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"


class Weekday(StrEnum):
    """In ``date.weekday()`` order."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def minutes(hhmm: str) -> int:
    """Minutes after local midnight of an ``HH:MM`` that matched HHMM_PATTERN."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


class AvailabilityWindow(_Strict):
    weekday: Weekday
    start: str = Field(
        pattern=HHMM_PATTERN, description="local start time HH:MM", examples=["07:00"]
    )
    end: str = Field(
        pattern=HHMM_PATTERN, description="local end time HH:MM, after start; 24:00 = midnight"
    )

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError(
                f"end {self.end} must be after start {self.start} (split windows at midnight)"
            )
        return self


class Penalties(_Strict):
    non_delivery_eur_per_kwh: float = Field(
        ge=0, le=100, description="charged per kWh requested but not delivered"
    )
    tolerance_pct: float = Field(
        10.0, ge=0, le=100, description="shortfall within this share of the request is free"
    )


class Terms(_Strict):
    max_up_w: float = Field(
        ge=0,
        le=MAX_POWER_W,
        description="upward regulation (less consumption / more generation), W",
    )
    max_down_w: float = Field(
        ge=0,
        le=MAX_POWER_W,
        description="downward regulation (more consumption / less generation), W",
    )
    timezone: str = Field(
        description="IANA zone of the availability windows", examples=["Europe/Madrid"]
    )
    availability: list[AvailabilityWindow] = Field(min_length=1, max_length=7 * 24)
    max_activations_per_month: int = Field(ge=0, le=31 * 24)
    notice_period_s: int = Field(ge=0, le=7 * 86_400, description="minimum notice before an event")
    availability_price_eur_per_kw_month: float = Field(
        ge=0, le=10_000, description="paid per kW of max(up, down) per month of availability"
    )
    activation_price_eur_per_kwh: float = Field(
        ge=0, le=100, description="paid per kWh delivered in activations"
    )
    penalties: Penalties

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name such as Europe/Madrid)"
            ) from None
        return v

    @field_validator("availability")
    @classmethod
    def _no_overlap(cls, windows: list[AvailabilityWindow]) -> list[AvailabilityWindow]:
        by_day: dict[Weekday, list[tuple[int, int]]] = {}
        for w in windows:
            by_day.setdefault(w.weekday, []).append((minutes(w.start), minutes(w.end)))
        for day, spans in by_day.items():
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                if start < end:
                    raise ValueError(f"windows overlap on {day.value}")
        return windows

    @model_validator(mode="after")
    def _some_flexibility(self) -> Terms:
        if self.max_up_w == 0 and self.max_down_w == 0:
            raise ValueError("max_up_w and max_down_w are both 0: nothing to contract")
        return self

    def available_intervals(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The availability windows as merged UTC intervals within ``[start, end)``.

        Local times are wall-clock times in ``timezone``, so a window keeps its local hours
        across DST changes (07:00 is 06:00 UTC in winter and 05:00 UTC in summer in Madrid)
        and a 00:00–24:00 window lasts 23 or 25 hours on DST days."""
        start, end = ensure_utc(start), ensure_utc(end)
        zone = ZoneInfo(self.timezone)
        days = list(Weekday)
        spans: list[tuple[datetime, datetime]] = []
        day: date = start.astimezone(zone).date() - timedelta(days=1)
        while day <= end.astimezone(zone).date():
            midnight = datetime.combine(day, time(0), zone)
            for w in self.availability:
                if days.index(w.weekday) != day.weekday():
                    continue
                # Adding a timedelta to an aware datetime moves the wall clock, as wanted.
                a = (midnight + timedelta(minutes=minutes(w.start))).astimezone(UTC)
                b = (midnight + timedelta(minutes=minutes(w.end))).astimezone(UTC)
                a, b = max(a, start), min(b, end)
                if a < b:
                    spans.append((a, b))
            day += timedelta(days=1)
        merged: list[tuple[datetime, datetime]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether an activation over ``[start, end)`` lies wholly inside availability."""
        intervals = self.available_intervals(start, end)
        return len(intervals) == 1 and intervals[0] == (ensure_utc(start), ensure_utc(end))
