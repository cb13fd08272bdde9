"""The OSB's local HTTP API (``/api/v1/``, OpenAPI at ``/api/v1/openapi.json``) and app (``/``).

Read side: health, devices and points with latest values, raw and 15-minute history, the event
journal (gaps, rejected writes). Write side: set a point — through the device registry's checks,
so a rejected write answers 422 with the reason and never reaches a driver.

The API listens on the LAN for the commissioning app; authentication of members arrives with the
security work (claim + OIDC), until then bind it to 127.0.0.1 or a trusted LAN only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from flexcoop import __version__
from flexcoop.edge.model import Command, DeviceKind, Point, Quality
from flexcoop.httpapi import Api, ApiError, Call, RouteTable
from flexcoop.units import UnitError, parse_unit, utcnow

if TYPE_CHECKING:
    from flexcoop.edge.runtime import OsbDaemon

DAEMON: web.AppKey[OsbDaemon] = web.AppKey("daemon")
ID = r"^[A-Za-z0-9_.\-]{1,64}$"
MAX_HISTORY_SPAN = timedelta(days=400)

routes = RouteTable(tags=("osb",))


class ReadingOut(BaseModel):
    device: str
    point: str
    value: float
    unit: str
    ts: datetime
    quality: Quality


class PointOut(BaseModel):
    point: Point
    latest: ReadingOut | None = None


class DeviceOut(BaseModel):
    id: str
    driver: str
    kind: DeviceKind
    manufacturer: str
    model: str
    serial: str
    online: bool | None = Field(description="None until the driver has reported liveness")
    status_reason: str = ""
    points: list[PointOut]


class DeviceList(BaseModel):
    items: list[DeviceOut]


class DevicePath(BaseModel):
    device_id: str = Field(pattern=ID)


class PointPath(DevicePath):
    point: str = Field(pattern=ID)


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime | None = Field(None, description="default: end minus 24 h")
    end: AwareDatetime | None = Field(None, description="default: now")
    resolution: Literal["raw", "15min"] = "raw"
    limit: int = Field(10_000, ge=1, le=100_000)


class AggregateOut(BaseModel):
    start: datetime
    count: int
    mean: float
    min: float
    max: float
    last: float
    delta: float | None = Field(None, description="energy in the interval for Wh counters")


class History(BaseModel):
    device: str
    point: str
    unit: str
    resolution: Literal["raw", "15min"]
    readings: list[ReadingOut] = Field(default_factory=list)
    aggregates: list[AggregateOut] = Field(default_factory=list)
    gaps: list[tuple[datetime, datetime]] = Field(
        default_factory=list, description="periods the device was unreachable"
    )


class WriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float = Field(allow_inf_nan=False)
    unit: str = Field(max_length=16, description="any unit convertible to the point's, e.g. kW")


class WriteOut(BaseModel):
    device: str
    point: str
    applied_value: float
    unit: str


class EventsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, pattern=ID)
    device: str | None = Field(None, pattern=ID)
    since: AwareDatetime | None = None
    limit: int = Field(100, ge=1, le=1000)


class EventOut(BaseModel):
    id: int
    ts: datetime
    kind: str
    device: str | None
    data: dict[str, Any]


class EventList(BaseModel):
    items: list[EventOut]


class Health(BaseModel):
    ok: bool
    version: str
    store: dict[str, Any]
    drivers: dict[str, str]
    devices: dict[str, int]
    ven: dict[str, Any] | None


def _daemon(call: Call) -> OsbDaemon:
    return call.request.app[DAEMON]


def _reading(r: Any) -> ReadingOut:
    return ReadingOut(
        device=r.device, point=r.point, value=r.value, unit=r.unit.value, ts=r.ts, quality=r.quality
    )


def _device_out(daemon: OsbDaemon, device_id: str) -> DeviceOut:
    entry = daemon.registry.get(device_id)
    if entry is None:
        raise ApiError(404, "unknown device", [("path.device_id", device_id)])
    info, status = entry.info, entry.status
    points = [
        PointOut(
            point=p,
            latest=(_reading(r) if (r := daemon.registry.latest_value(info.id, n)) else None),
        )
        for n, p in sorted(info.points.items())
    ]
    return DeviceOut(
        id=info.id,
        driver=info.driver,
        kind=info.kind,
        manufacturer=info.manufacturer,
        model=info.model,
        serial=info.serial,
        online=status.online if status else None,
        status_reason=status.reason if status else "",
        points=points,
    )


@routes.get("/health", response=Health)
async def get_health(call: Call) -> Health:
    """Box health: store (disk), drivers, device liveness, VEN."""
    h = _daemon(call).health()
    return Health(version=__version__, **h)


@routes.get("/devices", response=DeviceList)
async def list_devices(call: Call) -> DeviceList:
    """Every configured device with its points and latest values."""
    daemon = _daemon(call)
    return DeviceList(items=[_device_out(daemon, d.id) for d in daemon.registry.devices()])


@routes.get("/devices/{device_id}", path_model=DevicePath, response=DeviceOut, errors=(404,))
async def get_device(call: Call) -> DeviceOut:
    """One device with its points and latest values."""
    return _device_out(_daemon(call), call.path.device_id)


@routes.get(
    "/devices/{device_id}/points/{point}/history",
    path_model=PointPath,
    query=HistoryQuery,
    response=History,
    errors=(404,),
)
async def get_history(call: Call) -> History:
    """Raw readings or 15-minute aggregates of one point, with the gaps in between."""
    daemon, q = _daemon(call), call.query
    entry = daemon.registry.get(call.path.device_id)
    if entry is None:
        raise ApiError(404, "unknown device", [("path.device_id", call.path.device_id)])
    point = entry.info.points.get(call.path.point)
    if point is None:
        raise ApiError(404, "unknown point", [("path.point", call.path.point)])
    end = q.end or utcnow()
    start = q.start or end - timedelta(hours=24)
    if start >= end or end - start > MAX_HISTORY_SPAN:
        raise ApiError(
            400,
            "invalid time range",
            [("query.start", f"must be before end and within {MAX_HISTORY_SPAN.days} d")],
        )
    out = History(
        device=entry.info.id,
        point=point.name,
        unit=point.unit.value,
        resolution=q.resolution,
        gaps=await daemon.store.gaps(entry.info.id, start, end),
    )
    if q.resolution == "raw":
        rows = await daemon.store.history(entry.info.id, point.name, start, end, limit=q.limit)
        out.readings = [_reading(r) for r in rows]
    else:
        aggs = await daemon.store.aggregates(entry.info.id, point.name, start, end)
        out.aggregates = [
            AggregateOut(
                start=a.start,
                count=a.count,
                mean=a.mean,
                min=a.min,
                max=a.max,
                last=a.last,
                delta=a.delta,
            )
            for a in aggs[: q.limit]
        ]
    return out


@routes.post(
    "/devices/{device_id}/points/{point}/write",
    path_model=PointPath,
    body=WriteIn,
    response=WriteOut,
    errors=(404, 422),
)
async def write_point(call: Call) -> WriteOut:
    """Set a point; checked against direction, unit, limits and comfort guards first."""
    daemon, body = _daemon(call), call.body
    entry = daemon.registry.get(call.path.device_id)
    if entry is None:
        raise ApiError(404, "unknown device", [("path.device_id", call.path.device_id)])
    try:
        parse_unit(body.unit)
    except UnitError as exc:
        raise ApiError(422, "write rejected", [("body.unit", str(exc))]) from None
    result = await daemon.registry.write(
        Command(
            device=call.path.device_id,
            point=call.path.point,
            value=body.value,
            unit=body.unit,
            source="local-api",
        )
    )
    if not result.accepted:
        raise ApiError(422, "write rejected", [("body.value", result.reason)])
    point = entry.info.points[call.path.point]
    assert result.applied_value is not None
    return WriteOut(
        device=entry.info.id,
        point=point.name,
        applied_value=result.applied_value,
        unit=point.unit.value,
    )


@routes.get("/events", query=EventsQuery, response=EventList)
async def list_events(call: Call) -> EventList:
    """The box's journal: device offline/online (gaps), rejected writes, alerts."""
    q = call.query
    rows = await _daemon(call).store.events(
        kind=q.kind, device=q.device, since=q.since, limit=q.limit
    )
    return EventList(
        items=[EventOut(id=e.id, ts=e.ts, kind=e.kind, device=e.device, data=e.data) for e in rows]
    )


_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>flexcoop OSB</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
table{{border-collapse:collapse}}td,th{{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}}
.off{{color:#b00}}</style></head><body><h1>flexcoop OSB</h1>
<p>Status: <strong>{status}</strong> · {online}/{configured} devices online ·
<a href="/api/v1/openapi.json">API</a></p>{tables}</body></html>"""


async def index(request: web.Request) -> web.Response:
    from html import escape

    daemon = request.app[DAEMON]
    h = daemon.health()
    parts = []
    for d in daemon.registry.devices():
        status = daemon.registry.status(d.id)
        cls = "" if status and status.online else ' class="off"'
        rows = "".join(
            f"<tr><td>{escape(n)}</td><td>{r.value:.6g}</td><td>{escape(r.unit.value)}</td>"
            f"<td>{r.ts:%H:%M:%S}</td></tr>"
            for n in sorted(d.points)
            if (r := daemon.registry.latest_value(d.id, n))
        )
        parts.append(
            f"<h2{cls}>{escape(d.id)} <small>{escape(d.kind.value)} "
            f"{escape(d.manufacturer)} {escape(d.model)}</small></h2>"
            f"<table><tr><th>point</th><th>value</th><th>unit</th><th>time (UTC)</th></tr>"
            f"{rows}</table>"
        )
    html = _INDEX.format(
        status="ok" if h["ok"] else "degraded",
        online=h["devices"]["online"],
        configured=h["devices"]["configured"],
        tables="".join(parts),
    )
    return web.Response(text=html, content_type="text/html")


def create_app(daemon: OsbDaemon) -> web.Application:
    app = web.Application(client_max_size=1 << 20)
    app[DAEMON] = daemon
    api = Api("/api/v1", title="flexcoop OSB local API", version=__version__)
    api.include(routes)
    api.install(app)
    app.router.add_get("/", index)
    return app
