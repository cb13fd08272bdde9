"""The terms of a flexibility contract: one immutable, schema-validated version per proposal.

Power is stored in W (``max_up_w``: the home can raise consumption / lower generation by this
much, ``max_down_w``: the opposite), prices in EUR, notice in s. Availability is given in the
prosumer's local time (weekday + time range + IANA time zone) because that is how people think
about when their heat pump may be used; conversion to UTC happens when events are planned.
"""

from __future__ import annotations

import itertools
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_POWER_W = 100_000_000  # 100 MW: far above any member plant, catches kW/W mix-ups in MW
HHMM_PATTERN = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"


class Weekday(StrEnum):
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
    max_up_w: float = Field(ge=0, le=MAX_POWER_W, description="upward flexibility, W")
    max_down_w: float = Field(ge=0, le=MAX_POWER_W, description="downward flexibility, W")
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
