"""EiRegisterParty: query, create (and re-create), cancel registrations; VTN-initiated requests.

venIDs: with ``open_registration`` off a VEN must present a TLS client certificate and its
OpenADR fingerprint *is* its venID. With it on (labs), the VTN assigns a fresh venID to a VEN
that does not bring a known one; a certificate presented anyway is still bound to the venID.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flexcoop.cloud.vtn.directory import bump_generation
from flexcoop.cloud.vtn.errors import NotFoundError, VtnError
from flexcoop.cloud.vtn.eventstore import bump_vens
from flexcoop.cloud.vtn.shared import (
    Peer,
    VtnDeps,
    authenticate,
    check_certificate,
    check_length,
    enqueue,
)
from flexcoop.cloud.vtn.tables import ID_LEN, QueueRow, VenGroupRow, VenRow
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode
from flexcoop.units import utcnow

log = get_logger(__name__)

UNKNOWN_CELL = "unknown"


def _created(
    deps: VtnDeps, request_id: str, row: Any | None, code: int = 200, description: str = "OK"
) -> m.OadrCreatedPartyRegistration:
    return m.OadrCreatedPartyRegistration(
        response=m.EiResponse(
            response_code=code, response_description=description, request_id=request_id
        ),
        registration_id=row.registration_id if row is not None else None,
        ven_id=row.ven_id if row is not None else None,
        vtn_id=deps.settings.vtn_id,
        profiles=[
            m.Profile(profile_name=m.ProfileName.B, transports=[m.TransportName.SIMPLE_HTTP])
        ],
        poll_freq=timedelta(seconds=round(deps.settings.poll_freq_s)),
    )


async def _row(conn: AsyncConnection, ven_id: str) -> Any | None:
    return (await conn.execute(select(VenRow).where(VenRow.ven_id == ven_id))).first()


async def query_registration(
    deps: VtnDeps, msg: m.OadrQueryRegistration, peer: Peer
) -> m.OadrCreatedPartyRegistration:
    """VTN capabilities; plus the VEN's current registration when its certificate names one."""
    row = None
    if peer.cert_fingerprint is not None:
        async with deps.engine.connect() as conn:
            row = await _row(conn, peer.cert_fingerprint)
        if row is not None and row.registration_id is None:
            row = None
    return _created(deps, msg.request_id, row)


def _check_capabilities(msg: m.OadrCreatePartyRegistration) -> None:
    check_length(msg.ven_name, ID_LEN, "venName")
    check_length(msg.transport_address, 512, "transportAddress")
    if msg.profile_name != m.ProfileName.B:
        raise VtnError(m.ResponseCode.NOT_ALLOWED, "this VTN speaks OpenADR profile 2.0b only")
    if msg.transport_name != m.TransportName.SIMPLE_HTTP:
        raise VtnError(m.ResponseCode.NOT_ALLOWED, "transport simpleHttp only")
    if msg.http_pull_model is False:
        raise VtnError(m.ResponseCode.NOT_ALLOWED, "push is not offered: poll (httpPullModel)")
    if msg.xml_signature:
        raise VtnError(m.ResponseCode.NOT_ALLOWED, "XML signatures are not supported; use TLS")


async def create_party_registration(
    deps: VtnDeps, msg: m.OadrCreatePartyRegistration, peer: Peer
) -> m.OadrCreatedPartyRegistration:
    _check_capabilities(msg)
    now = utcnow()
    async with deps.write() as conn:
        if deps.settings.open_registration:
            existing = await _row(conn, msg.ven_id) if msg.ven_id else None
            ven_id = existing.ven_id if existing is not None else m.new_id()
        else:
            if peer.cert_fingerprint is None:
                raise VtnError(
                    m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
                    "registration requires a TLS client certificate",
                )
            ven_id = peer.cert_fingerprint
            if msg.ven_id and msg.ven_id != ven_id:
                raise VtnError(
                    m.ResponseCode.INVALID_ID, "venID must be the client certificate fingerprint"
                )
            existing = await _row(conn, ven_id)
        if existing is not None:
            check_certificate(existing.cert_fingerprint, peer)
            if (
                msg.registration_id
                and existing.registration_id
                and msg.registration_id != existing.registration_id
            ):
                raise VtnError(m.ResponseCode.INVALID_ID, "registrationID does not match")
        values: dict[str, Any] = {
            "registration_id": m.new_id(),
            "ven_name": msg.ven_name or ven_id,
            "profile": msg.profile_name.value,
            "transport": msg.transport_name.value,
            "transport_address": msg.transport_address,
            "http_pull_model": True,
            "report_only": msg.report_only,
            "xml_signature": msg.xml_signature,
            "poll_freq_s": deps.settings.poll_freq_s,
            "cert_fingerprint": peer.cert_fingerprint,
            "updated_at": now,
            "pending": True,
        }
        if existing is None:
            await conn.execute(
                insert(VenRow).values(
                    ven_id=ven_id, registered_at=now, event_seq=1, event_seq_delivered=0, **values
                )
            )
        else:
            # A (re-)registered VEN gets its current events on its next poll.
            await conn.execute(
                update(VenRow)
                .where(VenRow.ven_id == ven_id)
                .values(event_seq=VenRow.event_seq + 1, **values)
            )
        await bump_generation(conn)
        row = await _row(conn, ven_id)
    deps.directory.forget(ven_id)
    deps.directory.mark_pending([ven_id])
    if await deps.registry.get(ven_id) is None:
        # The VEN's site is one DER of the registry (its devices are described by its reports);
        # where it is stays unknown until the aggregator's commissioning data says so.
        await deps.registry.register(
            ven_id,
            ven_id=ven_id,
            der_type="other",
            location_cell=UNKNOWN_CELL,
            capabilities={"openadr": "2.0b", "report_only": msg.report_only},
        )
    await deps.registry.log(ven_id, "ven_registered", {"ven_name": values["ven_name"]})
    event(log, "vtn_ven_registered", ven_id=ven_id, reregistration=existing is not None)
    return _created(deps, msg.request_id, row)


async def _unregister(conn: AsyncConnection, ven_id: str) -> None:
    await conn.execute(
        update(VenRow)
        .where(VenRow.ven_id == ven_id)
        .values(registration_id=None, pending=False, updated_at=utcnow())
    )
    await conn.execute(delete(QueueRow).where(QueueRow.ven_id == ven_id))
    await bump_generation(conn)


async def cancel_party_registration(
    deps: VtnDeps, msg: m.OadrCancelPartyRegistration, peer: Peer
) -> m.OadrCanceledPartyRegistration:
    async with deps.write() as conn:
        row = await authenticate(conn, msg.ven_id, peer)
        if msg.registration_id != row.registration_id:
            raise VtnError(m.ResponseCode.INVALID_ID, "registrationID does not match")
        await _unregister(conn, row.ven_id)
    deps.directory.forget(row.ven_id)
    await deps.registry.log(row.ven_id, "ven_unregistered", {"by": "ven"})
    return m.OadrCanceledPartyRegistration(
        response=m.EiResponse(request_id=msg.request_id),
        registration_id=msg.registration_id,
        ven_id=row.ven_id,
    )


async def canceled_party_registration(
    deps: VtnDeps, msg: m.OadrCanceledPartyRegistration, peer: Peer
) -> m.OadrResponse:
    """The VEN confirms a cancellation we queued: its registration ends now."""
    async with deps.write() as conn:
        row = await authenticate(conn, msg.ven_id, peer)
        if msg.registration_id and msg.registration_id != row.registration_id:
            raise VtnError(m.ResponseCode.INVALID_ID, "registrationID does not match")
        await _unregister(conn, row.ven_id)
    deps.directory.forget(row.ven_id)
    await deps.registry.log(row.ven_id, "ven_unregistered", {"by": "vtn"})
    return m.OadrResponse(
        response=m.EiResponse(request_id=msg.response.request_id), ven_id=row.ven_id
    )


async def _registered(conn: AsyncConnection, ven_id: str) -> Any:
    row = await _row(conn, ven_id)
    if row is None or row.registration_id is None:
        raise NotFoundError(f"no registered VEN {ven_id!r}")
    return row


async def request_reregistration(deps: VtnDeps, ven_id: str) -> None:
    """Queue oadrRequestReregistration for the VEN's next poll."""
    async with deps.write() as conn:
        await _registered(conn, ven_id)
        payload = encode(m.OadrRequestReregistration(ven_id=ven_id))
        await enqueue(conn, ven_id, m.OadrRequestReregistration.message_type, payload)
    deps.directory.mark_pending([ven_id])


async def request_cancel_registration(deps: VtnDeps, ven_id: str) -> None:
    """Queue oadrCancelPartyRegistration; the registration ends when the VEN confirms."""
    async with deps.write() as conn:
        row = await _registered(conn, ven_id)
        payload = encode(
            m.OadrCancelPartyRegistration(registration_id=row.registration_id, ven_id=ven_id)
        )
        await enqueue(conn, ven_id, m.OadrCancelPartyRegistration.message_type, payload)
    deps.directory.mark_pending([ven_id])


async def set_groups(deps: VtnDeps, ven_id: str, group_ids: list[str]) -> None:
    """Replace the VEN's group memberships (groupID targets of events)."""
    async with deps.write() as conn:
        if await _row(conn, ven_id) is None:
            raise NotFoundError(f"no VEN {ven_id!r}")
        await conn.execute(delete(VenGroupRow).where(VenGroupRow.ven_id == ven_id))
        if group_ids:
            await conn.execute(
                insert(VenGroupRow), [{"ven_id": ven_id, "group_id": g} for g in set(group_ids)]
            )
        # Its set of targeted events may have changed.
        await bump_vens(conn, [ven_id])
    deps.directory.mark_pending([ven_id])
