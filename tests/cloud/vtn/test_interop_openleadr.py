"""Interoperability: an openleadr 0.5.36 VEN (independent implementation) against our VTN.

register → report registration → event received → oadrCreatedEvent (optIn) recorded → report
data arriving in the time series. openleadr validates every message it receives against the
2.0b XSD, so this also proves our answers are schema-valid on the wire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from openleadr import OpenADRClient

from flexcoop.cloud.timeseries.models import Resolution
from flexcoop.units import utcnow

from .conftest import VtnHarness
from .test_events import spec

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def db_url(sqlite_db_url: str) -> str:
    return sqlite_db_url  # interop: one back-end is enough


async def eventually(check: Callable[[], Awaitable[Any]], what: str, tries: int = 300) -> Any:
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_openleadr_ven_full_session(
    vtn: VtnHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openleadr")
    received: list[dict[str, Any]] = []
    wire_in: list[str] = []

    async def on_event(event: dict[str, Any]) -> str:
        received.append(event)
        return "optIn"

    client = OpenADRClient(ven_name="openleadr-ven", vtn_url=vtn.url)
    client.add_handler("on_event", on_event)
    client.add_hook("after_receive_xml", wire_in.append)
    client.add_report(
        callback=lambda: 1500.0,
        resource_id="meter1",
        measurement="powerReal",
        unit="W",
        r_id="meter1_power",
        report_specifier_id="OL_USAGE",
        sampling_rate=timedelta(seconds=1),
        report_duration=timedelta(hours=1),
    )
    await client.run()
    try:
        ven_id = client.ven_id
        assert ven_id and client.registration_id
        row = await vtn.service.registration(ven_id)
        assert row is not None and row.ven_name == "openleadr-ven"

        ev = await vtn.service.create_event(spec(targets={"ven_ids": [ven_id]}))
        await eventually(lambda: asyncio.sleep(0, received), "the event at the openleadr VEN")
        assert received[0]["event_descriptor"]["event_id"] == ev.event_id
        assert received[0]["event_signals"][0]["signal_name"] == "SIMPLE"

        async def opted_in() -> list[dict[str, Any]]:
            return [
                r
                for r in await vtn.service.events.responses(ev.event_id)
                if r["opt_type"] == "optIn" and r["ven_id"] == ven_id
            ]

        await eventually(opted_in, "oadrCreatedEvent optIn")

        async def samples() -> list[Any]:
            now = utcnow()
            return await vtn.timeseries.query(
                start=now - timedelta(minutes=5),
                end=now + timedelta(minutes=5),
                der_ids=[ven_id],
                resolution=Resolution.RAW,
            )

        got = await eventually(samples, "telemetry from the openleadr VEN")
        assert {(s.series, s.value, s.unit) for s in got} == {("meter1_power", 1500.0, "W")}
        kinds = {e.kind for e in await vtn.registry.events(ven_id)}
        assert {"ven_registered", "reports_registered", "event_opt_in"} <= kinds
    finally:
        await client.stop()
    # openleadr logs a warning for every answer it cannot validate or parse: there must be none.
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("openleadr")]
    assert not [p for p in problems if "valid" in p or "parse" in p or "Non-OK" in p], problems
    assert wire_in, "no traffic recorded"
