"""VEN outbox: how fast a box catches up after the cloud was away.

A backlog of telemetry ``oadrUpdateReport``s (5 data points each, what one minute of a small
home produces) is queued durably through the VEN's ``Outbox`` while the VTN is down, then
delivered to a VTN on 127.0.0.1 that XSD-validates and decodes every message (our codec, bare
aiohttp, no database: the VEN side is what is measured). Figures: durable queueing rate,
drain rate after reconnection, and the projected catch-up time for one day of 1-minute reports.

    python bench/ven_outbox.py [--quick] [--messages N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from flexcoop.benchtools import emit
from flexcoop.edge.store import Store
from flexcoop.edge.ven.outbox import Outbox
from flexcoop.edge.ven.transport import VtnClient
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.openadr.schema import validate
from flexcoop.units import utcnow

PREFIX = "/OpenADR2/Simple/2.0b"
DAY_OF_MINUTE_REPORTS = 1440


def report(i: int) -> m.OadrUpdateReport:
    start = utcnow().replace(microsecond=0) + timedelta(minutes=i)
    return m.OadrUpdateReport(
        ven_id="",
        reports=[
            m.Report(
                report_id=f"r{i}",
                start=start,
                duration=timedelta(minutes=1),
                intervals=[
                    m.ReportInterval(
                        start=start,
                        duration=timedelta(minutes=1),
                        data_points=[m.DataPoint(r_id=f"dev{p}.power_w", value=100.0 * p + i)],
                    )
                    for p in range(5)
                ],
                report_request_id="req-1",
                report_specifier_id="TELEMETRY_USAGE",
                report_name="TELEMETRY_USAGE",
                created_date_time=start,
            )
        ],
    )


async def vtn(received: list[str]) -> tuple[web.AppRunner, str]:
    ok = encode(m.OadrUpdatedReport(ven_id="ven-bench"))

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        validate(body)
        received.append(decode(body).message_type)
        return web.Response(body=ok, content_type="application/xml")

    app = web.Application()
    app.router.add_post(PREFIX + "/{service}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}{PREFIX}"


async def run(messages: int, data_dir: Path) -> None:
    received: list[str] = []
    async with Store(data_dir, maintenance_interval_s=3600) as store:
        outbox = Outbox(store)
        batch = [report(i) for i in range(messages)]
        start = time.perf_counter()
        for msg in batch:
            await outbox.put(m.ServiceName.EI_REPORT, msg)
        queue_s = time.perf_counter() - start
        runner, url = await vtn(received)
        try:
            async with aiohttp.ClientSession() as session:
                client = VtnClient(url, session)
                start = time.perf_counter()
                cpu = time.process_time()
                delivered = await outbox.deliver(client, "ven-bench")
                drain_s = time.perf_counter() - start
                drain_cpu = time.process_time() - cpu
        finally:
            await runner.cleanup()
        assert delivered == messages == len(received), (delivered, len(received))
        assert await store.outbox_size() == 0
    emit("ven_outbox_queue", messages / queue_s, "messages/s", messages, durable=True)
    emit(
        "ven_outbox_drain",
        messages / drain_s,
        "messages/s",
        messages,
        note="includes the peer's XSD validation and decode, same process",
    )
    emit("ven_outbox_drain_cpu", drain_cpu / messages * 1e3, "ms CPU/message", messages)
    emit(
        "ven_outbox_day_catch_up",
        DAY_OF_MINUTE_REPORTS * drain_s / messages,
        "s",
        DAY_OF_MINUTE_REPORTS,
        note="one day of 1-minute telemetry reports, projected",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run for smoke tests")
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    messages = 50 if args.quick else args.messages
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(messages, Path(tmp)))


if __name__ == "__main__":
    main()
