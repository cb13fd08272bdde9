"""The VEN's durable state, kept as JSON in the store's key/value state.

One key per concern so a write never rewrites unrelated data: the registration, the known
events, the standing report requests and the opts we sent. Each value is a pydantic model so a
corrupt or foreign value is detected on load (and then ignored with a log line, never crashing
the daemon: the VTN can always re-register us and re-send its requests).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from flexcoop.edge.store import Store
from flexcoop.edge.ven.interfaces import EventState
from flexcoop.logs import event, get_logger
from flexcoop.openadr.messages import OptType

log = get_logger(__name__)

REGISTRATION_KEY = "ven.registration"
EVENTS_KEY = "ven.events"
REPORT_REQUESTS_KEY = "ven.report_requests"
OPTS_KEY = "ven.opts"
CAPABILITIES_KEY = "ven.capabilities"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Registration(_Model):
    ven_id: str
    registration_id: str
    vtn_id: str = ""
    poll_freq_s: float | None = None
    registered_at: AwareDatetime


class EventRecord(_Model):
    event_id: str
    modification_number: int
    vtn_status: str
    start: AwareDatetime
    end: AwareDatetime | None  # None: open-ended (duration 0)
    opt: OptType
    reason: str = ""
    cancelled: bool = False

    def state(self, now: datetime) -> EventState:
        if self.cancelled or self.vtn_status == "cancelled":
            return EventState.CANCELLED
        if self.vtn_status == "completed" or (self.end is not None and now >= self.end):
            return EventState.COMPLETED
        if now >= self.start or self.vtn_status == "active":
            return EventState.ACTIVE
        return EventState.PENDING


class ReportRequestRecord(_Model):
    report_request_id: str
    report_specifier_id: str
    report_name: str
    r_ids: list[str]
    granularity_s: float = Field(gt=0)
    report_back_s: float = Field(gt=0)
    next_due: AwareDatetime
    window_end: AwareDatetime | None = None
    one_shot: bool = False


class OptRecord(_Model):
    opt_id: str
    opt_type: OptType
    reason: str
    created: AwareDatetime
    event_id: str | None = None
    modification_number: int | None = None
    windows: list[tuple[AwareDatetime, float]] = Field(default_factory=list)  # (start, seconds)
    cancelled: bool = False


class Capabilities(_Model):
    digest: str
    ven_id: str


M = TypeVar("M", bound=BaseModel)


class VenState:
    """Typed access to the VEN's keys in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def _load(self, key: str, model: type[M]) -> M | None:
        raw = await self._store.get_state(key)
        if raw is None:
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            event(log, "ven_state_invalid", level=30, key=key, error=str(exc).splitlines()[0])
            return None

    async def _load_map(self, key: str, model: type[M]) -> dict[str, M]:
        raw = await self._store.get_state(key)
        if not isinstance(raw, dict):
            return {}
        out: dict[str, M] = {}
        for k, v in raw.items():
            try:
                out[k] = model.model_validate(v)
            except ValidationError as exc:
                event(log, "ven_state_invalid", level=30, key=f"{key}[{k}]", error=str(exc))
        return out

    async def _save_map(self, key: str, values: dict[str, Any]) -> None:
        await self._store.set_state(key, {k: v.model_dump(mode="json") for k, v in values.items()})

    async def registration(self) -> Registration | None:
        return await self._load(REGISTRATION_KEY, Registration)

    async def set_registration(self, reg: Registration | None) -> None:
        await self._store.set_state(REGISTRATION_KEY, reg.model_dump(mode="json") if reg else None)

    async def capabilities(self) -> Capabilities | None:
        return await self._load(CAPABILITIES_KEY, Capabilities)

    async def set_capabilities(self, caps: Capabilities | None) -> None:
        await self._store.set_state(
            CAPABILITIES_KEY, caps.model_dump(mode="json") if caps else None
        )

    async def events(self) -> dict[str, EventRecord]:
        return await self._load_map(EVENTS_KEY, EventRecord)

    async def set_events(self, events: dict[str, EventRecord]) -> None:
        await self._save_map(EVENTS_KEY, events)

    async def report_requests(self) -> dict[str, ReportRequestRecord]:
        return await self._load_map(REPORT_REQUESTS_KEY, ReportRequestRecord)

    async def set_report_requests(self, requests: dict[str, ReportRequestRecord]) -> None:
        await self._save_map(REPORT_REQUESTS_KEY, requests)

    async def opts(self) -> dict[str, OptRecord]:
        return await self._load_map(OPTS_KEY, OptRecord)

    async def set_opts(self, opts: dict[str, OptRecord]) -> None:
        await self._save_map(OPTS_KEY, opts)
