"""The VTN as one object: message dispatch for the HTTP layer and the aggregator's Python API.

Lifecycle: ``await vtn.start()`` (loads the poll directory, starts its watcher) and
``await vtn.stop()``; or ``async with VtnService(...) as vtn``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Self

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.vtn import opts as opt_handlers
from flexcoop.cloud.vtn import registration as registration_handlers
from flexcoop.cloud.vtn import reports as report_handlers
from flexcoop.cloud.vtn.directory import VenDirectory
from flexcoop.cloud.vtn.errors import DuplicateRequestError, VtnError
from flexcoop.cloud.vtn.events import EventSpec
from flexcoop.cloud.vtn.eventstore import EventBook, StoredEvent
from flexcoop.cloud.vtn.polls import next_message
from flexcoop.cloud.vtn.settings import VtnSettings
from flexcoop.cloud.vtn.shared import Peer, Registry, TimeSeries, VtnDeps, check_certificate
from flexcoop.cloud.vtn.tables import VenRow
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode

# Which payloads each simpleHttp service endpoint accepts.
SERVICES: dict[str, frozenset[str]] = {
    "EiRegisterParty": frozenset(
        {
            "oadrQueryRegistration",
            "oadrCreatePartyRegistration",
            "oadrCancelPartyRegistration",
            "oadrCanceledPartyRegistration",
            "oadrResponse",
        }
    ),
    "EiEvent": frozenset({"oadrRequestEvent", "oadrCreatedEvent"}),
    "EiReport": frozenset(
        {
            "oadrRegisterReport",
            "oadrCreatedReport",
            "oadrUpdateReport",
            "oadrCanceledReport",
            "oadrRegisteredReport",
            "oadrResponse",
        }
    ),
    "EiOpt": frozenset({"oadrCreateOpt", "oadrCancelOpt"}),
    "OadrPoll": frozenset({"oadrPoll"}),
}


def error_reply(msg: m.OadrMessage, code: int, description: str, vtn_id: str) -> m.OadrMessage:
    """The answer a refused message gets: its own response type, carrying the error code."""
    request_id = getattr(msg, "request_id", None)
    if request_id is None and isinstance(getattr(msg, "response", None), m.EiResponse):
        request_id = msg.response.request_id
    response = m.EiResponse(
        response_code=code, response_description=description[:256], request_id=request_id or ""
    )
    ven_id = getattr(msg, "ven_id", None)
    match msg:
        case m.OadrQueryRegistration() | m.OadrCreatePartyRegistration():
            return m.OadrCreatedPartyRegistration(response=response, vtn_id=vtn_id)
        case m.OadrCancelPartyRegistration():
            return m.OadrCanceledPartyRegistration(
                response=response, registration_id=msg.registration_id, ven_id=ven_id
            )
        case m.OadrRequestEvent():
            return m.OadrDistributeEvent(response=response, vtn_id=vtn_id)
        case m.OadrRegisterReport():
            return m.OadrRegisteredReport(response=response, ven_id=ven_id)
        case m.OadrUpdateReport():
            return m.OadrUpdatedReport(response=response, ven_id=ven_id)
        case m.OadrCreateOpt():
            return m.OadrCreatedOpt(response=response, opt_id=msg.opt_id)
        case m.OadrCancelOpt():
            return m.OadrCanceledOpt(response=response, opt_id=msg.opt_id)
    return m.OadrResponse(response=response, ven_id=ven_id)


class VtnService:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: VtnSettings,
        registry: Registry,
        timeseries: TimeSeries,
    ) -> None:
        directory = VenDirectory(
            engine,
            registry,
            check_s=settings.generation_check_s,
            flush_s=settings.keepalive_flush_s,
        )
        self.deps = VtnDeps(engine, settings, directory, registry, timeseries)
        self.events = EventBook(self.deps)
        d = self.deps
        self._handlers: dict[type[Any], Callable[[Any, Peer], Awaitable[m.OadrMessage]]] = {
            m.OadrQueryRegistration: partial(registration_handlers.query_registration, d),
            m.OadrCreatePartyRegistration: partial(
                registration_handlers.create_party_registration, d
            ),
            m.OadrCancelPartyRegistration: partial(
                registration_handlers.cancel_party_registration, d
            ),
            m.OadrCanceledPartyRegistration: partial(
                registration_handlers.canceled_party_registration, d
            ),
            m.OadrRequestEvent: self.events.request_event,
            m.OadrCreatedEvent: self.events.created_event,
            m.OadrRegisterReport: partial(report_handlers.register_report, d),
            m.OadrCreatedReport: partial(report_handlers.created_report, d),
            m.OadrUpdateReport: partial(report_handlers.update_report, d),
            m.OadrCanceledReport: partial(report_handlers.canceled_report, d),
            m.OadrCreateOpt: partial(opt_handlers.create_opt, d),
            m.OadrCancelOpt: partial(opt_handlers.cancel_opt, d),
            m.OadrRegisteredReport: self._acknowledge,
            m.OadrResponse: self._acknowledge,
        }

    @property
    def settings(self) -> VtnSettings:
        return self.deps.settings

    @property
    def directory(self) -> VenDirectory:
        return self.deps.directory

    async def start(self) -> None:
        await self.deps.directory.start()

    async def stop(self) -> None:
        await self.deps.directory.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- VEN messages

    async def handle(self, msg: m.OadrMessage, peer: Peer) -> bytes:
        """Answer one decoded message; a refusal is an eiResponse error, never an exception."""
        try:
            if isinstance(msg, m.OadrPoll):
                return await self.poll(msg.ven_id, peer)
            handler = self._handlers.get(type(msg))
            if handler is None:
                raise VtnError(
                    m.ResponseCode.NOT_RECOGNIZED, f"{msg.message_type} is not sent to a VTN"
                )
            reply = await handler(msg, peer)
        except VtnError as exc:
            reply = error_reply(msg, exc.code, exc.description, self.settings.vtn_id)
        except DuplicateRequestError:
            reply = error_reply(
                msg, m.ResponseCode.OK, "already received; applied once", self.settings.vtn_id
            )
        return encode(reply)

    async def _acknowledge(self, msg: Any, peer: Peer) -> m.OadrMessage:
        """Plain acknowledgements from a VEN (e.g. to oadrRequestReregistration)."""
        async with self.deps.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(VenRow.registration_id, VenRow.cert_fingerprint).where(
                        VenRow.ven_id == msg.ven_id
                    )
                )
            ).first()
        if row is None or row.registration_id is None:
            raise VtnError(m.ResponseCode.INVALID_ID, f"unknown venID {msg.ven_id!r}")
        check_certificate(row.cert_fingerprint, peer)
        self.deps.directory.seen(msg.ven_id)
        return m.OadrResponse(
            response=m.EiResponse(request_id=msg.response.request_id), ven_id=msg.ven_id
        )

    async def poll(self, ven_id: str, peer: Peer) -> bytes:
        """The oadrPoll answer; from memory unless something is waiting for this VEN."""
        directory = self.deps.directory
        known = directory.known.get(ven_id) or await directory.lookup(ven_id)
        if known is None:
            return encode(
                m.OadrResponse(
                    response=m.EiResponse(
                        response_code=m.ResponseCode.INVALID_ID,
                        response_description="unknown venID: register first",
                    ),
                    ven_id=ven_id,
                )
            )
        if known.cert_fingerprint is not None and known.cert_fingerprint != peer.cert_fingerprint:
            return encode(
                m.OadrResponse(
                    response=m.EiResponse(
                        response_code=m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
                        response_description="client certificate does not match the venID",
                    ),
                    ven_id=ven_id,
                )
            )
        directory.seen(ven_id)
        if ven_id in directory.pending:
            payload = await next_message(self.deps, self.events, ven_id)
            if payload is not None:
                return payload
        return encode(m.OadrResponse(ven_id=ven_id))

    # -- aggregator API

    async def create_event(self, spec: EventSpec) -> StoredEvent:
        return await self.events.create(spec)

    async def modify_event(
        self, event_id: str, spec: EventSpec, *, if_modification_number: int | None = None
    ) -> StoredEvent:
        return await self.events.modify(
            event_id, spec, if_modification_number=if_modification_number
        )

    async def cancel_event(
        self, event_id: str, *, if_modification_number: int | None = None
    ) -> StoredEvent:
        return await self.events.cancel(event_id, if_modification_number=if_modification_number)

    async def set_groups(self, ven_id: str, group_ids: list[str]) -> None:
        await registration_handlers.set_groups(self.deps, ven_id, group_ids)

    async def request_reregistration(self, ven_id: str) -> None:
        await registration_handlers.request_reregistration(self.deps, ven_id)

    async def cancel_registration(self, ven_id: str) -> None:
        await registration_handlers.request_cancel_registration(self.deps, ven_id)

    async def request_report(
        self,
        ven_id: str,
        report_specifier_id: str,
        *,
        r_ids: list[str] | None = None,
        granularity_s: int | None = None,
        report_back_s: int | None = None,
    ) -> str:
        """Queue an oadrCreateReport for a capability the VEN registered; its reportRequestID."""
        return await report_handlers.request_report(
            self.deps,
            ven_id,
            report_specifier_id,
            r_ids=r_ids,
            granularity_s=granularity_s,
            report_back_s=report_back_s,
        )

    async def cancel_report(self, ven_id: str, report_request_id: str) -> None:
        await report_handlers.cancel_report(self.deps, ven_id, report_request_id)

    async def opts(self, ven_id: str, *, include_cancelled: bool = False) -> list[Any]:
        return await opt_handlers.opts_of(self.deps, ven_id, include_cancelled=include_cancelled)

    async def registration(self, ven_id: str) -> Any | None:
        async with self.deps.engine.connect() as conn:
            return (await conn.execute(select(VenRow).where(VenRow.ven_id == ven_id))).first()


VTN_KEY = web.AppKey("flexcoop_vtn", VtnService)
