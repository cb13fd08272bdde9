"""Registry boundary models: what the service takes and returns, and the REST API shows."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Pseudonymous ids only (ARCHITECTURE.md §1): printable, no spaces, bounded.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
CELL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MAX_CAPABILITIES_BYTES = 16_384


class DerPath(BaseModel):
    """Path parameters of every ``/ders/{der_id}…`` route."""

    der_id: str = Field(pattern=ID_PATTERN)


class DerType(StrEnum):
    PV = "pv"
    BATTERY = "battery"
    HEAT_PUMP = "heat_pump"
    EV_CHARGER = "ev_charger"
    DHW = "dhw"
    HVAC = "hvac"
    CHP = "chp"
    METER = "meter"
    LOAD = "load"
    OTHER = "other"


class DerStatus(StrEnum):
    ONLINE = "online"
    TIMED_OUT = "timed_out"


def _bounded_capabilities(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value)) > MAX_CAPABILITIES_BYTES:
        raise ValueError(f"at most {MAX_CAPABILITIES_BYTES} bytes of JSON")
    return value


class DerRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    der_id: str = Field(pattern=ID_PATTERN, description="pseudonymous DER id")
    ven_id: str = Field(pattern=ID_PATTERN)
    der_type: DerType
    location_cell: str = Field(
        pattern=CELL_PATTERN, description="coarse location: postcode area or grid node"
    )
    capabilities: dict[str, Any] = Field(
        default_factory=dict, description="e.g. max_up_w, max_down_w, energy_wh"
    )
    contract_id: str | None = Field(None, pattern=ID_PATTERN)

    @field_validator("capabilities")
    @classmethod
    def _caps(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _bounded_capabilities(value)


class DerUpdate(BaseModel):
    """The fields of a registration that may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    # Absent means unchanged (read with exclude_unset); an explicit null is refused, as these
    # cannot be removed, unlike contract_id, where null unlinks the contract.
    location_cell: str = Field(None, pattern=CELL_PATTERN)  # type: ignore[assignment]
    capabilities: dict[str, Any] = Field(None)  # type: ignore[arg-type]
    contract_id: str | None = Field(None, pattern=ID_PATTERN, description="null unlinks")

    @field_validator("capabilities")
    @classmethod
    def _caps(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _bounded_capabilities(value)


class Der(BaseModel):
    der_id: str
    ven_id: str
    der_type: DerType
    location_cell: str
    capabilities: dict[str, Any]
    contract_id: str | None
    status: DerStatus
    registered_at: datetime
    last_seen: datetime
    version: int = Field(description="changes with every change of the registration (ETag)")


class DerEvent(BaseModel):
    id: int
    der_id: str
    ts: datetime
    kind: str
    data: dict[str, Any]
