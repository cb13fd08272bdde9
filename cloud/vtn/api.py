"""REST for the aggregator: ``/api/v1/events`` (create, modify, cancel, responses) and VEN groups.

Modification numbers are the ETags of events: ``If-Match`` on PUT/DELETE turns a change based
on a stale read into 412 instead of a lost update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.cloud.vtn.errors import ConflictError, NotFoundError, StaleModificationError
from flexcoop.cloud.vtn.events import EventSpec, Ident
from flexcoop.cloud.vtn.eventstore import StoredEvent
from flexcoop.cloud.vtn.service import VTN_KEY, VtnService
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
from flexcoop.units import utcnow

EVENTS_READ = "events:read"
EVENTS_WRITE = "events:write"

routes = RouteTable(tags=("events",))


class EventPath(BaseModel):
    event_id: Ident


class VenPath(BaseModel):
    ven_id: Ident


class EventOut(BaseModel):
    event_id: str
    modification_number: int
    status: str = Field(description="far | near | active | completed | cancelled (now)")
    created: datetime
    modified: datetime
    spec: EventSpec


class EventPage(Page[EventOut]):
    pass


class EventListQuery(PageQuery):
    include_ended: bool = False


class EventResponseOut(BaseModel):
    ven_id: str
    modification_number: int
    opt_type: str
    response_code: int
    request_id: str | None
    received: datetime


class EventResponses(BaseModel):
    items: list[EventResponseOut]


class Groups(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_ids: list[Ident] = Field(max_length=100)


def _vtn(call: Call) -> VtnService:
    return call.request.app[VTN_KEY]


def _out(ev: StoredEvent) -> EventOut:
    return EventOut(
        event_id=ev.event_id,
        modification_number=ev.modification_number,
        status=ev.status(utcnow()),
        created=ev.created,
        modified=ev.modified,
        spec=ev.spec,
    )


def _reply(ev: StoredEvent, status: int | None = None) -> Reply:
    return Reply(body=_out(ev), status=status, etag=make_etag(ev.modification_number))


def _expected(call: Call) -> int | None:
    """The modification number named by If-Match (None: no precondition)."""
    tags = call.if_match
    if tags is None or "*" in tags:
        return None
    numbers = {int(t.strip('"')) for t in tags if t.strip('"').isdigit()}
    if len(numbers) != 1:
        raise ApiError(412, "precondition failed", [("header.If-Match", "not an event ETag")])
    return numbers.pop()


def _mapped(exc: Exception) -> ApiError:
    if isinstance(exc, NotFoundError):
        return ApiError(404, "not found", [("path", str(exc))])
    if isinstance(exc, StaleModificationError):
        return ApiError(412, "precondition failed", [("header.If-Match", str(exc))])
    return ApiError(409, "conflict", [("path.event_id", str(exc))])


@routes.post(
    "/events",
    body=EventSpec,
    response=EventOut,
    status=201,
    etag=True,
    errors=(409,),
    access=Access((EVENTS_WRITE,)),
)
async def create_event(call: Call) -> Reply:
    """Create a DR event for its targets; each targeted VEN gets it on its next poll."""
    try:
        return _reply(await _vtn(call).create_event(call.body), 201)
    except ConflictError as exc:
        raise _mapped(exc) from None


@routes.get("/events", query=EventListQuery, response=EventPage, access=Access((EVENTS_READ,)))
async def list_events(call: Call) -> EventPage:
    """Events by id; ended ones only with include_ended."""
    q: EventListQuery = call.query
    after = None if q.cursor is None else decode_cursor(q.cursor)
    if after is not None and not isinstance(after, str):
        raise ApiError(400, "invalid cursor", [("query.cursor", "not a cursor of this list")])
    items = await _vtn(call).events.list_events(
        include_ended=q.include_ended, after=after, limit=q.limit + 1
    )
    return paginate(EventPage, [_out(e) for e in items], q.limit, lambda e: e.event_id)


@routes.get(
    "/events/{event_id}",
    path_model=EventPath,
    response=EventOut,
    etag=True,
    errors=(404,),
    access=Access((EVENTS_READ,)),
)
async def get_event(call: Call) -> Reply:
    """One event; its ETag is the modification number."""
    try:
        return _reply(await _vtn(call).events.get(call.path.event_id))
    except NotFoundError as exc:
        raise _mapped(exc) from None


@routes.put(
    "/events/{event_id}",
    path_model=EventPath,
    body=EventSpec,
    response=EventOut,
    etag=True,
    if_match="optional",
    errors=(404, 409),
    access=Access((EVENTS_WRITE,)),
)
async def modify_event(call: Call) -> Reply:
    """Replace an event's definition (modification number + 1)."""
    try:
        ev = await _vtn(call).modify_event(
            call.path.event_id, call.body, if_modification_number=_expected(call)
        )
    except (ConflictError, NotFoundError) as exc:
        raise _mapped(exc) from None
    return _reply(ev)


@routes.delete(
    "/events/{event_id}",
    path_model=EventPath,
    response=EventOut,
    etag=True,
    if_match="optional",
    errors=(404, 409),
    access=Access((EVENTS_WRITE,)),
)
async def cancel_event(call: Call) -> Reply:
    """Cancel an event (modification number + 1); VENs see status cancelled until its end."""
    try:
        ev = await _vtn(call).cancel_event(
            call.path.event_id, if_modification_number=_expected(call)
        )
    except (ConflictError, NotFoundError) as exc:
        raise _mapped(exc) from None
    return _reply(ev)


@routes.get(
    "/events/{event_id}/responses",
    path_model=EventPath,
    response=EventResponses,
    errors=(404,),
    access=Access((EVENTS_READ,)),
)
async def event_responses(call: Call) -> EventResponses:
    """Opt-ins and opt-outs the VENs sent for this event, oldest first."""
    try:
        rows: list[dict[str, Any]] = await _vtn(call).events.responses(call.path.event_id)
    except NotFoundError as exc:
        raise _mapped(exc) from None
    return EventResponses(items=[EventResponseOut(**r) for r in rows])


@routes.put(
    "/vens/{ven_id}/groups",
    path_model=VenPath,
    body=Groups,
    status=204,
    errors=(404,),
    access=Access((EVENTS_WRITE,)),
)
async def set_groups(call: Call) -> None:
    """Replace a VEN's groups (what groupID targets reach)."""
    try:
        await _vtn(call).set_groups(call.path.ven_id, call.body.group_ids)
    except NotFoundError as exc:
        raise _mapped(exc) from None
