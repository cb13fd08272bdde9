"""Reports: capabilities from the device model, requests, telemetry, the 24 h flex offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.edge.ven import FlexInterval, PointLimitFlexibility
from flexcoop.edge.ven.reports import (
    FLEX_DOWN_RID,
    FLEX_REPORT_NAME,
    FLEX_SPECIFIER,
    FLEX_UP_RID,
    ReportScheduler,
    build_capabilities,
)
from flexcoop.edge.ven.state import REPORT_REQUESTS_KEY, VenState
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.openadr.schema import validate
from flexcoop.units import INTERVAL

from .conftest import RecordingVtn, StaticTelemetry, home_devices, make_ven

T0 = datetime(2026, 11, 30, 10, 7, 30, tzinfo=UTC)


def request(
    specifier: str,
    r_ids: list[str],
    granularity: float,
    back: float,
    reading: str = m.ReadingType.DIRECT_READ,
) -> m.ReportRequest:
    return m.ReportRequest(
        specifier=m.ReportSpecifier(
            report_specifier_id=specifier,
            granularity=timedelta(seconds=granularity),
            report_back_duration=timedelta(seconds=back),
            payloads=[m.SpecifierPayload(r_id=r, reading_type=reading) for r in r_ids],
        )
    )


def test_capabilities_follow_the_device_model_and_validate():
    reports = build_capabilities(home_devices(), T0)
    by_name = {r.report_name: r for r in reports}
    assert set(by_name) == {"METADATA_TELEMETRY_USAGE", "METADATA_TELEMETRY_STATUS", "x-FLEX_OFFER"}
    usage = by_name["METADATA_TELEMETRY_USAGE"]
    assert [d.r_id for d in usage.descriptions] == [
        "battery.setpoint_w",
        "heat_pump.power_w",
        "meter.power_w",
    ]  # W points only, not soc
    assert all(d.item_base and d.item_base.units == "W" for d in usage.descriptions)
    assert usage.descriptions[0].report_data_source == m.Target(resource_ids=["battery"])
    status = by_name["METADATA_TELEMETRY_STATUS"]
    assert [d.r_id for d in status.descriptions] == [
        "battery.status",
        "heat_pump.status",
        "meter.status",
    ]
    flex = by_name["x-FLEX_OFFER"]
    assert {d.r_id: d.report_type for d in flex.descriptions} == {
        FLEX_UP_RID: "upRegulationCapacityAvailable",
        FLEX_DOWN_RID: "downRegulationCapacityAvailable",
    }
    assert all(d.reading_type == "Projected" for d in flex.descriptions)
    xml = encode(m.OadrRegisterReport(reports=reports, ven_id="ven-1"))
    validate(xml)
    assert decode(xml).reports == reports


async def test_point_limit_flexibility(telemetry: StaticTelemetry):
    offer = await PointLimitFlexibility(telemetry).offer(T0)
    assert len(offer) == 96 and offer[0].start == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert offer[-1].start - offer[0].start == 95 * INTERVAL
    # battery at 0 W within ±3000 W; heat pump at 1500 W within 500..4000 W
    assert (offer[0].up_w, offer[0].down_w) == (3000 + 1000, 3000 + 2500)
    telemetry.set("battery", "setpoint_w", 2000.0)  # discharging already: less room upwards
    offer = await PointLimitFlexibility(telemetry).offer(T0)
    assert (offer[0].up_w, offer[0].down_w) == (1000 + 1000, 5000 + 2500)
    with pytest.raises(ValueError, match=">= 0 W"):
        FlexInterval(T0, -1.0, 0.0)


class Collect:
    def __init__(self) -> None:
        self.sent: list[m.OadrUpdateReport] = []

    async def __call__(self, msg: m.OadrUpdateReport) -> None:
        self.sent.append(msg)


async def test_telemetry_sampling_and_report_back(store, telemetry):
    sink = Collect()
    sched = ReportScheduler(VenState(store), telemetry, PointLimitFlexibility(telemetry), sink)
    await sched.load(build_capabilities(telemetry.devices(), T0))
    req = request("TELEMETRY_USAGE", ["meter.power_w", "heat_pump.power_w", "nope.x"], 10, 30)
    pending = await sched.accept([req], T0)
    assert pending == [req.report_request_id]
    for s in range(0, 31, 5):  # ticks every 5 s: samples at 0, 10, 20; report due at 30
        if s == 20:
            telemetry.set("meter", "power_w", 999.0)
        await sched.tick(T0 + timedelta(seconds=s))
    [msg] = sink.sent
    [report] = msg.reports
    assert report.report_request_id == req.report_request_id
    assert report.report_name == "TELEMETRY_USAGE"
    assert all(len(i.data_points) == 1 for i in report.intervals)  # openleadr needs this
    by_time: dict[datetime, dict[str, float]] = {}
    for i in report.intervals:
        assert i.start is not None and i.duration == timedelta(seconds=10)
        by_time.setdefault(i.start, {})[i.data_points[0].r_id] = i.data_points[0].value
    assert list(by_time) == [T0 + timedelta(seconds=s) for s in (0, 10, 20)]
    assert list(by_time.values())[1:] == [
        {"heat_pump.power_w": 1500.0, "meter.power_w": 1234.0},
        {"heat_pump.power_w": 1500.0, "meter.power_w": 999.0},
    ]
    validate(encode(msg.model_copy(update={"ven_id": "ven-1"})))
    # the schedule is durable
    saved = await store.get_state(REPORT_REQUESTS_KEY)
    assert saved[req.report_request_id]["r_ids"] == ["meter.power_w", "heat_pump.power_w"]
    assert datetime.fromisoformat(saved[req.report_request_id]["next_due"]) == T0 + timedelta(
        seconds=60
    )
    assert await sched.cancel([req.report_request_id]) == []
    await sched.tick(T0 + timedelta(seconds=120))
    assert len(sink.sent) == 1


async def test_status_report_and_one_shot(store, telemetry):
    sink = Collect()
    sched = ReportScheduler(VenState(store), telemetry, PointLimitFlexibility(telemetry), sink)
    await sched.load(build_capabilities(telemetry.devices(), T0))
    req = request(
        "TELEMETRY_STATUS",
        ["meter.status", "battery.status"],
        0,
        0,
        reading=m.ReadingType.X_NOT_APPLICABLE,
    )
    now = telemetry.latest()[0].ts
    await sched.accept([req], now)
    await sched.tick(now)
    await sched.tick(now + timedelta(hours=1))
    [msg] = sink.sent  # one-shot: sent once, then forgotten
    assert sched.requests == {}
    values = {p.r_id: p.value for i in msg.reports[0].intervals for p in i.data_points}
    assert values == {
        "battery.status": m.ResourceStatus(online=True),
        "meter.status": m.ResourceStatus(online=True),
    }
    validate(encode(msg.model_copy(update={"ven_id": "ven-1"})))


async def test_flex_offer_at_once_then_daily(store, telemetry):
    sink = Collect()
    sched = ReportScheduler(VenState(store), telemetry, PointLimitFlexibility(telemetry), sink)
    await sched.load(build_capabilities(telemetry.devices(), T0))
    req = request(
        FLEX_SPECIFIER, [FLEX_UP_RID, FLEX_DOWN_RID], 900, 86400, reading=m.ReadingType.PROJECTED
    )
    await sched.accept([req], T0)
    for hours in (0, 1, 23, 24, 25):
        await sched.tick(T0 + timedelta(hours=hours))
    assert len(sink.sent) == 2
    first, second = (msg.reports[0] for msg in sink.sent)
    assert first.report_name == FLEX_REPORT_NAME and first.report_specifier_id == FLEX_SPECIFIER
    assert first.start == datetime(2026, 11, 30, 10, 15, tzinfo=UTC)  # next 15-min boundary
    assert first.duration == timedelta(hours=24) and len(first.intervals) == 96
    assert [i.uid for i in first.intervals[:3]] == ["0", "1", "2"]
    assert second.start == first.start + timedelta(hours=24)
    points = {p.r_id: p.value for p in first.intervals[5].data_points}
    assert points == {FLEX_UP_RID: 4000.0, FLEX_DOWN_RID: 5500.0}
    validate(encode(sink.sent[0].model_copy(update={"ven_id": "ven-1"})))
    # on demand, and a restarted scheduler keeps the daily rhythm from the store
    assert await sched.send_flex_now(T0 + timedelta(hours=26)) == 1
    again = ReportScheduler(VenState(store), telemetry, PointLimitFlexibility(telemetry), sink)
    await again.load(build_capabilities(telemetry.devices(), T0))
    assert again.next_wakeup(T0) == T0 + timedelta(hours=48)


async def test_vtn_requests_on_register_and_poll(vtn: RecordingVtn, store, telemetry):
    usage = request("TELEMETRY_USAGE", ["meter.power_w"], 1, 1)
    flex = request(FLEX_SPECIFIER, [FLEX_UP_RID], 900, 86400, reading=m.ReadingType.PROJECTED)
    vtn.register_report_requests = [usage]
    async with make_ven(vtn.url, store, telemetry) as ven:
        await ven.wait_registered()
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrUpdateReport)) >= 2)
        create = m.OadrCreateReport(report_requests=[flex])
        vtn.queue.append(create)
        await vtn.wait_for(
            lambda: any(
                r.reports[0].report_name == FLEX_REPORT_NAME
                for r in vtn.of_type(m.OadrUpdateReport)
            )
        )
        vtn.queue.append(m.OadrCancelReport(report_request_ids=[usage.report_request_id]))
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCanceledReport)))
        assert ven.status().report_requests == 1
        assert await ven.send_flex_offer() == 1
        await vtn.wait_for(
            lambda: (
                sum(
                    r.reports[0].report_name == FLEX_REPORT_NAME
                    for r in vtn.of_type(m.OadrUpdateReport)
                )
                == 2
            )
        )
    created = vtn.of_type(m.OadrCreatedReport)
    assert created[0].pending_reports == [usage.report_request_id]
    assert created[1].response.request_id == create.request_id
    assert sorted(created[1].pending_reports) == sorted(
        [usage.report_request_id, flex.report_request_id]
    )
    assert vtn.of_type(m.OadrCanceledReport)[0].pending_reports == [flex.report_request_id]
    flex_reports = [
        r.reports[0]
        for r in vtn.of_type(m.OadrUpdateReport)
        if r.reports[0].report_name == FLEX_REPORT_NAME
    ]
    assert {p.r_id for i in flex_reports[0].intervals for p in i.data_points} == {FLEX_UP_RID}
    usage_reports = [
        r.reports[0]
        for r in vtn.of_type(m.OadrUpdateReport)
        if r.reports[0].report_request_id == usage.report_request_id
    ]
    assert usage_reports[0].intervals[0].data_points[0].value == 1234.0
    # EiReport is one FIFO: oadrCreatedReport precedes the data it announces
    order = [type(msg) for s, msg in vtn.received if s == "EiReport"]
    assert order.index(m.OadrCreatedReport) < order.index(m.OadrUpdateReport)
    assert vtn.invalid == []


async def test_cancel_piggybacked_on_updated_report(vtn: RecordingVtn, store, telemetry):
    usage = request("TELEMETRY_USAGE", ["meter.power_w"], 1, 1)
    vtn.register_report_requests = [usage]
    cancel = m.OadrCancelReport(report_request_ids=[usage.report_request_id])
    vtn.cancel_on_update = cancel
    async with make_ven(vtn.url, store, telemetry) as ven:
        await ven.wait_registered()
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCanceledReport)))
        assert ven.status().report_requests == 0
    [canceled] = vtn.of_type(m.OadrCanceledReport)
    assert canceled.pending_reports == [] and canceled.response.request_id == cancel.request_id


async def test_samples_between_reports_are_bounded(store, telemetry, monkeypatch):
    from flexcoop.edge.ven import reports

    monkeypatch.setattr(reports, "MAX_SAMPLES", 5)
    sink = Collect()
    sched = ReportScheduler(VenState(store), telemetry, PointLimitFlexibility(telemetry), sink)
    await sched.load(build_capabilities(telemetry.devices(), T0))
    req = request("TELEMETRY_USAGE", ["meter.power_w"], 1, 3600)
    await sched.accept([req], T0)
    for s in range(8):
        await sched.tick(T0 + timedelta(seconds=s))
    assert sink.sent == [] and sched.dropped_samples == 3
    await sched.tick(T0 + timedelta(hours=1))
    [msg] = sink.sent
    assert [i.start for i in msg.reports[0].intervals] == [
        T0 + timedelta(seconds=s) for s in range(3, 8)
    ]
