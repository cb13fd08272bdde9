"""End to end: our VEN against our own VTN, started as operators do (`flexcoop cloud`)."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import RecordingHandler, StaticTelemetry, make_ven


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "cloud.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "flexcoop.cli",
            "cloud",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            f"sqlite:///{tmp_path / 'cloud.sqlite'}",
            "--open-registration",
            stdout=out,
            stderr=out,
        )
    try:
        for _ in range(300):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if proc.returncode is not None:
                    raise AssertionError(log.read_text()) from None
                await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b", log
    finally:
        proc.terminate()
        await proc.wait()


async def test_our_ven_against_our_vtn(cloud: tuple[str, Path], store, telemetry: StaticTelemetry):
    url, log = cloud
    handler = RecordingHandler()
    async with make_ven(url, store, telemetry, handler) as ven:
        reg = await ven.wait_registered()
        # the VTN asks for what we registered, incl. the x-FLEX_OFFER (docs/openadr-profile.md)
        for _ in range(300):
            # oadrCreatedReport, then the flex offer at once (telemetry follows at the VTN's
            # granularity, too slow to wait for here)
            if ven.status().report_requests >= 3 and ven.outbox.delivered >= 2:
                break
            await asyncio.sleep(0.1)
        requested = {r.report_specifier_id for r in ven.reports.requests.values()}
        opt_id = await ven.set_availability(
            [(utcnow() + timedelta(hours=1), timedelta(hours=2))], m.OptType.OPT_OUT
        )
        for _ in range(300):
            if ven.status().outbox_backlog == 0:
                break
            await asyncio.sleep(0.1)
        status = ven.status()
    assert reg.ven_id and status.registered
    assert requested == {"TELEMETRY_USAGE", "TELEMETRY_STATUS", "FLEX_OFFER"}
    assert status.rejected == 0 and status.outbox_backlog == 0, log.read_text()[-2000:]
    assert status.delivered >= 3 and opt_id  # created report, flex offer, opt
    assert "vtn_message_refused" not in log.read_text()
