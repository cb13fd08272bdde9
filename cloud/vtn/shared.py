"""What every VTN handler needs: dependencies, peer identity, authentication, replay guard, queue."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flexcoop.cloud.vtn.directory import VenDirectory, bump_generation
from flexcoop.cloud.vtn.errors import DuplicateRequestError, VtnError
from flexcoop.cloud.vtn.settings import VtnSettings
from flexcoop.cloud.vtn.tables import ID_LEN, QueueRow, RequestIdRow, VenRow
from flexcoop.openadr.messages import OadrMessage, ResponseCode
from flexcoop.units import utcnow


class Registry(Protocol):
    """The parts of ``flexcoop.cloud.registry.RegistryService`` the VTN uses."""

    async def register(
        self,
        der_id: str,
        *,
        ven_id: str,
        der_type: str,
        location_cell: str,
        capabilities: dict[str, Any],
        contract_id: str | None = None,
    ) -> Any: ...

    async def get(self, der_id: str) -> Any | None: ...

    async def touch(self, ids: Iterable[str], ts: datetime) -> None: ...

    async def log(self, der_id: str, kind: str, data: dict[str, Any]) -> Any: ...


class TimeSeries(Protocol):
    """The parts of ``flexcoop.cloud.timeseries`` the VTN feeds from reports."""

    async def ingest(self, points: Sequence[Any]) -> Any: ...

    async def store_flex_offer(
        self, der_id: str, created: datetime, intervals: list[tuple[datetime, float, float]]
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class Peer:
    """Who is on the other end of a request: the client certificate's fingerprint, if any."""

    cert_fingerprint: str | None = None


@dataclass
class VtnDeps:
    engine: AsyncEngine
    settings: VtnSettings
    directory: VenDirectory
    registry: Registry
    timeseries: TimeSeries
    _write_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite has one writer: queueing ours here instead of in
        SQLite's busy handler (which sleeps up to 100 ms per retry) keeps polls fast."""
        if self.engine.dialect.name != "sqlite":
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn


async def authenticate(conn: AsyncConnection, ven_id: str | None, peer: Peer) -> Any:
    """The registered VEN row for ``ven_id``; 452 if unknown, 463 if the certificate differs."""
    if not ven_id:
        raise VtnError(ResponseCode.INVALID_ID, "venID missing")
    query = select(VenRow).where(VenRow.ven_id == ven_id)
    row = (await conn.execute(query)).first()
    if row is None or row.registration_id is None:
        raise VtnError(ResponseCode.INVALID_ID, f"unknown venID {ven_id!r}: register first")
    check_certificate(row.cert_fingerprint, peer)
    return row


def check_certificate(registered_fingerprint: str | None, peer: Peer) -> None:
    if registered_fingerprint is not None and registered_fingerprint != peer.cert_fingerprint:
        raise VtnError(
            ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
            "client certificate does not match the registered venID",
        )


def check_length(value: str | None, limit: int, what: str) -> None:
    """Refuse (454) identifiers and texts longer than their column: nothing is truncated."""
    if value is not None and len(value) > limit:
        raise VtnError(ResponseCode.INVALID_DATA, f"{what} longer than {limit} characters")


def message_digest(msg: OadrMessage) -> str:
    """Fingerprint of a message's content, to tell a resend from a different message."""
    return hashlib.sha256(msg.model_dump_json().encode()).hexdigest()


async def check_request_id(
    conn: AsyncConnection, ven_id: str, request_id: str, msg: OadrMessage
) -> str:
    """Whether a VEN's requestID is still free for ``msg``; returns the message digest.

    VENs deliver at least once (ours from a durable outbox), so the exact message arriving
    again is acknowledged without being applied twice (``DuplicateRequestError``, answered 200);
    a *different* message reusing the requestID is refused with 454. Nothing is stored twice."""
    if not request_id:
        raise VtnError(ResponseCode.INVALID_DATA, "requestID missing")
    check_length(request_id, ID_LEN, "requestID")
    digest = message_digest(msg)
    seen = (
        await conn.execute(
            select(RequestIdRow.message_type, RequestIdRow.digest).where(
                RequestIdRow.ven_id == ven_id, RequestIdRow.request_id == request_id
            )
        )
    ).first()
    if seen is not None:
        if seen.message_type == msg.message_type and seen.digest == digest:
            raise DuplicateRequestError(request_id)
        raise VtnError(
            ResponseCode.INVALID_DATA,
            f"duplicate requestID {request_id!r} (already used for {seen.message_type})",
        )
    return digest


async def claim_request_id(
    conn: AsyncConnection, ven_id: str, request_id: str, msg: OadrMessage
) -> None:
    """Claim a requestID for a state-changing message (see ``check_request_id``)."""
    digest = await check_request_id(conn, ven_id, request_id, msg)
    try:
        await conn.execute(
            insert(RequestIdRow).values(
                ven_id=ven_id,
                request_id=request_id,
                message_type=msg.message_type,
                received=utcnow(),
                digest=digest,
            )
        )
    except IntegrityError:  # a concurrent duplicate won the race; the caller's transaction ends
        raise VtnError(ResponseCode.INVALID_DATA, f"duplicate requestID {request_id!r}") from None


async def enqueue(conn: AsyncConnection, ven_id: str, kind: str, payload: bytes) -> None:
    """Queue a VTN-initiated message for the VEN's next poll (committed with the caller)."""
    await conn.execute(
        insert(QueueRow).values(ven_id=ven_id, kind=kind, payload=payload, created=utcnow())
    )
    await conn.execute(update(VenRow).where(VenRow.ven_id == ven_id).values(pending=True))
    await bump_generation(conn)
