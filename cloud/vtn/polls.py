"""oadrPoll for a VEN that has something waiting: queued messages first, then its events.

Only VENs in the directory's pending set get here; everybody else is answered from memory.
One message per poll (2.0b pull): the oldest queued VTN-initiated message, else an
oadrDistributeEvent with all of the VEN's current events when they changed since its last
delivery. The pending flag is cleared only if nothing changed meanwhile (conditional update).
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select, update

from flexcoop.cloud.vtn.eventstore import EventBook
from flexcoop.cloud.vtn.shared import VtnDeps
from flexcoop.cloud.vtn.tables import QueueRow, VenRow
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode
from flexcoop.units import utcnow


async def next_message(deps: VtnDeps, book: EventBook, ven_id: str) -> bytes | None:
    """The encoded message for this poll, or None when nothing is waiting after all."""
    now = utcnow()
    payload: bytes | None = None
    async with deps.write() as conn:
        ven = (
            await conn.execute(
                select(VenRow.event_seq, VenRow.event_seq_delivered).where(VenRow.ven_id == ven_id)
            )
        ).first()
        if ven is None:
            return None
        queued = (
            await conn.execute(
                select(QueueRow.id, QueueRow.payload)
                .where(QueueRow.ven_id == ven_id)
                .order_by(QueueRow.id)
                .limit(1)
            )
        ).first()
        if queued is not None:
            await conn.execute(delete(QueueRow).where(QueueRow.id == queued.id))
            payload = queued.payload
            delivered = ven.event_seq_delivered
        elif ven.event_seq > ven.event_seq_delivered:
            events = await book.for_ven(conn, ven_id, now)
            payload = encode(m.OadrDistributeEvent(vtn_id=deps.settings.vtn_id, events=events))
            delivered = ven.event_seq
        else:
            delivered = ven.event_seq_delivered
        more_queued = exists().where(QueueRow.ven_id == ven_id)
        result = await conn.execute(
            update(VenRow)
            .where(VenRow.ven_id == ven_id, VenRow.event_seq == ven.event_seq, ~more_queued)
            .values(event_seq_delivered=delivered, pending=delivered < ven.event_seq)
        )
        done = result.rowcount == 1 and delivered == ven.event_seq
        if result.rowcount != 1 and delivered != ven.event_seq_delivered:
            await conn.execute(
                update(VenRow).where(VenRow.ven_id == ven_id).values(event_seq_delivered=delivered)
            )
    if done:
        deps.directory.pending.discard(ven_id)
    return payload
