"""EiReport: capabilities in, report requests out, data into time series and flex offers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from flexcoop.cloud.timeseries.models import Resolution
from flexcoop.cloud.vtn.tables import ReportRequestRow
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import Ven, VtnHarness
from .reportdata import capabilities, flex_offer, telemetry


async def registered_with_reports(vtn: VtnHarness) -> tuple[Ven, dict[str, str]]:
    ven = vtn.ven("home-r")
    await ven.register()
    reply = await ven.send(
        "EiReport", m.OadrRegisterReport(reports=capabilities(utcnow()), ven_id=ven.ven_id)
    )
    assert isinstance(reply, m.OadrRegisteredReport) and reply.response.response_code == 200
    requests = {r.specifier.report_specifier_id: r.report_request_id for r in reply.report_requests}
    ack = await ven.send(
        "EiReport",
        m.OadrCreatedReport(pending_reports=list(requests.values()), ven_id=ven.ven_id),
    )
    assert ack.response.response_code == 200
    return ven, requests


async def test_register_report_requests_telemetry_status_and_flex_offer(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    await ven.register()
    reply = await ven.send(
        "EiReport", m.OadrRegisterReport(reports=capabilities(utcnow()), ven_id=ven.ven_id)
    )
    by_id = {r.specifier.report_specifier_id: r.specifier for r in reply.report_requests}
    assert set(by_id) == {"TELEMETRY_USAGE", "TELEMETRY_STATUS", "FLEX_OFFER"}
    usage = by_id["TELEMETRY_USAGE"]
    assert [p.r_id for p in usage.payloads] == ["meter1.power_w", "pv1.power_kw"]
    # Test settings ask for 1 s; pv1 cannot sample faster than 10 s.
    assert usage.granularity == timedelta(seconds=10)
    flex = by_id["FLEX_OFFER"]
    assert flex.granularity == timedelta(minutes=15)
    assert flex.report_back_duration == timedelta(days=1)
    # The VEN's resources are now known (resourceID targets reach it).
    row = await vtn.service.registration(ven.ven_id)
    assert row.pending  # it gets its events re-evaluated


async def test_update_report_lands_in_time_series_in_canonical_units(vtn: VtnHarness) -> None:
    ven, requests = await registered_with_reports(vtn)
    ts = utcnow().replace(microsecond=0) - timedelta(seconds=30)
    status = m.Report(
        report_request_id=requests["TELEMETRY_STATUS"],
        report_specifier_id="TELEMETRY_STATUS",
        report_name="TELEMETRY_STATUS",
        created_date_time=ts,
        intervals=[
            m.ReportInterval(
                start=ts,
                data_points=[
                    m.DataPoint(r_id="meter1.status", value=m.ResourceStatus(online=False))
                ],
            )
        ],
    )
    reply = await ven.send(
        "EiReport",
        m.OadrUpdateReport(
            reports=[telemetry(requests["TELEMETRY_USAGE"], ts, 1234.0, 2.5), status],
            ven_id=ven.ven_id,
        ),
    )
    assert isinstance(reply, m.OadrUpdatedReport) and reply.response.response_code == 200
    samples = await vtn.timeseries.query(
        start=ts - timedelta(minutes=1),
        end=ts + timedelta(minutes=1),
        der_ids=[ven.ven_id],
        resolution=Resolution.RAW,
    )
    assert {(s.series, s.value, s.unit) for s in samples} == {
        ("meter1.power_w", 1234.0, "W"),
        ("pv1.power_kw", 2500.0, "W"),
        ("meter1.status", 0.0, ""),  # oadrOnline false
    }


async def test_flex_offer_is_stored(vtn: VtnHarness) -> None:
    ven, requests = await registered_with_reports(vtn)
    now = utcnow().replace(microsecond=0)
    reply = await ven.send(
        "EiReport",
        m.OadrUpdateReport(reports=[flex_offer(requests["FLEX_OFFER"], now)], ven_id=ven.ven_id),
    )
    assert reply.response.response_code == 200
    offers = await vtn.timeseries.flex_offers(der_ids=[ven.ven_id])
    assert len(offers) == 1 and len(offers[0].intervals) == 96
    first = offers[0].intervals[0]
    assert (first.up_w, first.down_w) == (1000.0, 500.0)
    assert offers[0].intervals[95].up_w == 1095.0


async def test_resent_update_report_is_acknowledged_and_stored_once(vtn: VtnHarness) -> None:
    """A VEN resending after a lost acknowledgement (at-least-once delivery) gets 200 again."""
    ven, requests = await registered_with_reports(vtn)
    now = utcnow().replace(microsecond=0)
    msg = m.OadrUpdateReport(reports=[flex_offer(requests["FLEX_OFFER"], now)], ven_id=ven.ven_id)
    assert (await ven.send("EiReport", msg)).response.response_code == 200
    again = await ven.send("EiReport", msg)
    assert again.response.response_code == 200
    assert again.response.request_id == msg.request_id
    assert "already received" in (again.response.response_description or "")
    assert len(await vtn.timeseries.flex_offers(der_ids=[ven.ven_id])) == 1


async def test_reused_request_id_with_other_content_is_refused(vtn: VtnHarness) -> None:
    ven, requests = await registered_with_reports(vtn)
    now = utcnow().replace(microsecond=0)
    msg = m.OadrUpdateReport(reports=[flex_offer(requests["FLEX_OFFER"], now)], ven_id=ven.ven_id)
    assert (await ven.send("EiReport", msg)).response.response_code == 200
    later = now + timedelta(minutes=15)
    other = m.OadrUpdateReport(
        request_id=msg.request_id,
        reports=[flex_offer(requests["FLEX_OFFER"], later)],
        ven_id=ven.ven_id,
    )
    again = await ven.send("EiReport", other)
    assert again.response.response_code == m.ResponseCode.INVALID_DATA
    assert "duplicate requestID" in (again.response.response_description or "")
    assert len(await vtn.timeseries.flex_offers(der_ids=[ven.ven_id])) == 1


async def test_update_report_for_unknown_request_or_bad_data_stores_nothing(
    vtn: VtnHarness,
) -> None:
    ven, requests = await registered_with_reports(vtn)
    now = utcnow().replace(microsecond=0)
    unknown = await ven.send(
        "EiReport",
        m.OadrUpdateReport(reports=[telemetry("nope", now, 1.0, 1.0)], ven_id=ven.ven_id),
    )
    assert unknown.response.response_code == m.ResponseCode.INVALID_ID
    negative = flex_offer(requests["FLEX_OFFER"], now, n=2)
    negative.intervals[1].data_points[0] = m.DataPoint(r_id="flex_up_w", value=-5.0)
    bad = await ven.send("EiReport", m.OadrUpdateReport(reports=[negative], ven_id=ven.ven_id))
    assert bad.response.response_code == m.ResponseCode.INVALID_DATA
    assert await vtn.timeseries.flex_offers(der_ids=[ven.ven_id]) == []
    assert (
        await vtn.timeseries.query(
            start=now - timedelta(hours=1),
            end=now + timedelta(hours=1),
            der_ids=[ven.ven_id],
            resolution=Resolution.RAW,
        )
        == []
    )


async def test_vtn_initiated_create_and_cancel_report_go_through_the_poll(
    vtn: VtnHarness,
) -> None:
    ven, _ = await registered_with_reports(vtn)
    while not isinstance(await ven.poll(), m.OadrResponse):
        pass
    rrid = await vtn.service.request_report(
        ven.ven_id, "TELEMETRY_USAGE", r_ids=["meter1.power_w"], granularity_s=60
    )
    create = await ven.poll()
    assert isinstance(create, m.OadrCreateReport)
    (req,) = create.report_requests
    assert req.report_request_id == rrid
    assert [p.r_id for p in req.specifier.payloads] == ["meter1.power_w"]
    assert req.specifier.granularity == timedelta(seconds=60)
    await ven.send("EiReport", m.OadrCreatedReport(pending_reports=[rrid], ven_id=ven.ven_id))

    await vtn.service.cancel_report(ven.ven_id, rrid)
    cancel = await ven.poll()
    assert isinstance(cancel, m.OadrCancelReport) and cancel.report_request_ids == [rrid]
    done = await ven.send("EiReport", m.OadrCanceledReport(ven_id=ven.ven_id))
    assert done.response.response_code == 200
    async with vtn.engine.connect() as conn:
        status = await conn.scalar(
            select(ReportRequestRow.status).where(ReportRequestRow.report_request_id == rrid)
        )
    assert status == "cancelled"
    assert isinstance(await ven.poll(), m.OadrResponse)
