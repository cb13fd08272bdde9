"""VTN settings: identity, poll frequency, limits, report defaults (all durations in s)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VtnSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vtn_id: str = Field("FLEXCOOP_VTN", min_length=1, max_length=128)
    # Without a client certificate any VEN may register (labs only, see ARCHITECTURE.md §5).
    open_registration: bool = False
    poll_freq_s: float = Field(10.0, gt=0, le=86400)
    max_body_bytes: int = Field(1_000_000, gt=0)
    # Cross-worker staleness bound: each worker re-reads the change generation this often.
    generation_check_s: float = Field(0.1, gt=0, le=10)
    # Keep-alives are buffered and handed to the registry in one batch this often.
    keepalive_flush_s: float = Field(1.0, gt=0, le=60)
    telemetry_granularity_s: float = Field(60.0, gt=0)
    telemetry_report_back_s: float = Field(300.0, gt=0)
    flex_offer_report_back_s: float = Field(86400.0, gt=0)
