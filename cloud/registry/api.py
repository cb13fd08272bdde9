"""REST resources of the DER registry: ``/api/v1/ders``, ``/ders/{der_id}``, ``/ders/{der_id}/events``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from flexcoop.cloud.api.scopes import REGISTRY_READ, REGISTRY_WRITE, der_access
from flexcoop.cloud.app import CONTEXT, CloudContext
from flexcoop.cloud.registry.models import (
    ID_PATTERN,
    KIND_PATTERN,
    Der,
    DerEvent,
    DerPath,
    DerRegistration,
    DerStatus,
    DerType,
    DerUpdate,
)
from flexcoop.cloud.registry.service import DerExists, RegistryService, UnknownDer, VersionConflict
from flexcoop.httpapi import (
    Access,
    ApiError,
    Call,
    Page,
    PageQuery,
    Reply,
    RouteTable,
    decode_cursor,
    make_etag,
    paginate,
)

routes = RouteTable(tags=("registry",))


class DerListQuery(PageQuery):
    status: DerStatus | None = None
    der_type: DerType | None = None
    area: str | None = Field(
        None, pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="location cell prefix"
    )
    ven_id: str | None = Field(None, pattern=ID_PATTERN)
    contract_id: str | None = Field(None, pattern=ID_PATTERN)


class EventQuery(PageQuery):
    kind: str | None = Field(None, pattern=KIND_PATTERN)


class DerEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=KIND_PATTERN, description="e.g. event_received, opted_out")
    data: dict[str, Any] = Field(default_factory=dict)
    ts: AwareDatetime | None = Field(None, description="when it happened (default: now)")


class DerPage(Page[Der]):
    pass


class DerEventPage(Page[DerEvent]):
    pass


def _registry(call: Call) -> RegistryService:
    ctx: CloudContext = call.request.app[CONTEXT]
    return ctx.registry


def _reply(der: Der, status: int | None = None) -> Reply:
    return Reply(body=der, status=status, etag=make_etag(der.version))


@routes.get("/ders", query=DerListQuery, response=DerPage, access=Access((REGISTRY_READ,)))
async def list_ders(call: Call) -> DerPage:
    """List DERs by status, type, area (location-cell prefix), VEN or contract."""
    q: DerListQuery = call.query
    items = await _registry(call).find(
        status=q.status,
        der_type=q.der_type,
        area=q.area,
        ven_id=q.ven_id,
        contract_id=q.contract_id,
        only=call.principal.der_ids,
        after=decode_cursor(q.cursor, str),
        limit=q.limit + 1,
    )
    return paginate(DerPage, items, q.limit, lambda d: d.der_id)


@routes.post(
    "/ders",
    body=DerRegistration,
    response=Der,
    status=201,
    etag=True,
    errors=(409,),
    access=Access((REGISTRY_WRITE,)),
)
async def register_der(call: Call) -> Reply:
    """Register a DER."""
    reg: DerRegistration = call.body
    if not call.principal.may_access_der(reg.der_id):
        raise ApiError(403, "forbidden", [("body.der_id", "not yours")])
    try:
        der = await _registry(call).register(reg.der_id, **reg.model_dump(exclude={"der_id"}))
    except DerExists as exc:
        raise ApiError(409, "conflict", [("body.der_id", str(exc))]) from None
    return _reply(der, 201)


async def _existing(call: Call) -> Der:
    der = await _registry(call).get(call.path.der_id)
    if der is None:
        raise ApiError(404, "not found", [("path.der_id", "no such DER")])
    return der


@routes.get(
    "/ders/{der_id}",
    path_model=DerPath,
    response=Der,
    etag=True,
    errors=(404,),
    access=der_access(REGISTRY_READ),
)
async def get_der(call: Call) -> Reply:
    """One DER with its status and last keep-alive."""
    return _reply(await _existing(call))


@routes.patch(
    "/ders/{der_id}",
    path_model=DerPath,
    body=DerUpdate,
    response=Der,
    etag=True,
    if_match="required",
    errors=(404,),
    access=der_access(REGISTRY_WRITE),
)
async def update_der(call: Call) -> Reply:
    """Change location cell, capabilities or contract; needs the ETag you read (If-Match)."""
    tags = call.if_match or frozenset()
    versions = {int(t.strip('"')) for t in tags if t.strip('"').isdigit()}
    if "*" not in tags and len(versions) != 1:
        raise ApiError(412, "precondition failed", [("header.If-Match", "not an ETag of this DER")])
    try:
        der = await _registry(call).update(
            call.path.der_id, call.body, expected_version=versions.pop() if versions else None
        )
    except UnknownDer:
        raise ApiError(404, "not found", [("path.der_id", "no such DER")]) from None
    except VersionConflict as exc:
        raise ApiError(412, "precondition failed", [("header.If-Match", str(exc))]) from None
    return _reply(der)


@routes.get(
    "/ders/{der_id}/events",
    path_model=DerPath,
    query=EventQuery,
    response=DerEventPage,
    errors=(404,),
    access=der_access(REGISTRY_READ),
)
async def list_der_events(call: Call) -> DerEventPage:
    """The DER's event log, oldest first."""
    await _existing(call)
    q: EventQuery = call.query
    items = await _registry(call).events(
        call.path.der_id, kind=q.kind, after=decode_cursor(q.cursor, int), limit=q.limit + 1
    )
    return paginate(DerEventPage, items, q.limit, lambda e: e.id)


@routes.post(
    "/ders/{der_id}/events",
    path_model=DerPath,
    body=DerEventIn,
    status=204,
    errors=(404,),
    access=der_access(REGISTRY_WRITE),
)
async def append_der_event(call: Call) -> None:
    """Append an entry to the DER's event log (the log is append-only)."""
    body: DerEventIn = call.body
    ts: datetime | None = body.ts
    try:
        await _registry(call).log(call.path.der_id, body.kind, body.data, ts)
    except UnknownDer:
        raise ApiError(404, "not found", [("path.der_id", "no such DER")]) from None


def setup(app: web.Application, ctx: CloudContext) -> None:
    ctx.api.include(routes)
