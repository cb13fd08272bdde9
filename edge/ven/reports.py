"""Reports: what the box can report (built from the device model) and the standing requests.

- ``build_capabilities`` → the METADATA reports of ``oadrRegisterReport`` (TELEMETRY_USAGE,
  TELEMETRY_STATUS, x-FLEX_OFFER; docs/openadr-profile.md §3–4).
- ``ReportScheduler`` keeps the VTN's report requests (durably, with their next due time),
  samples telemetry every ``granularity`` and produces an ``oadrUpdateReport`` every
  ``reportBackDuration``; it is driven by ``tick(now)`` so its timing is testable without
  sleeping.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flexcoop.edge.model import DeviceInfo
from flexcoop.edge.ven.interfaces import OFFER_INTERVALS, FlexibilityProvider, TelemetrySource
from flexcoop.edge.ven.state import ReportRequestRecord, VenState
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.units import INTERVAL, INTERVAL_S, Unit, floor_interval

log = get_logger(__name__)

USAGE_SPECIFIER = "TELEMETRY_USAGE"
STATUS_SPECIFIER = "TELEMETRY_STATUS"
FLEX_SPECIFIER = "FLEX_OFFER"
FLEX_REPORT_NAME = "x-FLEX_OFFER"
FLEX_UP_RID = "flex_up_w"
FLEX_DOWN_RID = "flex_down_w"
STATUS_SUFFIX = "status"
ONLINE_WITHIN = timedelta(minutes=5)
TELEMETRY_MIN_PERIOD = timedelta(seconds=1)
TELEMETRY_MAX_PERIOD = timedelta(hours=1)
DEFAULT_FLEX_PERIOD = timedelta(days=1)
MAX_SAMPLES = 10_000  # per request between two reports: bounds memory on a small box

_DATA_NAMES = {
    USAGE_SPECIFIER: m.ReportName.TELEMETRY_USAGE.value,
    STATUS_SPECIFIER: m.ReportName.TELEMETRY_STATUS.value,
    FLEX_SPECIFIER: FLEX_REPORT_NAME,
}


def build_capabilities(devices: Sequence[DeviceInfo], now: datetime) -> list[m.Report]:
    """The METADATA reports describing every data point this box can report."""
    telemetry_rate = m.SamplingRate(
        min_period=TELEMETRY_MIN_PERIOD, max_period=TELEMETRY_MAX_PERIOD
    )
    usage: list[m.ReportDescription] = []
    status: list[m.ReportDescription] = []
    for device in sorted(devices, key=lambda d: d.id):
        source = m.Target(resource_ids=[device.id])
        for point in sorted(device.points.values(), key=lambda p: p.name):
            if point.unit is Unit.W:
                usage.append(
                    m.ReportDescription(
                        r_id=f"{device.id}.{point.name}",
                        report_data_source=source,
                        report_type=m.ReportType.USAGE,
                        item_base=m.ItemBase.power_real(),
                        reading_type=m.ReadingType.DIRECT_READ,
                        sampling_rate=telemetry_rate,
                    )
                )
        status.append(
            m.ReportDescription(
                r_id=f"{device.id}.{STATUS_SUFFIX}",
                report_data_source=source,
                report_type=m.ReportType.X_RESOURCE_STATUS,
                reading_type=m.ReadingType.X_NOT_APPLICABLE,
                sampling_rate=telemetry_rate,
            )
        )
    flex_rate = m.SamplingRate(min_period=INTERVAL, max_period=INTERVAL)
    flex = [
        m.ReportDescription(
            r_id=r_id,
            report_type=report_type,
            item_base=m.ItemBase.power_real(),
            reading_type=m.ReadingType.PROJECTED,
            sampling_rate=flex_rate,
        )
        for r_id, report_type in (
            (FLEX_UP_RID, m.ReportType.UP_REGULATION_CAPACITY_AVAILABLE),
            (FLEX_DOWN_RID, m.ReportType.DOWN_REGULATION_CAPACITY_AVAILABLE),
        )
    ]
    reports = []
    for specifier, name, descriptions, duration in (
        (USAGE_SPECIFIER, m.ReportName.METADATA_TELEMETRY_USAGE.value, usage, None),
        (STATUS_SPECIFIER, m.ReportName.METADATA_TELEMETRY_STATUS.value, status, None),
        (FLEX_SPECIFIER, FLEX_REPORT_NAME, flex, INTERVAL * OFFER_INTERVALS),
    ):
        if descriptions:
            reports.append(
                m.Report(
                    report_specifier_id=specifier,
                    report_name=name,
                    descriptions=descriptions,
                    duration=duration,
                    created_date_time=now,
                )
            )
    return reports


def capabilities_digest(reports: Sequence[m.Report]) -> str:
    """Identity of the capability set, ignoring creation times (re-register only on change)."""
    doc = [r.model_dump(mode="json", exclude={"created_date_time"}) for r in reports]
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Sample:
    ts: datetime
    values: dict[str, float | m.ResourceStatus]


Sink = Callable[[m.OadrUpdateReport], Awaitable[None]]


class ReportScheduler:
    """Standing report requests → sampled data → ``oadrUpdateReport`` messages (to ``sink``)."""

    def __init__(
        self,
        state: VenState,
        telemetry: TelemetrySource,
        flex: FlexibilityProvider,
        sink: Sink,
    ) -> None:
        self._state = state
        self._telemetry = telemetry
        self._flex = flex
        self._sink = sink
        self.requests: dict[str, ReportRequestRecord] = {}
        self._samples: dict[str, list[Sample]] = {}
        self._next_sample: dict[str, datetime] = {}
        self._capabilities: dict[str, m.Report] = {}
        self.dropped_samples = 0

    async def load(self, capabilities: Sequence[m.Report]) -> None:
        self._capabilities = {r.report_specifier_id: r for r in capabilities}
        self.requests = await self._state.report_requests()

    def set_capabilities(self, capabilities: Sequence[m.Report]) -> None:
        self._capabilities = {r.report_specifier_id: r for r in capabilities}

    # -- requests ----------------------------------------------------------------------------
    async def accept(self, requests: Sequence[m.ReportRequest], now: datetime) -> list[str]:
        """Take the VTN's requests on; returns every pending reportRequestID (for oadrCreated…)."""
        for request in requests:
            record = self._record_for(request, now)
            if record is not None:
                self.requests[record.report_request_id] = record
                self._next_sample[record.report_request_id] = record.next_due - timedelta(
                    seconds=record.report_back_s
                )
                self._samples.pop(record.report_request_id, None)
        await self._state.set_report_requests(self.requests)
        return sorted(self.requests)

    def _record_for(self, request: m.ReportRequest, now: datetime) -> ReportRequestRecord | None:
        spec = request.specifier
        capability = self._capabilities.get(spec.report_specifier_id)
        if capability is None:
            event(
                log,
                "ven_report_request_unknown",
                level=30,
                report_request_id=request.report_request_id,
                report_specifier_id=spec.report_specifier_id,
            )
            return None
        known = {d.r_id for d in capability.descriptions}
        r_ids = [p.r_id for p in spec.payloads if p.r_id in known]
        if not r_ids:
            event(
                log,
                "ven_report_request_empty",
                level=30,
                report_request_id=request.report_request_id,
            )
            return None
        is_flex = spec.report_specifier_id == FLEX_SPECIFIER
        granularity = spec.granularity.total_seconds()
        back = spec.report_back_duration.total_seconds()
        one_shot = granularity == 0 and back == 0 and not is_flex
        if is_flex:
            granularity = INTERVAL_S
            back = max(back or DEFAULT_FLEX_PERIOD.total_seconds(), INTERVAL_S)
        else:
            granularity = granularity or back or 60.0
            back = back or granularity
        start = now
        window_end = None
        if spec.report_interval is not None:
            start = max(now, spec.report_interval.start)
            if spec.report_interval.duration.total_seconds() > 0:
                window_end = spec.report_interval.start + spec.report_interval.duration
        # Telemetry is due one period after its first sample; the flex offer at once.
        first_due = start if is_flex or one_shot else start + timedelta(seconds=back)
        return ReportRequestRecord(
            report_request_id=request.report_request_id,
            report_specifier_id=spec.report_specifier_id,
            report_name=_DATA_NAMES.get(spec.report_specifier_id, spec.report_specifier_id),
            r_ids=r_ids,
            granularity_s=granularity,
            report_back_s=back,
            next_due=first_due,
            window_end=window_end,
            one_shot=one_shot,
        )

    async def cancel(self, request_ids: Sequence[str]) -> list[str]:
        for rid in request_ids:
            self.requests.pop(rid, None)
            self._samples.pop(rid, None)
            self._next_sample.pop(rid, None)
        await self._state.set_report_requests(self.requests)
        return sorted(self.requests)

    async def clear(self) -> None:
        await self.cancel(list(self.requests))

    # -- timing ------------------------------------------------------------------------------
    def next_wakeup(self, now: datetime) -> datetime | None:
        times = [r.next_due for r in self.requests.values()]
        times += [t for rid, t in self._next_sample.items() if rid in self.requests]
        return min(times) if times else None

    async def tick(self, now: datetime) -> int:
        """Sample and send whatever is due at ``now``; the number of reports produced."""
        produced = 0
        changed = False
        for rid, record in list(self.requests.items()):
            telemetry = record.report_specifier_id != FLEX_SPECIFIER
            if now < record.next_due:
                if telemetry:
                    self._sample_if_due(record, now)
                continue
            if record.report_specifier_id == FLEX_SPECIFIER:
                report = await self._flex_report(record, now)
            else:
                report = self._telemetry_report(record, now)
            if report is not None:
                await self._sink(m.OadrUpdateReport(reports=[report], ven_id=""))
                produced += 1
            changed = True
            period = timedelta(seconds=record.report_back_s)
            next_due = record.next_due + period
            if next_due <= now:  # we were asleep or offline for longer than a period
                next_due = now + period
            finished = record.one_shot or (
                record.window_end is not None and next_due > record.window_end
            )
            if finished:
                del self.requests[rid]
                self._samples.pop(rid, None)
                self._next_sample.pop(rid, None)
            else:
                self.requests[rid] = record.model_copy(update={"next_due": next_due})
                if telemetry:  # this instant's sample opens the next period
                    self._sample_if_due(self.requests[rid], now)
        if changed:
            await self._state.set_report_requests(self.requests)
        return produced

    async def send_flex_now(self, now: datetime) -> int:
        """Push the flex offer for every standing flex request at once (on demand)."""
        sent = 0
        for record in self.requests.values():
            if record.report_specifier_id == FLEX_SPECIFIER:
                report = await self._flex_report(record, now)
                if report is not None:
                    await self._sink(m.OadrUpdateReport(reports=[report], ven_id=""))
                    sent += 1
        return sent

    # -- telemetry ---------------------------------------------------------------------------
    def _sample_if_due(self, record: ReportRequestRecord, now: datetime) -> None:
        rid = record.report_request_id
        due = self._next_sample.get(rid)
        if due is not None and now < due:
            return
        values = self._sample(record, now)
        if values:
            samples = self._samples.setdefault(rid, [])
            samples.append(Sample(now, values))
            if len(samples) > MAX_SAMPLES:  # a fine granularity with a long report-back period
                del samples[0]
                self.dropped_samples += 1
        period = timedelta(seconds=record.granularity_s)
        next_sample = (due or now) + period
        self._next_sample[rid] = next_sample if next_sample > now else now + period

    def _sample(
        self, record: ReportRequestRecord, now: datetime
    ) -> dict[str, float | m.ResourceStatus]:
        out: dict[str, float | m.ResourceStatus] = {}
        latest = {(r.device, r.point): r for r in self._telemetry.latest()}
        for r_id in record.r_ids:
            device, _, point = r_id.partition(".")
            if point == STATUS_SUFFIX and record.report_specifier_id == STATUS_SPECIFIER:
                out[r_id] = m.ResourceStatus(online=self._online(device, latest, now))
                continue
            reading = latest.get((device, point))
            if reading is not None and now - reading.ts <= TELEMETRY_MAX_PERIOD:
                out[r_id] = float(reading.value)
        return out

    def _online(self, device: str, latest: dict[tuple[str, str], object], now: datetime) -> bool:
        status = self._telemetry.status(device)
        if status is not None:
            return status.online
        times = [r.ts for (d, _), r in latest.items() if d == device]  # type: ignore[attr-defined]
        return bool(times) and now - max(times) <= ONLINE_WITHIN

    def _telemetry_report(self, record: ReportRequestRecord, now: datetime) -> m.Report | None:
        samples = self._samples.pop(record.report_request_id, [])
        if not samples:  # one-shot request, or the report period is shorter than the sampling
            values = self._sample(record, now)
            if not values:
                return None
            samples = [Sample(now, values)]
        granularity = timedelta(seconds=record.granularity_s)
        # One data point per interval (several intervals share a dtstart): what openleadr's
        # VEN sends and the only shape its VTN can read; equally valid 2.0b for any other VTN.
        intervals = [
            m.ReportInterval(
                start=s.ts, duration=granularity, data_points=[m.DataPoint(r_id=k, value=v)]
            )
            for s in samples
            for k, v in sorted(s.values.items())
        ]
        return m.Report(
            report_id=m.new_id(),
            start=samples[0].ts,
            duration=samples[-1].ts - samples[0].ts + granularity,
            intervals=intervals,
            report_request_id=record.report_request_id,
            report_specifier_id=record.report_specifier_id,
            report_name=record.report_name,
            created_date_time=now,
        )

    # -- flexibility -------------------------------------------------------------------------
    async def _flex_report(self, record: ReportRequestRecord, now: datetime) -> m.Report | None:
        start = floor_interval(now) + INTERVAL
        try:
            offer = await self._flex.offer(start)
        except Exception as exc:  # a provider bug must not stop the VEN's reporting
            event(log, "ven_flex_offer_failed", level=40, error=f"{type(exc).__name__}: {exc}")
            return None
        offer = sorted(offer, key=lambda i: i.start)[:OFFER_INTERVALS]
        if not offer:
            return None
        intervals = []
        for uid, item in enumerate(offer):
            points = []
            if FLEX_UP_RID in record.r_ids:
                points.append(m.DataPoint(r_id=FLEX_UP_RID, value=float(item.up_w)))
            if FLEX_DOWN_RID in record.r_ids:
                points.append(m.DataPoint(r_id=FLEX_DOWN_RID, value=float(item.down_w)))
            intervals.append(
                m.ReportInterval(
                    uid=str(uid), start=item.start, duration=INTERVAL, data_points=points
                )
            )
        return m.Report(
            report_id=m.new_id(),
            start=offer[0].start,
            duration=INTERVAL * len(offer),
            intervals=intervals,
            report_request_id=record.report_request_id,
            report_specifier_id=FLEX_SPECIFIER,
            report_name=FLEX_REPORT_NAME,
            created_date_time=now,
        )
