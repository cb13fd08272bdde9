"""Time-series boundary models: telemetry points in, samples and flexibility offers out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass

from flexcoop.cloud.registry.models import ID_PATTERN
from flexcoop.units import UnitError, ensure_utc, parse_unit

SERIES_PATTERN = r"^[a-z][a-z0-9_.]{0,63}$"
MAX_OFFER_INTERVALS = 4 * 48  # a 24 h offer plus slack for one sent early


@dataclass(frozen=True, config=ConfigDict(extra="forbid", allow_inf_nan=False))
class TelemetryPoint:
    """One reported value; ``unit`` in any accepted spelling (kW is stored as W)."""

    der_id: Annotated[str, Field(pattern=ID_PATTERN)]
    series: Annotated[str, Field(pattern=SERIES_PATTERN, description="e.g. power, energy, soc")]
    ts: AwareDatetime
    value: float
    unit: Annotated[str, Field(max_length=16)]

    @field_validator("ts")
    @classmethod
    def _utc(cls, ts: datetime) -> datetime:
        return ensure_utc(ts)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        try:
            parse_unit(unit)
        except UnitError as exc:
            raise ValueError(str(exc).split(" (known")[0]) from None
        return unit


class Resolution(StrEnum):
    RAW = "raw"
    QUARTER_HOUR = "15min"


class IngestResult(BaseModel):
    received: int
    stored: int = Field(description="new samples")
    duplicates: int = Field(description="samples already stored (re-delivered reports)")


class Sample(BaseModel):
    """A raw sample (n = 1) or a 15-minute aggregate (value = mean of n samples)."""

    der_id: str
    series: str
    ts: datetime = Field(description="sample time, or start of the 15-minute interval")
    value: float
    min: float
    max: float
    n: int
    unit: str


class FlexInterval(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    start: AwareDatetime = Field(description="start of a 15-minute interval, aligned to the hour")
    up_w: float = Field(ge=0, le=1e9, description="power the DER can add (or shed load) in W")
    down_w: float = Field(ge=0, le=1e9, description="power the DER can reduce (or absorb) in W")


class FlexOffer(BaseModel):
    id: int
    der_id: str
    created: datetime
    intervals: list[FlexInterval]


class PortfolioInterval(BaseModel):
    start: datetime
    up_w: float
    down_w: float
    ders: int = Field(description="DERs whose latest offer covers this interval")
