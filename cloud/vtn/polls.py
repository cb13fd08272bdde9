"""oadrPoll for a VEN that has something waiting: queued messages first, then its events.

Only VENs in the directory's pending set get here; everybody else is answered from memory.
One message per poll (2.0b pull): the oldest queued VTN-initiated message, else an
oadrDistributeEvent with all of the VEN's current events when they changed since its last
delivery. The pending flag is cleared only if nothing changed meanwhile (conditional update).
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, exists, select, update

from flexcoop.cloud.vtn.eventstore import EVENTS_VERSION, EventBook
from flexcoop.cloud.vtn.shared import VtnDeps
from flexcoop.cloud.vtn.tables import QueueRow, StateRow, VenRow
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode
from flexcoop.units import utcnow

# Built once: the poll path runs them for every pending poll (bound parameters: ven, id, seq…).
_HEAD_OF_QUEUE = (
    select(QueueRow.id)
    .where(QueueRow.ven_id == bindparam("ven"))
    .order_by(QueueRow.id)
    .limit(1)
    .scalar_subquery()
)
_EVENTS_VERSION = select(StateRow.value).where(StateRow.key == EVENTS_VERSION).scalar_subquery()
_VEN = select(
    VenRow.event_seq,
    VenRow.event_seq_delivered,
    _HEAD_OF_QUEUE.label("queued"),
    _EVENTS_VERSION.label("events_version"),
).where(VenRow.ven_id == bindparam("ven"))
_QUEUED = select(QueueRow.id, QueueRow.payload).where(QueueRow.id == bindparam("id"))
_TAKE = delete(QueueRow).where(QueueRow.id == bindparam("id"))
_ACK = (
    update(VenRow)
    .where(
        VenRow.ven_id == bindparam("ven"),
        VenRow.event_seq == bindparam("seq"),
        ~exists().where(QueueRow.ven_id == bindparam("ven")),
    )
    .values(event_seq_delivered=bindparam("delivered"), pending=bindparam("still_pending"))
)
_ACK_DELIVERED = (
    update(VenRow)
    .where(VenRow.ven_id == bindparam("ven"), VenRow.event_seq_delivered < bindparam("delivered"))
    .values(event_seq_delivered=bindparam("delivered"))
)


async def next_message(deps: VtnDeps, book: EventBook, ven_id: str) -> bytes | None:
    """The encoded message for this poll, or None when nothing is waiting after all.

    Reads happen outside the write transaction (SQLite has one writer); the write is
    conditional on what was read, so a concurrent change is never lost: it keeps the VEN
    pending for its next poll."""
    now = utcnow()
    payload: bytes | None = None
    async with deps.engine.connect() as conn:
        ven = (await conn.execute(_VEN, {"ven": ven_id})).first()
        if ven is None:
            return None
        queued = None
        if ven.queued is not None:
            queued = (await conn.execute(_QUEUED, {"id": ven.queued})).first()
        delivered = ven.event_seq_delivered
        events: list[m.Event] | None = None
        if queued is None and ven.event_seq > ven.event_seq_delivered:
            events = await book.for_ven(conn, ven_id, now, ven.events_version)
            payload = encode(m.OadrDistributeEvent(vtn_id=deps.settings.vtn_id, events=events))
            delivered = ven.event_seq
    async with deps.write() as conn:
        if queued is not None:
            taken = await conn.execute(_TAKE, {"id": queued.id})
            # A concurrent poll of the same VEN may have taken it: then this one has nothing.
            payload = queued.payload if taken.rowcount == 1 else None
        result = await conn.execute(
            _ACK,
            {
                "ven": ven_id,
                "seq": ven.event_seq,
                "delivered": delivered,
                "still_pending": delivered < ven.event_seq,
            },
        )
        done = result.rowcount == 1 and delivered == ven.event_seq
        if result.rowcount != 1 and delivered != ven.event_seq_delivered:
            await conn.execute(_ACK_DELIVERED, {"ven": ven_id, "delivered": delivered})
    if done:
        deps.directory.pending.discard(ven_id)
    if events is not None:
        await deps.registry.log(
            ven_id,
            "events_delivered",
            {"events": [[e.event_id, e.modification_number] for e in events]},
        )
    return payload
