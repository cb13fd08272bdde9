"""EiReport: VEN report capabilities, the VTN's report requests, and report data → time series.

On oadrRegisterReport the VTN answers with requests for what it wants: telemetry usage and
status, and the 24 h flexibility offer (``x-FLEX_OFFER``, docs/openadr-profile.md). Data points
become time-series samples (DER = the VEN's site, series = rID, canonical unit from the
description's item base); flex offers go to ``store_flex_offer`` as per-interval up/down W.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flexcoop.cloud.timeseries.models import TelemetryPoint
from flexcoop.cloud.timeseries.service import TimeseriesInputError
from flexcoop.cloud.vtn.errors import NotFoundError, VtnError
from flexcoop.cloud.vtn.eventstore import bump_vens
from flexcoop.cloud.vtn.shared import (
    Peer,
    VtnDeps,
    authenticate,
    check_length,
    check_request_id,
    claim_request_id,
    enqueue,
)
from flexcoop.cloud.vtn.tables import (
    ID_LEN,
    ReportCapabilityRow,
    ReportRequestRow,
    VenResourceRow,
    VenRow,
)
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode
from flexcoop.units import Unit, UnitError, to_canonical, utcnow

log = get_logger(__name__)

FLEX_OFFER_NAME = "x-FLEX_OFFER"
FLEX_INTERVAL_S = 900
UP = m.ReportType.UP_REGULATION_CAPACITY_AVAILABLE.value
DOWN = m.ReportType.DOWN_REGULATION_CAPACITY_AVAILABLE.value
# Capability report name → what we ask for (data report names drop the METADATA_ prefix).
WANTED = ("METADATA_TELEMETRY_USAGE", "METADATA_TELEMETRY_STATUS", FLEX_OFFER_NAME)
ACTIVE = ("requested", "created")


def _describe(desc: m.ReportDescription) -> dict[str, Any]:
    rate = desc.sampling_rate
    return {
        "r_id": desc.r_id,
        "resource_ids": list(desc.report_data_source.resource_ids)
        if desc.report_data_source
        else [],
        "report_type": desc.report_type,
        "reading_type": desc.reading_type,
        "item_base": desc.item_base.model_dump(mode="json") if desc.item_base else None,
        "min_period_s": rate.min_period.total_seconds() if rate else None,
        "max_period_s": rate.max_period.total_seconds() if rate else None,
    }


def _clip(wanted_s: float, descriptions: list[dict[str, Any]]) -> int:
    lo = max((d["min_period_s"] or 0) for d in descriptions)
    his = [d["max_period_s"] for d in descriptions if d["max_period_s"]]
    hi = min(his) if his else wanted_s
    return int(max(lo, min(wanted_s, hi)))


def _request_for(
    deps: VtnDeps, name: str, specifier_id: str, descriptions: list[dict[str, Any]]
) -> m.ReportRequest:
    s = deps.settings
    if name == FLEX_OFFER_NAME:
        granularity, back = FLEX_INTERVAL_S, int(s.flex_offer_report_back_s)
    else:
        granularity = _clip(s.telemetry_granularity_s, descriptions)
        back = max(granularity, int(s.telemetry_report_back_s))
    return m.ReportRequest(
        specifier=m.ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=timedelta(seconds=granularity),
            report_back_duration=timedelta(seconds=back),
            payloads=[
                m.SpecifierPayload(r_id=d["r_id"], reading_type=d["reading_type"])
                for d in descriptions
            ],
        )
    )


async def _store_requests(
    conn: AsyncConnection, ven_id: str, requests: list[m.ReportRequest], now: datetime
) -> None:
    if requests:
        await conn.execute(
            insert(ReportRequestRow),
            [
                {
                    "report_request_id": r.report_request_id,
                    "ven_id": ven_id,
                    "report_specifier_id": r.specifier.report_specifier_id,
                    "r_ids": [p.r_id for p in r.specifier.payloads],
                    "granularity_s": r.specifier.granularity.total_seconds(),
                    "report_back_s": r.specifier.report_back_duration.total_seconds(),
                    "status": "requested",
                    "created": now,
                }
                for r in requests
            ],
        )


async def register_report(
    deps: VtnDeps, msg: m.OadrRegisterReport, peer: Peer
) -> m.OadrRegisteredReport:
    """Store the VEN's capabilities (replacing earlier ones) and request what we want."""
    now = utcnow()
    specifiers = [r.report_specifier_id for r in msg.reports]
    if len(set(specifiers)) != len(specifiers):
        raise VtnError(m.ResponseCode.INVALID_DATA, "reportSpecifierIDs must be unique")
    for report in msg.reports:
        check_length(report.report_specifier_id, ID_LEN, "reportSpecifierID")
        check_length(report.report_name, 64, "reportName")
        if not report.descriptions:
            raise VtnError(
                m.ResponseCode.INVALID_DATA,
                f"report {report.report_specifier_id!r} has no oadrReportDescription",
            )
    async with deps.write() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        await claim_request_id(conn, ven.ven_id, msg.request_id, msg)
        await conn.execute(
            delete(ReportCapabilityRow).where(ReportCapabilityRow.ven_id == ven.ven_id)
        )
        # Requests for the previous capability set are void.
        await conn.execute(
            update(ReportRequestRow)
            .where(ReportRequestRow.ven_id == ven.ven_id, ReportRequestRow.status.in_(ACTIVE))
            .values(status="cancelled")
        )
        requests: list[m.ReportRequest] = []
        resources: set[str] = set()
        for report in msg.reports:
            descriptions = [_describe(d) for d in report.descriptions]
            for d in descriptions:
                resources.update(d["resource_ids"])
            name = report.report_name or ""
            await conn.execute(
                insert(ReportCapabilityRow).values(
                    ven_id=ven.ven_id,
                    report_specifier_id=report.report_specifier_id,
                    report_name=name,
                    descriptions=descriptions,
                    registered=now,
                )
            )
            if name in WANTED:
                requests.append(_request_for(deps, name, report.report_specifier_id, descriptions))
        await _store_requests(conn, ven.ven_id, requests, now)
        await conn.execute(delete(VenResourceRow).where(VenResourceRow.ven_id == ven.ven_id))
        if resources:
            await conn.execute(
                insert(VenResourceRow),
                [{"ven_id": ven.ven_id, "resource_id": r} for r in sorted(resources)],
            )
        # Resource-targeted events may now reach (or no longer reach) this VEN.
        await bump_vens(conn, [ven.ven_id])
    deps.directory.mark_pending([ven.ven_id])
    deps.directory.seen(ven.ven_id)
    await deps.registry.log(
        ven.ven_id,
        "reports_registered",
        {
            "reports": [r.report_name or r.report_specifier_id for r in msg.reports],
            "requested": [r.specifier.report_specifier_id for r in requests],
        },
    )
    return m.OadrRegisteredReport(
        response=m.EiResponse(request_id=msg.request_id),
        report_requests=requests,
        ven_id=ven.ven_id,
    )


async def created_report(deps: VtnDeps, msg: m.OadrCreatedReport, peer: Peer) -> m.OadrResponse:
    """The VEN acknowledges report requests: the listed ones are now running."""
    async with deps.write() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        if msg.pending_reports:
            await conn.execute(
                update(ReportRequestRow)
                .where(
                    ReportRequestRow.ven_id == ven.ven_id,
                    ReportRequestRow.report_request_id.in_(msg.pending_reports),
                    ReportRequestRow.status == "requested",
                )
                .values(status="created")
            )
    deps.directory.seen(ven.ven_id)
    return m.OadrResponse(
        response=m.EiResponse(request_id=msg.response.request_id), ven_id=ven.ven_id
    )


async def canceled_report(deps: VtnDeps, msg: m.OadrCanceledReport, peer: Peer) -> m.OadrResponse:
    """The VEN confirms cancellations: requests we cancelled that it no longer runs end."""
    async with deps.write() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        query = update(ReportRequestRow).where(
            ReportRequestRow.ven_id == ven.ven_id, ReportRequestRow.status == "cancel_requested"
        )
        if msg.pending_reports:
            query = query.where(ReportRequestRow.report_request_id.not_in(msg.pending_reports))
        await conn.execute(query.values(status="cancelled"))
    deps.directory.seen(ven.ven_id)
    return m.OadrResponse(
        response=m.EiResponse(request_id=msg.response.request_id), ven_id=ven.ven_id
    )


# ----------------------------------------------------------------------------- report data


def series_name(r_id: str) -> str:
    """The time-series name for a rID (series names are lower-case ``[a-z][a-z0-9_.]*``)."""
    name = re.sub(r"[^a-z0-9_.]", "_", r_id.lower())
    if not name[:1].isalpha():
        name = "r" + name
    return name[:64]


def _canonical(value: float, item_base: dict[str, Any] | None) -> tuple[float, Unit]:
    if item_base is None:
        return value, Unit.NONE
    item = m.ItemBase.model_validate(item_base)
    try:
        return item.to_canonical(value)
    except UnitError:
        pass
    try:  # e.g. a customUnit whose itemUnits we know ("W", "kWh")
        return to_canonical(value * item.si_scale_code.factor, item.units)
    except UnitError:
        return value, Unit.NONE


def _points(
    ven_id: str, report: m.Report, by_rid: dict[str, dict[str, Any]]
) -> tuple[list[TelemetryPoint], int]:
    points: list[TelemetryPoint] = []
    skipped = 0
    for interval in report.intervals:
        ts = interval.start or report.start
        if ts is None:
            raise VtnError(m.ResponseCode.INVALID_DATA, "report interval without dtstart")
        for dp in interval.data_points:
            desc = by_rid.get(dp.r_id)
            if desc is None:
                skipped += 1
                continue
            if isinstance(dp.value, m.ResourceStatus):
                value, unit = (1.0 if dp.value.online else 0.0), Unit.NONE
            else:
                value, unit = _canonical(dp.value, desc["item_base"])
            points.append(
                TelemetryPoint(
                    der_id=ven_id, series=series_name(dp.r_id), ts=ts, value=value, unit=unit.value
                )
            )
    return points, skipped


def _flex_offer(
    report: m.Report, by_rid: dict[str, dict[str, Any]]
) -> list[tuple[datetime, float, float]]:
    intervals = []
    for i, interval in enumerate(report.intervals):
        start = interval.start or (
            report.start + timedelta(seconds=FLEX_INTERVAL_S * i) if report.start else None
        )
        if start is None:
            raise VtnError(m.ResponseCode.INVALID_DATA, "flex offer interval without dtstart")
        up = down = 0.0
        for dp in interval.data_points:
            desc = by_rid.get(dp.r_id)
            if desc is None or isinstance(dp.value, m.ResourceStatus):
                continue
            value, _ = _canonical(dp.value, desc["item_base"])
            if value < 0:
                raise VtnError(m.ResponseCode.INVALID_DATA, "flex offer powers must be >= 0 W")
            if desc["report_type"] == UP:
                up = value
            elif desc["report_type"] == DOWN:
                down = value
        intervals.append((start, up, down))
    return intervals


async def update_report(deps: VtnDeps, msg: m.OadrUpdateReport, peer: Peer) -> m.OadrUpdatedReport:
    """Report data → time series / flex offers; a resend is acknowledged, stored once."""
    telemetry: list[TelemetryPoint] = []
    offers: list[tuple[datetime, list[tuple[datetime, float, float]]]] = []
    skipped = 0
    async with deps.engine.connect() as conn:
        ven = await authenticate(conn, msg.ven_id, peer)
        await check_request_id(conn, ven.ven_id, msg.request_id, msg)
        for report in msg.reports:
            request = (
                await conn.execute(
                    select(ReportRequestRow.report_specifier_id).where(
                        ReportRequestRow.report_request_id == report.report_request_id,
                        ReportRequestRow.ven_id == ven.ven_id,
                    )
                )
            ).first()
            if request is None:
                raise VtnError(
                    m.ResponseCode.INVALID_ID,
                    f"unknown reportRequestID {report.report_request_id!r}",
                )
            capability = (
                await conn.execute(
                    select(ReportCapabilityRow.descriptions, ReportCapabilityRow.report_name).where(
                        ReportCapabilityRow.ven_id == ven.ven_id,
                        ReportCapabilityRow.report_specifier_id == request.report_specifier_id,
                    )
                )
            ).first()
            if capability is None:
                raise VtnError(
                    m.ResponseCode.REPORT_NOT_SUPPORTED,
                    f"report {request.report_specifier_id!r} is not registered",
                )
            by_rid = {d["r_id"]: d for d in capability.descriptions}
            if capability.report_name == FLEX_OFFER_NAME:
                created = report.created_date_time
                offers.append((created, _flex_offer(report, by_rid)))
            else:
                try:
                    points, n = _points(ven.ven_id, report, by_rid)
                except ValidationError as exc:
                    raise VtnError(
                        m.ResponseCode.INVALID_DATA, f"invalid data point: {exc.errors()[0]['msg']}"
                    ) from None
                telemetry.extend(points)
                skipped += n
    # Store first, then remember the requestID: a failed store can be retried by the VEN.
    try:
        if telemetry:
            await deps.timeseries.ingest(telemetry)
        for created, intervals in offers:
            await deps.timeseries.store_flex_offer(ven.ven_id, created, intervals)
    except TimeseriesInputError as exc:
        raise VtnError(m.ResponseCode.INVALID_DATA, f"report data refused: {exc}") from None
    async with deps.write() as conn:
        await claim_request_id(conn, ven.ven_id, msg.request_id, msg)
    deps.directory.seen(ven.ven_id)
    if skipped:
        event(log, "vtn_report_points_skipped", ven_id=ven.ven_id, unknown_rids=skipped)
    return m.OadrUpdatedReport(response=m.EiResponse(request_id=msg.request_id), ven_id=ven.ven_id)


# ----------------------------------------------------------------------------- VTN-initiated


async def request_report(
    deps: VtnDeps,
    ven_id: str,
    report_specifier_id: str,
    *,
    r_ids: list[str] | None = None,
    granularity_s: int | None = None,
    report_back_s: int | None = None,
) -> str:
    """Queue an oadrCreateReport for a registered capability; returns the reportRequestID."""
    now = utcnow()
    async with deps.write() as conn:
        ven = (await conn.execute(select(VenRow.ven_id).where(VenRow.ven_id == ven_id))).first()
        capability = (
            await conn.execute(
                select(ReportCapabilityRow).where(
                    ReportCapabilityRow.ven_id == ven_id,
                    ReportCapabilityRow.report_specifier_id == report_specifier_id,
                )
            )
        ).first()
        if ven is None or capability is None:
            raise NotFoundError(f"VEN {ven_id!r} has no report {report_specifier_id!r}")
        descriptions = [
            d for d in capability.descriptions if r_ids is None or d["r_id"] in set(r_ids)
        ]
        if not descriptions:
            raise NotFoundError(f"none of {r_ids} in report {report_specifier_id!r}")
        request = _request_for(deps, capability.report_name, report_specifier_id, descriptions)
        changes: dict[str, timedelta] = {}
        if granularity_s is not None:
            changes["granularity"] = timedelta(seconds=granularity_s)
        if report_back_s is not None:
            changes["report_back_duration"] = timedelta(seconds=report_back_s)
        if changes:
            request = m.ReportRequest(
                report_request_id=request.report_request_id,
                specifier=request.specifier.model_copy(update=changes),
            )
        await _store_requests(conn, ven_id, [request], now)
        message = m.OadrCreateReport(report_requests=[request], ven_id=ven_id)
        await enqueue(conn, ven_id, message.message_type, encode(message))
    deps.directory.mark_pending([ven_id])
    return request.report_request_id


async def cancel_report(deps: VtnDeps, ven_id: str, report_request_id: str) -> None:
    """Queue an oadrCancelReport; the request ends when the VEN confirms (oadrCanceledReport)."""
    async with deps.write() as conn:
        result = await conn.execute(
            update(ReportRequestRow)
            .where(
                ReportRequestRow.ven_id == ven_id,
                ReportRequestRow.report_request_id == report_request_id,
                ReportRequestRow.status.in_(ACTIVE),
            )
            .values(status="cancel_requested")
        )
        if result.rowcount != 1:
            raise NotFoundError(f"no running report request {report_request_id!r} of {ven_id!r}")
        message = m.OadrCancelReport(report_request_ids=[report_request_id], ven_id=ven_id)
        await enqueue(conn, ven_id, message.message_type, encode(message))
    deps.directory.mark_pending([ven_id])
