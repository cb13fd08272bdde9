"""OpenADR 2.0b codec speed (flexcoop.openadr.codec), single thread, no I/O.

Figures (each as operations per second of wall time, plus per CPU second because the machine
may be shared):

* ``decode_poll``: an oadrPoll, the VTN's hottest path (hardened parse, no XSD);
* ``encode_response_cached`` / ``encode_response_uncached``: the VTN's empty poll answer;
* ``decode_event`` / ``encode_event``: an oadrDistributeEvent with 10 events × 96 intervals;
* ``decode_report``: an oadrUpdateReport with 96 intervals × 4 data points;
* ``validate_event``: full XSD validation of the event document, for comparison.

    python bench/openadr_codec.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flexcoop.benchtools import emit
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import _encode, decode, encode
from flexcoop.openadr.schema import load_schema, validate

T0 = datetime(2026, 11, 30, tzinfo=UTC)
Q = timedelta(minutes=15)


def measure(figure: str, fn: Callable[[], object], n: int, **extra: object) -> None:
    fn()  # warm caches (compiled schema, pydantic validators) outside the timing
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    emit(figure, n / wall, "ops/s", n, ops_per_cpu_s=round(n / max(cpu, 1e-9), 1), **extra)


def distribute_event(events: int, intervals: int) -> m.OadrDistributeEvent:
    return m.OadrDistributeEvent(
        vtn_id="vtn-coop",
        events=[
            m.Event(
                descriptor=m.EventDescriptor(event_id=f"ev-{e}", created_date_time=T0),
                active_period=m.ActivePeriod(start=T0, duration=intervals * Q),
                signals=[
                    m.EventSignal(
                        signal_name=m.SignalName.LOAD_DISPATCH,
                        signal_type=m.SignalType.SETPOINT,
                        signal_id=f"sig-{e}",
                        item_base=m.ItemBase.power_real(m.SiScaleCode.KILO),
                        intervals=[
                            m.Interval(uid=str(i), duration=Q, value=1.5 + i)
                            for i in range(intervals)
                        ],
                    )
                ],
                targets=m.Target(ven_ids=[f"ven-{e}"]),
            )
            for e in range(events)
        ],
    )


def update_report(intervals: int, points: int) -> m.OadrUpdateReport:
    return m.OadrUpdateReport(
        ven_id="ven-1",
        reports=[
            m.Report(
                report_specifier_id="telemetry",
                report_request_id="rr-1",
                report_name=m.ReportName.TELEMETRY_USAGE,
                created_date_time=T0,
                start=T0,
                duration=intervals * Q,
                intervals=[
                    m.ReportInterval(
                        start=T0 + i * Q,
                        duration=Q,
                        data_points=[
                            m.DataPoint(r_id=f"p{p}", value=100.0 * p + i) for p in range(points)
                        ],
                    )
                    for i in range(intervals)
                ],
            )
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    scale = 1 if args.quick else 20

    poll = encode(m.OadrPoll(ven_id="ven-00042"))
    measure("decode_poll", lambda: decode(poll), 500 * scale, bytes=len(poll))
    answer = m.OadrResponse(response=m.EiResponse(request_id=""), ven_id="ven-00042")
    measure("encode_response_cached", lambda: encode(answer), 500 * scale)
    measure("encode_response_uncached", lambda: _encode(answer), 500 * scale)

    event = distribute_event(10, 96)
    event_xml = encode(event)
    measure(
        "encode_event",
        lambda: encode(event),
        2 * scale,
        events=10,
        intervals=96,
        bytes=len(event_xml),
    )
    measure("decode_event", lambda: decode(event_xml), 2 * scale, events=10, intervals=96)
    schema = load_schema()
    measure(
        "validate_event", lambda: validate(event_xml, schema), 2 * scale, events=10, intervals=96
    )

    report_xml = encode(update_report(96, 4))
    measure(
        "decode_report",
        lambda: decode(report_xml),
        2 * scale,
        intervals=96,
        points=4,
        bytes=len(report_xml),
    )


if __name__ == "__main__":
    main()
