"""EiOpt: availability schedules and event opt-outs/ins from VENs (oadrCreateOpt/oadrCancelOpt)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from flexcoop.cloud.vtn.errors import VtnError
from flexcoop.cloud.vtn.eventstore import HEAD, check_response_target
from flexcoop.cloud.vtn.shared import (
    Peer,
    VtnDeps,
    authenticate,
    check_length,
    claim_request_id,
)
from flexcoop.cloud.vtn.tables import ID_LEN, EventRow, OptRow
from flexcoop.openadr import messages as m


async def create_opt(deps: VtnDeps, msg: m.OadrCreateOpt, peer: Peer) -> m.OadrCreatedOpt:
    check_length(msg.opt_id, ID_LEN, "optID")
    check_length(msg.opt_reason, 64, "optReason")
    check_length(msg.market_context, 512, "marketContext")
    async with deps.write() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        await claim_request_id(conn, ven.ven_id, msg.request_id, msg)
        if msg.event_id is not None:
            row = (
                await conn.execute(select(*HEAD).where(EventRow.event_id == msg.event_id))
            ).first()
            check_response_target(row, msg.event_id, msg.modification_number or 0)
        elif not msg.vavailability:
            raise VtnError(
                m.ResponseCode.INVALID_DATA, "an opt needs an eventID or vavailability windows"
            )
        exists = await conn.execute(select(OptRow.opt_id).where(OptRow.opt_id == msg.opt_id))
        if exists.first() is not None:
            raise VtnError(m.ResponseCode.INVALID_ID, f"optID {msg.opt_id!r} already exists")
        await conn.execute(
            insert(OptRow).values(
                opt_id=msg.opt_id,
                ven_id=ven.ven_id,
                opt_type=msg.opt_type.value,
                opt_reason=msg.opt_reason,
                market_context=msg.market_context,
                event_id=msg.event_id,
                modification_number=msg.modification_number,
                availability=[
                    {"start": w.start.isoformat(), "duration_s": w.duration.total_seconds()}
                    for w in msg.vavailability or []
                ],
                targets=msg.targets.model_dump(mode="json"),
                created=msg.created_date_time,
                cancelled=False,
            )
        )
    deps.directory.seen(ven.ven_id)
    data: dict[str, Any] = {"opt_id": msg.opt_id, "opt_type": msg.opt_type.value}
    if msg.event_id is not None:
        data |= {"event_id": msg.event_id, "modification_number": msg.modification_number}
        kind = "event_opt_out" if msg.opt_type is m.OptType.OPT_OUT else "event_opt_in"
    else:
        kind = "availability_" + ("in" if msg.opt_type is m.OptType.OPT_IN else "out")
    await deps.registry.log(ven.ven_id, kind, data)
    return m.OadrCreatedOpt(response=m.EiResponse(request_id=msg.request_id), opt_id=msg.opt_id)


async def cancel_opt(deps: VtnDeps, msg: m.OadrCancelOpt, peer: Peer) -> m.OadrCanceledOpt:
    async with deps.write() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        await claim_request_id(conn, ven.ven_id, msg.request_id, msg)
        result = await conn.execute(
            update(OptRow)
            .where(OptRow.opt_id == msg.opt_id, OptRow.ven_id == ven.ven_id, ~OptRow.cancelled)
            .values(cancelled=True)
        )
        if result.rowcount != 1:
            raise VtnError(m.ResponseCode.INVALID_ID, f"no active opt {msg.opt_id!r} of this VEN")
    deps.directory.seen(ven.ven_id)
    await deps.registry.log(ven.ven_id, "opt_cancelled", {"opt_id": msg.opt_id})
    return m.OadrCanceledOpt(response=m.EiResponse(request_id=msg.request_id), opt_id=msg.opt_id)


async def opts_of(deps: VtnDeps, ven_id: str, *, include_cancelled: bool = False) -> list[Any]:
    """The VEN's opt schedules and event opts, oldest first (rows with the OptRow columns)."""
    query = select(OptRow).where(OptRow.ven_id == ven_id).order_by(OptRow.created)
    if not include_cancelled:
        query = query.where(~OptRow.cancelled)
    async with deps.engine.connect() as conn:
        return list((await conn.execute(query)).all())
