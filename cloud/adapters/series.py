"""Typed series returned by every feed adapter: tz-aware UTC, units in the field names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from flexcoop.units import ensure_utc


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeatherPoint(_Frozen):
    """Forecast at ``ts``. Temperature and cloud cover are instantaneous; GHI is the mean of the
    preceding hour (Open-Meteo's convention for radiation)."""

    ts: AwareDatetime
    temperature_c: float = Field(ge=-90, le=60)
    ghi_w_m2: float = Field(ge=0, le=1500)
    cloud_cover_pct: float = Field(ge=0, le=100)

    @field_validator("ts")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return ensure_utc(v)


class PricePoint(_Frozen):
    """Day-ahead price of the interval ``[start, start + resolution)``."""

    start: AwareDatetime
    price_eur_per_kwh: float

    @field_validator("start")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return ensure_utc(v)


class _Series(_Frozen):
    feed: str
    fetched_at: AwareDatetime
    # True when the feed failed and this is the last value we had (older than the cache TTL).
    stale: bool = False
    points: tuple[BaseModel, ...]


class WeatherSeries(_Series):
    latitude: float
    longitude: float
    points: tuple[WeatherPoint, ...]


class PriceSeries(_Series):
    zone: str
    resolution_s: int = Field(gt=0)
    points: tuple[PricePoint, ...]


def local_day(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC window ``[start, end)`` of a local calendar day: 23 or 25 hours on DST days."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)
