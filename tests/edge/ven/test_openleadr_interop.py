"""Interoperability: our VEN against an openleadr 0.5.36 VTN (OpenADRServer) on 127.0.0.1.

openleadr validates everything it receives against the 2.0b XSD (HTTP 400 otherwise), puts its
report requests into oadrRegisteredReport, and cannot parse oadrPayloadResourceStatus — so its
handler here requests telemetry usage only (docs/openadr-profile.md §8).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from openleadr import OpenADRServer

from flexcoop.edge.ven import EventState
from flexcoop.units import utcnow

from .conftest import RecordingHandler, StaticTelemetry, make_ven


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OpenleadrVtn:
    def __init__(self) -> None:
        self.port = free_port()
        self.server = OpenADRServer(
            vtn_id="openleadr-vtn",
            http_host="127.0.0.1",
            http_port=self.port,
            requested_poll_freq=timedelta(seconds=1),
            ven_lookup=self.lookup,
        )
        self.server.add_handler("on_create_party_registration", self.on_create_party_registration)
        self.server.add_handler("on_register_report", self.on_register_report)
        self.vens: dict[str, dict[str, Any]] = {}
        self.offered: list[tuple[str, str | None, str, str | None]] = []
        self.values: dict[str, list[tuple[Any, float]]] = {}
        self.opts: list[tuple[str, str, str]] = []
        self.changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/OpenADR2/Simple/2.0b"

    def lookup(self, ven_id: str) -> dict[str, Any]:
        return self.vens.get(ven_id, {})

    async def on_create_party_registration(self, info: dict[str, Any]) -> tuple[str, str]:
        ven_id, reg_id = f"ven-{info['ven_name']}", f"reg-{info['ven_name']}"
        self.vens[ven_id] = {
            "ven_id": ven_id,
            "ven_name": info["ven_name"],
            "registration_id": reg_id,
            "fingerprint": None,
        }
        return ven_id, reg_id

    async def on_register_report(
        self,
        ven_id,
        resource_id,
        measurement,
        unit,
        scale,
        min_sampling_interval,
        max_sampling_interval,
    ):
        self.offered.append((ven_id, resource_id, measurement, unit))
        if measurement == "Status":
            return None  # openleadr cannot parse oadrPayloadResourceStatus
        key = f"{resource_id}:{measurement}"

        async def collect(data: list[tuple[Any, float]]) -> None:
            self.values.setdefault(key, []).extend(data)
            self.changed.set()

        return collect, timedelta(seconds=1)

    async def on_opt(self, ven_id: str, event_id: str, opt_type: str) -> None:
        self.opts.append((ven_id, event_id, opt_type))
        self.changed.set()

    async def wait_for(self, predicate: Any, within_s: float = 30.0) -> None:
        async with asyncio.timeout(within_s):
            while not predicate():
                self.changed.clear()
                try:
                    await asyncio.wait_for(self.changed.wait(), 0.2)
                except TimeoutError:
                    pass


@pytest.fixture
async def openleadr_vtn() -> AsyncIterator[OpenleadrVtn]:
    logging.getLogger("openleadr").setLevel(logging.ERROR)
    vtn = OpenleadrVtn()
    await vtn.server.run()
    yield vtn
    await vtn.server.stop()


async def test_our_ven_against_openleadr_vtn(
    openleadr_vtn: OpenleadrVtn, store, telemetry: StaticTelemetry
):
    handler = RecordingHandler()
    ven = make_ven(openleadr_vtn.url, store, telemetry, handler)
    async with ven:
        reg = await ven.wait_registered()
        # registered also means openleadr's XSD check passed our oadrRegisterReport, which
        # carries the x-FLEX_OFFER metadata next to the standard reports
        assert reg.ven_id == "ven-osb-test" and reg.vtn_id == "openleadr-vtn"
        assert ven.status().poll_interval_s == pytest.approx(0.2)
        # report registration: every W point and every device status was offered
        resources = {(r, meas) for _, r, meas, _ in openleadr_vtn.offered}
        assert {
            ("meter", "RealPower"),
            ("heat_pump", "RealPower"),
            ("battery", "RealPower"),
            ("meter", "Status"),
        } <= resources
        # telemetry arrives at openleadr's report callbacks
        await openleadr_vtn.wait_for(
            lambda: len(openleadr_vtn.values.get("meter:RealPower", [])) >= 2
        )
        telemetry.set("meter", "power_w", 4321.0)
        await openleadr_vtn.wait_for(
            lambda: any(v == 4321.0 for _, v in openleadr_vtn.values["meter:RealPower"])
        )
        # an event: handed to our handler, answered optIn at openleadr's callback
        start = utcnow() + timedelta(minutes=5)
        event_id = openleadr_vtn.server.add_event(
            ven_id=reg.ven_id,
            signal_name="simple",
            signal_type="level",
            intervals=[
                {"dtstart": start, "duration": timedelta(minutes=30), "signal_payload": 2.0}
            ],
            callback=openleadr_vtn.on_opt,
        )
        await openleadr_vtn.wait_for(lambda: bool(openleadr_vtn.opts))
        # cancellation: openleadr bumps the modification number and re-sends the event
        openleadr_vtn.server.cancel_event(reg.ven_id, event_id)
        await openleadr_vtn.wait_for(lambda: len(handler.seen) == 2)
        await openleadr_vtn.wait_for(lambda: ven.status().outbox_backlog == 0)
        status = ven.status()
    assert openleadr_vtn.opts == [(reg.ven_id, event_id, "optIn")]
    seen, cancelled = handler.seen
    assert (cancelled.event_id, cancelled.modification_number) == (event_id, 1)
    assert cancelled.status is EventState.CANCELLED and status.events["cancelled"] == 1
    assert seen.event_id == event_id and abs(seen.start - start) < timedelta(seconds=1)
    assert seen.signals[0].intervals[0].value == 2.0
    assert status.rejected == 0 and status.last_error is None
    # openleadr requested usage only (it skips x- reports and we declined status)
    assert {r.report_specifier_id for r in ven.reports.requests.values()} == {"TELEMETRY_USAGE"}
    heat = openleadr_vtn.values.get("heat_pump:RealPower", [])
    assert heat and all(v == 1500.0 for _, v in heat)
