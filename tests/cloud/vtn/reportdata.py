"""Report metadata and data as a flexcoop VEN sends them (docs/openadr-profile.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flexcoop.openadr import messages as m
from flexcoop.units import floor_interval


def rate(lo_s: int, hi_s: int) -> m.SamplingRate:
    return m.SamplingRate(min_period=timedelta(seconds=lo_s), max_period=timedelta(seconds=hi_s))


def capabilities(now: datetime) -> list[m.Report]:
    return [
        m.Report(
            report_specifier_id="TELEMETRY_USAGE",
            report_name="METADATA_TELEMETRY_USAGE",
            created_date_time=now,
            descriptions=[
                m.ReportDescription(
                    r_id="meter1.power_w",
                    report_data_source=m.Target(resource_ids=["meter1"]),
                    report_type="usage",
                    item_base=m.ItemBase.power_real(),
                    reading_type="Direct Read",
                    sampling_rate=rate(1, 3600),
                ),
                m.ReportDescription(
                    r_id="pv1.power_kw",
                    report_data_source=m.Target(resource_ids=["pv1"]),
                    report_type="usage",
                    item_base=m.ItemBase.power_real(m.SiScaleCode.KILO),
                    reading_type="Direct Read",
                    sampling_rate=rate(10, 3600),
                ),
            ],
        ),
        m.Report(
            report_specifier_id="TELEMETRY_STATUS",
            report_name="METADATA_TELEMETRY_STATUS",
            created_date_time=now,
            descriptions=[
                m.ReportDescription(
                    r_id="meter1.status",
                    report_data_source=m.Target(resource_ids=["meter1"]),
                    report_type="x-resourceStatus",
                    reading_type="x-notApplicable",
                    sampling_rate=rate(1, 3600),
                )
            ],
        ),
        m.Report(
            report_specifier_id="FLEX_OFFER",
            report_name="x-FLEX_OFFER",
            created_date_time=now,
            descriptions=[
                m.ReportDescription(
                    r_id="flex_up_w",
                    report_type="upRegulationCapacityAvailable",
                    item_base=m.ItemBase.power_real(),
                    reading_type="Projected",
                    sampling_rate=rate(900, 900),
                ),
                m.ReportDescription(
                    r_id="flex_down_w",
                    report_type="downRegulationCapacityAvailable",
                    item_base=m.ItemBase.power_real(),
                    reading_type="Projected",
                    sampling_rate=rate(900, 900),
                ),
            ],
        ),
    ]


def telemetry(request_id: str, ts: datetime, meter_w: float, pv_kw: float) -> m.Report:
    return m.Report(
        report_request_id=request_id,
        report_specifier_id="TELEMETRY_USAGE",
        report_name="TELEMETRY_USAGE",
        created_date_time=ts,
        start=ts,
        duration=timedelta(seconds=10),
        intervals=[
            m.ReportInterval(
                start=ts,
                duration=timedelta(seconds=10),
                data_points=[
                    m.DataPoint(r_id="meter1.power_w", value=meter_w),
                    m.DataPoint(r_id="pv1.power_kw", value=pv_kw),
                ],
            )
        ],
    )


def flex_offer(request_id: str, now: datetime, n: int = 96) -> m.Report:
    start = floor_interval(now) + timedelta(minutes=15)
    return m.Report(
        report_request_id=request_id,
        report_specifier_id="FLEX_OFFER",
        report_name="x-FLEX_OFFER",
        created_date_time=now,
        start=start,
        duration=timedelta(hours=24),
        intervals=[
            m.ReportInterval(
                uid=str(i),
                start=start + timedelta(minutes=15 * i),
                duration=timedelta(minutes=15),
                data_points=[
                    m.DataPoint(r_id="flex_up_w", value=1000.0 + i),
                    m.DataPoint(r_id="flex_down_w", value=500.0),
                ],
            )
            for i in range(n)
        ],
    )
