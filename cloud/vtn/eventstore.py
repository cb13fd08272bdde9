"""Events: storage, fan-out to the VENs' poll queues, the wire form per VEN, and VEN responses.

Fan-out marks every targeted VEN pending (``event_seq`` + 1); the VEN's next poll then gets an
oadrDistributeEvent with *all* its current events, as 2.0b requires. A modification or a
cancellation increments the modification number and reaches both the old and the new targets
(a VEN that is no longer targeted learns it by the event's absence).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flexcoop.cloud.vtn.directory import bump_generation, bump_state
from flexcoop.cloud.vtn.errors import (
    ConflictError,
    NotFoundError,
    StaleModificationError,
    VtnError,
)
from flexcoop.cloud.vtn.events import EventSpec, SignalName, SignalSpec, TargetSpec
from flexcoop.cloud.vtn.shared import (
    Peer,
    VtnDeps,
    authenticate,
    check_length,
    claim_request_id,
)
from flexcoop.cloud.vtn.tables import (
    ID_LEN,
    EventResponseRow,
    EventRow,
    VenGroupRow,
    VenResourceRow,
    VenRow,
)
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

log = get_logger(__name__)

# Event columns without the spec (which may list thousands of target venIDs).
HEAD = (
    EventRow.event_id,
    EventRow.modification_number,
    EventRow.cancelled,
    EventRow.created,
    EventRow.modified,
)

# Built once: run for every pending poll.
EVENTS_VERSION = "events"
_ACTIVE_HEADS = (
    select(*HEAD, EventRow.end)
    .where(EventRow.end > bindparam("now", type_=EventRow.end.type))
    .order_by(EventRow.start, EventRow.event_id)
)

# Bound the IN (...) lists: SQLite and asyncpg both cap the number of bound parameters.
CHUNK = 5000


@dataclass(frozen=True)
class StoredEvent:
    spec: EventSpec
    modification_number: int
    cancelled: bool
    created: datetime
    modified: datetime
    ven_ids: frozenset[str] = field(repr=False)
    group_ids: frozenset[str] = field(repr=False)
    resource_ids: frozenset[str] = field(repr=False)

    @classmethod
    def build(
        cls,
        spec: EventSpec,
        modification_number: int,
        cancelled: bool,
        created: datetime,
        modified: datetime,
    ) -> StoredEvent:
        t = spec.targets
        return cls(
            spec,
            modification_number,
            cancelled,
            created,
            modified,
            frozenset(t.ven_ids),
            frozenset(t.group_ids),
            frozenset(t.resource_ids),
        )

    @property
    def event_id(self) -> str:
        return self.spec.event_id

    def status(self, now: datetime) -> str:
        return self.spec.status_at(now, self.cancelled)

    def targets_ven(self, ven_id: str, groups: frozenset[str], resources: frozenset[str]) -> bool:
        return (
            ven_id in self.ven_ids
            or not self.group_ids.isdisjoint(groups)
            or not self.resource_ids.isdisjoint(resources)
        )

    def to_wire(
        self, ven_id: str, groups: frozenset[str], resources: frozenset[str], now: datetime
    ) -> m.Event:
        """The event as this VEN sees it: targets cut down to what concerns this VEN."""
        spec = self.spec
        status = self.status(now)
        return m.Event(
            descriptor=m.EventDescriptor(
                event_id=spec.event_id,
                modification_number=self.modification_number,
                modification_date=self.modified,
                priority=spec.priority,
                market_context=spec.market_context,
                created_date_time=self.created,
                event_status=m.EventStatus(status),
                test_event=spec.test_event,
                vtn_comment=spec.vtn_comment,
            ),
            active_period=m.ActivePeriod(
                start=spec.start,
                duration=timedelta(seconds=spec.duration_s),
                start_after=_secs(spec.start_after_s),
                notification=_secs(spec.notification_s),
                ramp_up=_secs(spec.ramp_up_s),
                recovery=_secs(spec.recovery_s),
            ),
            signals=[_signal(sig, spec.start, now, status) for sig in spec.signals],
            targets=m.Target(
                ven_ids=[ven_id] if ven_id in self.ven_ids else [],
                group_ids=sorted(self.group_ids & groups),
                resource_ids=sorted(self.resource_ids & resources),
            ),
            response_required=(
                m.ResponseRequired.ALWAYS if spec.response_required else m.ResponseRequired.NEVER
            ),
        )


def _secs(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def _item_base(sig: SignalSpec) -> m.ItemBase | None:
    if sig.name is SignalName.LOAD_DISPATCH:
        return m.ItemBase.power_real()
    if sig.name is SignalName.ELECTRICITY_PRICE and sig.type == "price":
        return m.ItemBase.currency("EUR", per="kWh")
    return None


def _signal(sig: SignalSpec, start: datetime, now: datetime, status: str) -> m.EventSignal:
    current = 0.0
    if status == "active":
        t = start
        for iv in sig.intervals:
            t += timedelta(seconds=iv.duration_s)
            if now < t:
                current = iv.value
                break
    return m.EventSignal(
        signal_name=sig.name.value,
        signal_type=m.SignalType(sig.type),
        signal_id=sig.signal_id,
        intervals=[
            m.Interval(uid=str(i), duration=timedelta(seconds=iv.duration_s), value=iv.value)
            for i, iv in enumerate(sig.intervals)
        ],
        item_base=_item_base(sig),
        current_value=current,
    )


# ----------------------------------------------------------------------------- fan-out


_SCOPE = union_all(
    select(literal("g").label("kind"), VenGroupRow.group_id.label("id")).where(
        VenGroupRow.ven_id == bindparam("ven")
    ),
    select(literal("r"), VenResourceRow.resource_id).where(
        VenResourceRow.ven_id == bindparam("ven")
    ),
)


async def ven_scope(conn: AsyncConnection, ven_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The VEN's groups and resources: what groupID/resourceID targets can match."""
    groups: set[str] = set()
    resources: set[str] = set()
    for kind, ident in await conn.execute(_SCOPE, {"ven": ven_id}):
        (groups if kind == "g" else resources).add(ident)
    return frozenset(groups), frozenset(resources)


async def resolve_targets(conn: AsyncConnection, targets: TargetSpec) -> set[str]:
    """Registered VENs an event's targets reach (venIDs, group members, resource owners)."""
    found: set[str] = set()
    ven_ids = list(dict.fromkeys(targets.ven_ids))
    for i in range(0, len(ven_ids), CHUNK):
        chunk = ven_ids[i : i + CHUNK]
        rows = await conn.execute(
            select(VenRow.ven_id).where(
                VenRow.ven_id.in_(chunk), VenRow.registration_id.is_not(None)
            )
        )
        found.update(rows.scalars())
    if targets.group_ids:
        rows = await conn.execute(
            select(VenGroupRow.ven_id).where(VenGroupRow.group_id.in_(targets.group_ids))
        )
        found.update(rows.scalars())
    if targets.resource_ids:
        rows = await conn.execute(
            select(VenResourceRow.ven_id).where(
                VenResourceRow.resource_id.in_(targets.resource_ids)
            )
        )
        found.update(rows.scalars())
    return found


async def bump_vens(conn: AsyncConnection, ven_ids: Iterable[str]) -> None:
    """Mark VENs pending: their next poll gets their current events."""
    ids = list(ven_ids)
    for i in range(0, len(ids), CHUNK):
        await conn.execute(
            update(VenRow)
            .where(VenRow.ven_id.in_(ids[i : i + CHUNK]))
            .values(event_seq=VenRow.event_seq + 1, pending=True)
        )
    await bump_generation(conn)


# ----------------------------------------------------------------------------- the book


class EventBook:
    """Event storage and per-VEN views. Parsed specs are cached by (event, modification)."""

    def __init__(self, deps: VtnDeps) -> None:
        self._deps = deps
        self._parsed: dict[tuple[str, int], StoredEvent] = {}
        # Not-yet-ended event heads as of an events version (vtn_state[EVENTS_VERSION]).
        self._heads: tuple[int, list[Any]] | None = None

    def _stored(self, row: Any) -> StoredEvent:
        key = (row.event_id, row.modification_number)
        hit = self._parsed.get(key)
        if hit is None or hit.cancelled != row.cancelled:
            hit = StoredEvent.build(
                EventSpec.model_validate(row.spec),
                row.modification_number,
                row.cancelled,
                row.created,
                row.modified,
            )
            if len(self._parsed) > 10_000:
                self._parsed.clear()
            self._parsed[key] = hit
        return hit

    async def _load(self, conn: AsyncConnection, head: Any) -> StoredEvent:
        """The event for a row without its spec: the (possibly large) spec JSON is read and
        parsed once per modification, not on every poll."""
        hit = self._parsed.get((head.event_id, head.modification_number))
        if hit is not None and hit.cancelled == head.cancelled:
            return hit
        row = (
            await conn.execute(select(EventRow).where(EventRow.event_id == head.event_id))
        ).first()
        return self._stored(row)

    async def _fan_out(self, conn: AsyncConnection, *target_sets: TargetSpec) -> set[str]:
        """Mark the targeted VENs pending; called by every change of an event."""
        await bump_state(conn, EVENTS_VERSION)
        self._heads = None
        vens: set[str] = set()
        for targets in target_sets:
            vens |= await resolve_targets(conn, targets)
        await bump_vens(conn, vens)
        return vens

    # -- aggregator side (service API)

    async def create(self, spec: EventSpec) -> StoredEvent:
        now = utcnow()
        async with self._deps.write() as conn:
            exists = await conn.execute(
                select(EventRow.event_id).where(EventRow.event_id == spec.event_id)
            )
            if exists.first() is not None:
                raise ConflictError(f"event {spec.event_id!r} already exists")
            await conn.execute(
                insert(EventRow).values(
                    event_id=spec.event_id,
                    modification_number=0,
                    start=spec.start,
                    end=spec.end,
                    cancelled=False,
                    created=now,
                    modified=now,
                    spec=spec.model_dump(mode="json"),
                )
            )
            vens = await self._fan_out(conn, spec.targets)
        self._deps.directory.mark_pending(vens)
        event(log, "vtn_event_created", event_id=spec.event_id, vens=len(vens))
        return StoredEvent.build(spec, 0, False, now, now)

    async def _current(self, conn: AsyncConnection, event_id: str) -> Any:
        row = (await conn.execute(select(EventRow).where(EventRow.event_id == event_id))).first()
        if row is None:
            raise NotFoundError(f"no event {event_id!r}")
        return row

    @staticmethod
    def _guard(row: Any, if_modification_number: int | None) -> None:
        if row.cancelled:
            raise ConflictError(f"event {row.event_id!r} is cancelled")
        if if_modification_number is not None and if_modification_number != row.modification_number:
            raise StaleModificationError(
                f"event {row.event_id!r} is at modification {row.modification_number}, "
                f"not {if_modification_number}"
            )

    async def modify(
        self, event_id: str, spec: EventSpec, *, if_modification_number: int | None = None
    ) -> StoredEvent:
        if spec.event_id != event_id:
            spec = spec.model_copy(update={"event_id": event_id})
        now = utcnow()
        async with self._deps.write() as conn:
            row = await self._current(conn, event_id)
            self._guard(row, if_modification_number)
            old = EventSpec.model_validate(row.spec)
            number = row.modification_number + 1
            await conn.execute(
                update(EventRow)
                .where(EventRow.event_id == event_id)
                .values(
                    modification_number=number,
                    start=spec.start,
                    end=spec.end,
                    modified=now,
                    spec=spec.model_dump(mode="json"),
                )
            )
            vens = await self._fan_out(conn, old.targets, spec.targets)
        self._deps.directory.mark_pending(vens)
        event(log, "vtn_event_modified", event_id=event_id, modification_number=number)
        return StoredEvent.build(spec, number, False, row.created, now)

    async def cancel(
        self, event_id: str, *, if_modification_number: int | None = None
    ) -> StoredEvent:
        now = utcnow()
        async with self._deps.write() as conn:
            row = await self._current(conn, event_id)
            self._guard(row, if_modification_number)
            spec = EventSpec.model_validate(row.spec)
            number = row.modification_number + 1
            await conn.execute(
                update(EventRow)
                .where(EventRow.event_id == event_id)
                .values(modification_number=number, cancelled=True, modified=now)
            )
            vens = await self._fan_out(conn, spec.targets)
        self._deps.directory.mark_pending(vens)
        event(log, "vtn_event_cancelled", event_id=event_id, modification_number=number)
        return StoredEvent.build(spec, number, True, row.created, now)

    async def get(self, event_id: str) -> StoredEvent:
        async with self._deps.engine.connect() as conn:
            return self._stored(await self._current(conn, event_id))

    async def list_events(
        self, *, include_ended: bool = False, after: str | None = None, limit: int = 1000
    ) -> list[StoredEvent]:
        """Events by id (a stable order for paging), without ended ones unless asked."""
        query = select(EventRow).order_by(EventRow.event_id).limit(limit)
        if not include_ended:
            query = query.where(EventRow.end > utcnow())
        if after is not None:
            query = query.where(EventRow.event_id > after)
        async with self._deps.engine.connect() as conn:
            return [self._stored(row) for row in await conn.execute(query)]

    async def responses(self, event_id: str) -> list[dict[str, Any]]:
        """Every opt-in/out received for the event, oldest first."""
        query = (
            select(EventResponseRow)
            .where(EventResponseRow.event_id == event_id)
            .order_by(EventResponseRow.id)
        )
        async with self._deps.engine.connect() as conn:
            await self._current(conn, event_id)
            rows = (await conn.execute(query)).all()
        return [
            {
                "ven_id": r.ven_id,
                "modification_number": r.modification_number,
                "opt_type": r.opt_type,
                "response_code": r.response_code,
                "request_id": r.request_id,
                "received": r.received,
            }
            for r in rows
        ]

    # -- VEN side

    async def _active_heads(
        self, conn: AsyncConnection, now: datetime, events_version: int | None
    ) -> list[Any]:
        """Heads of not-yet-ended events; reused while the events version read by the caller
        (in the same statement as the VEN's event sequence) is the one they were loaded at."""
        cached = self._heads
        if events_version is None or cached is None or cached[0] != events_version:
            heads = list((await conn.execute(_ACTIVE_HEADS, {"now": now})).all())
            if events_version is not None:
                self._heads = (events_version, heads)
            return heads
        return [h for h in cached[1] if h.end > now]

    async def for_ven(
        self,
        conn: AsyncConnection,
        ven_id: str,
        now: datetime,
        events_version: int | None = None,
    ) -> list[m.Event]:
        """All of the VEN's not-yet-ended events (cancelled ones until their end), in start order."""
        groups, resources = await ven_scope(conn, ven_id)
        heads = await self._active_heads(conn, now, events_version)
        events = []
        for head in heads:
            stored = await self._load(conn, head)
            if stored.targets_ven(ven_id, groups, resources):
                events.append(stored.to_wire(ven_id, groups, resources, now))
        return events

    async def request_event(self, msg: m.OadrRequestEvent, peer: Peer) -> m.OadrDistributeEvent:
        now = utcnow()
        async with self._deps.write() as conn:
            ven = await authenticate(conn, msg.ven_id, peer)
            events = await self.for_ven(conn, ven.ven_id, now)
            if msg.reply_limit:
                events = events[: msg.reply_limit]
            await conn.execute(
                update(VenRow)
                .where(VenRow.ven_id == ven.ven_id)
                .values(event_seq_delivered=ven.event_seq)
            )
        self._deps.directory.seen(ven.ven_id)
        return m.OadrDistributeEvent(
            response=m.EiResponse(request_id=msg.request_id),
            vtn_id=self._deps.settings.vtn_id,
            events=events,
        )

    async def created_event(self, msg: m.OadrCreatedEvent, peer: Peer) -> m.OadrResponse:
        """Record opt-in/out per event and modification number; all or nothing."""
        now = utcnow()
        request_id = msg.response.request_id
        async with self._deps.write() as conn:
            ven = await authenticate(conn, msg.ven_id, peer)
            if request_id:
                await claim_request_id(conn, ven.ven_id, request_id, msg)
            groups, resources = await ven_scope(conn, ven.ven_id)
            rows = []
            for resp in msg.event_responses:
                check_length(resp.request_id, ID_LEN, "requestID")
                head = (
                    await conn.execute(select(*HEAD).where(EventRow.event_id == resp.event_id))
                ).first()
                check_response_target(head, resp.event_id, resp.modification_number)
                stored = await self._load(conn, head)
                if not stored.targets_ven(ven.ven_id, groups, resources):
                    raise VtnError(
                        m.ResponseCode.TARGET_MISMATCH,
                        f"event {resp.event_id!r} does not target this VEN",
                    )
                rows.append(
                    {
                        "event_id": resp.event_id,
                        "modification_number": resp.modification_number,
                        "ven_id": ven.ven_id,
                        "opt_type": resp.opt_type.value,
                        "response_code": resp.response_code,
                        "request_id": resp.request_id or request_id or None,
                        "received": now,
                    }
                )
            if rows:
                await conn.execute(insert(EventResponseRow), rows)
        self._deps.directory.seen(ven.ven_id)
        for r in rows:
            kind = "event_opt_in" if r["opt_type"] == m.OptType.OPT_IN else "event_opt_out"
            await self._deps.registry.log(
                ven.ven_id,
                kind,
                {"event_id": r["event_id"], "modification_number": r["modification_number"]},
            )
        return m.OadrResponse(response=m.EiResponse(request_id=request_id), ven_id=ven.ven_id)


def check_response_target(row: Any, event_id: str, modification_number: int) -> None:
    """A VEN's answer about an event must name a known event at its current modification."""
    if row is None:
        raise VtnError(m.ResponseCode.INVALID_ID, f"unknown eventID {event_id!r}")
    if modification_number < row.modification_number:
        raise VtnError(
            m.ResponseCode.OUT_OF_SEQUENCE,
            f"event {event_id!r}: modification {modification_number} is stale "
            f"(current {row.modification_number})",
        )
    if modification_number > row.modification_number:
        raise VtnError(
            m.ResponseCode.INVALID_ID,
            f"event {event_id!r} has no modification {modification_number}",
        )
