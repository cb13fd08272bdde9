"""REST resources of the time series: ``/api/v1/timeseries`` (bulk query and ingest) and
flexibility offers (``/api/v1/flex-offers``, ``/api/v1/flex-offers/portfolio``,
``/api/v1/ders/{der_id}/flex-offers``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from flexcoop.cloud.api.scopes import TIMESERIES_READ, TIMESERIES_WRITE, der_access
from flexcoop.cloud.app import CONTEXT, CloudContext
from flexcoop.cloud.auth.tokens import Principal
from flexcoop.cloud.registry.models import ID_PATTERN, DerPath
from flexcoop.cloud.timeseries.models import (
    MAX_OFFER_INTERVALS,
    SERIES_PATTERN,
    FlexInterval,
    FlexOffer,
    IngestResult,
    PortfolioInterval,
    Resolution,
    Sample,
    TelemetryPoint,
)
from flexcoop.cloud.timeseries.service import TimeseriesInputError, TimeseriesService
from flexcoop.httpapi import (
    Access,
    ApiError,
    Call,
    IsoDatetime,
    Page,
    PageQuery,
    Reply,
    RouteTable,
    decode_cursor,
    paginate,
)

routes = RouteTable(tags=("timeseries",))

MAX_INGEST_POINTS = 10_000
MAX_INGEST_BYTES = 4 << 20  # room for MAX_INGEST_POINTS verbose points
MAX_PORTFOLIO_SPAN = timedelta(days=7)
DerId = Annotated[str, Field(pattern=ID_PATTERN)]


class _Window(BaseModel):
    start: IsoDatetime
    end: IsoDatetime

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class TimeseriesQuery(PageQuery, _Window):
    series: str | None = Field(None, pattern=SERIES_PATTERN)
    der_id: list[DerId] | None = Field(None, max_length=100, description="repeat for several")
    resolution: Resolution = Resolution.QUARTER_HOUR


class SamplePage(Page[Sample]):
    pass


class IngestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[TelemetryPoint] = Field(max_length=MAX_INGEST_POINTS)


class FlexOfferQuery(PageQuery):
    der_id: list[DerId] | None = Field(None, max_length=100)
    created_after: IsoDatetime | None = None


class FlexOfferPage(Page[FlexOffer]):
    pass


class FlexOfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created: AwareDatetime
    intervals: list[FlexInterval] = Field(min_length=1, max_length=MAX_OFFER_INTERVALS)


class FlexOfferCreated(BaseModel):
    id: int


class PortfolioQuery(_Window):
    model_config = ConfigDict(extra="forbid")

    der_id: list[DerId] | None = Field(None, max_length=100)


class PortfolioFlex(BaseModel):
    intervals: list[PortfolioInterval]


def _service(call: Call) -> TimeseriesService:
    ctx: CloudContext = call.request.app[CONTEXT]
    return ctx.timeseries


def _permitted(principal: Principal, der_ids: list[str] | None) -> list[str] | None:
    """The DER filter to apply: the asked-for ids, limited to those the token allows."""
    if principal.der_ids is None:
        return der_ids
    if der_ids is None:
        return sorted(principal.der_ids)
    denied = [d for d in der_ids if d not in principal.der_ids]
    if denied:
        raise ApiError(403, "forbidden", [("query.der_id", f"not yours: {denied[0]}")])
    return der_ids


def _input_error(exc: TimeseriesInputError, prefix: str) -> ApiError:
    return ApiError(422, "invalid request body", [(f"{prefix}.{w}", m) for w, m in exc.problems])


@routes.get(
    "/timeseries", query=TimeseriesQuery, response=SamplePage, access=Access((TIMESERIES_READ,))
)
async def query_timeseries(call: Call) -> SamplePage:
    """Bulk query: raw samples or 15-minute aggregates in [start, end), by DER and series."""
    q: TimeseriesQuery = call.query
    items = await _service(call).query(
        start=q.start,
        end=q.end,
        series=q.series,
        der_ids=_permitted(call.principal, q.der_id),
        resolution=q.resolution,
        after=decode_cursor(q.cursor, tuple[str, str, AwareDatetime]),
        limit=q.limit + 1,
    )
    return paginate(SamplePage, items, q.limit, lambda s: [s.der_id, s.series, s.ts.isoformat()])


@routes.post(
    "/timeseries",
    body=IngestBody,
    response=IngestResult,
    max_body_bytes=MAX_INGEST_BYTES,
    access=Access((TIMESERIES_WRITE,)),
)
async def ingest_timeseries(call: Call) -> IngestResult:
    """Ingest telemetry points (all or nothing; re-sent points are counted as duplicates)."""
    body: IngestBody = call.body
    principal: Principal = call.principal
    for i, p in enumerate(body.points):
        if not principal.may_access_der(p.der_id):
            raise ApiError(403, "forbidden", [(f"body.points[{i}].der_id", "not yours")])
    try:
        return await _service(call).ingest(body.points)
    except TimeseriesInputError as exc:
        raise _input_error(exc, "body") from None


@routes.get(
    "/flex-offers",
    query=FlexOfferQuery,
    response=FlexOfferPage,
    access=Access((TIMESERIES_READ,)),
)
async def list_flex_offers(call: Call) -> FlexOfferPage:
    """Flexibility offers in the order they were stored."""
    q: FlexOfferQuery = call.query
    items = await _service(call).flex_offers(
        der_ids=_permitted(call.principal, q.der_id),
        created_after=q.created_after,
        after_id=decode_cursor(q.cursor, int),
        limit=q.limit + 1,
    )
    return paginate(FlexOfferPage, items, q.limit, lambda o: o.id)


@routes.get(
    "/flex-offers/portfolio",
    query=PortfolioQuery,
    response=PortfolioFlex,
    access=Access((TIMESERIES_READ,)),
)
async def portfolio_flex(call: Call) -> PortfolioFlex:
    """Per 15-minute interval: the sum of the DERs' latest offers (up/down W), at most 7 days."""
    q: PortfolioQuery = call.query
    if q.end - q.start > MAX_PORTFOLIO_SPAN:
        raise ApiError(
            400, "invalid query parameters", [("query.end", "at most 7 days after start")]
        )
    intervals = await _service(call).portfolio_flex(
        start=q.start, end=q.end, der_ids=_permitted(call.principal, q.der_id)
    )
    return PortfolioFlex(intervals=intervals)


@routes.post(
    "/ders/{der_id}/flex-offers",
    path_model=DerPath,
    body=FlexOfferIn,
    response=FlexOfferCreated,
    status=201,
    access=der_access(TIMESERIES_WRITE),
)
async def post_flex_offer(call: Call) -> Reply:
    """Store a DER's flexibility offer (per 15-minute interval: up_w, down_w)."""
    body: FlexOfferIn = call.body
    try:
        offer_id = await _service(call).store_flex_offer(
            call.path.der_id,
            body.created,
            [(iv.start, iv.up_w, iv.down_w) for iv in body.intervals],
        )
    except TimeseriesInputError as exc:
        raise _input_error(exc, "body") from None
    return Reply(body=FlexOfferCreated(id=offer_id))


def setup(app: web.Application, ctx: CloudContext) -> None:
    ctx.api.include(routes)
