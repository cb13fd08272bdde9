"""Fixtures for the VEN tests: a real store, a recording VTN over real HTTP, device data.

``RecordingVtn`` is a small but real OpenADR 2.0b VTN (aiohttp on 127.0.0.1, our codec, every
request checked against the official XSD) used for what openleadr's VTN cannot do (EiOpt,
oadrCreateReport/oadrCancelReport on poll, re-registration requests, outages on demand). The
interoperability test runs against openleadr itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections import deque
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from flexcoop.config import OpenAdrSection
from flexcoop.edge.model import DeviceInfo, DeviceKind, DeviceStatus, Direction, Point, Reading
from flexcoop.edge.store import Store
from flexcoop.edge.ven import Ven
from flexcoop.edge.ven.backoff import Backoff
from flexcoop.edge.ven.interfaces import DrEvent, EventDecision, OptInHandler, PointLimitFlexibility
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode
from flexcoop.openadr.schema import validate
from flexcoop.units import Unit, utcnow

PREFIX = "/OpenADR2/Simple/2.0b"


class RecordingVtn:
    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.port = 0
        self.vtn_id = "vtn-test"
        self.poll_freq: timedelta | None = None
        self.received: list[tuple[str, m.OadrMessage]] = []
        self.invalid: list[str] = []  # schema errors of what the VEN sent
        self.queue: deque[m.OadrMessage] = deque()
        self.events: list[m.Event] = []
        self.register_report_requests: list[m.ReportRequest] = []
        self.registrations: dict[str, str] = {}  # registration_id → ven_id
        self.http_status: dict[str, deque[int]] = {}  # message type → statuses to answer next
        self.response_code: dict[str, deque[int]] = {}  # message type → eiResponse codes next
        self.peer_certs: list[dict[str, Any]] = []
        self.cancel_on_update: m.OadrCancelReport | None = None  # piggybacked, sent once
        self._runner: web.AppRunner | None = None
        self.arrived = asyncio.Event()

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}{PREFIX}"

    def of_type(self, cls: type[m.OadrMessage]) -> list[Any]:
        """Messages of one type that were accepted (not answered with an injected error)."""
        return [msg for s, msg in self.received if isinstance(msg, cls) and "!" not in s]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(PREFIX + "/{service}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.port, ssl_context=self.ssl_context, reuse_address=True
        )
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, predicate: Any, within_s: float = 20.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever a message arrives)."""
        async with asyncio.timeout(within_s):
            while not predicate():
                self.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), 0.5)

    async def _handle(self, request: web.Request) -> web.Response:
        service = request.match_info["service"]
        body = await request.read()
        if request.transport is not None:
            cert = request.transport.get_extra_info("peercert")
            if cert:
                self.peer_certs.append(cert)
        try:
            validate(body)
            msg = decode(body)
        except CodecError as exc:
            self.invalid.append(str(exc))
            return web.Response(status=400, text=str(exc))
        statuses = self.http_status.get(msg.message_type)
        if statuses:
            status = statuses.popleft()
            self.received.append((service + "!rejected", msg))
            self.arrived.set()
            return web.Response(status=status, text="injected")
        codes = self.response_code.get(msg.message_type)
        code = codes.popleft() if codes else 200
        if code == 200:
            code = self._check_ven(msg)
        self.received.append((service, msg))
        self.arrived.set()
        answer = self._answer(msg, code)
        return web.Response(body=encode(answer), content_type="application/xml")

    def _check_ven(self, msg: m.OadrMessage) -> int:
        ven_id = getattr(msg, "ven_id", None)
        if ven_id and ven_id not in self.registrations.values():
            return m.ResponseCode.INVALID_ID
        return 200

    def _answer(self, msg: m.OadrMessage, code: int) -> m.OadrMessage:
        request_id = getattr(msg, "request_id", "") or ""
        resp = m.EiResponse(
            response_code=code,
            response_description="OK" if code == 200 else "error",
            request_id=request_id,
        )
        match msg:
            case m.OadrQueryRegistration():
                return m.OadrCreatedPartyRegistration(
                    response=resp, vtn_id=self.vtn_id, poll_freq=self.poll_freq
                )
            case m.OadrCreatePartyRegistration():
                if code != 200:
                    return m.OadrCreatedPartyRegistration(response=resp, vtn_id=self.vtn_id)
                reg_id = msg.registration_id
                if reg_id is not None and reg_id in self.registrations:
                    ven_id = self.registrations[reg_id]
                else:
                    reg_id, ven_id = f"reg-{uuid.uuid4().hex}", f"ven-{uuid.uuid4().hex}"
                    self.registrations[reg_id] = ven_id
                return m.OadrCreatedPartyRegistration(
                    response=resp,
                    registration_id=reg_id,
                    ven_id=ven_id,
                    vtn_id=self.vtn_id,
                    poll_freq=self.poll_freq,
                )
            case m.OadrRegisterReport():
                return m.OadrRegisteredReport(
                    response=resp, report_requests=self.register_report_requests, ven_id=msg.ven_id
                )
            case m.OadrRequestEvent():
                return m.OadrDistributeEvent(response=resp, vtn_id=self.vtn_id, events=self.events)
            case m.OadrUpdateReport():
                cancel, self.cancel_on_update = self.cancel_on_update, None
                return m.OadrUpdatedReport(response=resp, ven_id=msg.ven_id, cancel_report=cancel)
            case m.OadrCreateOpt():
                return m.OadrCreatedOpt(response=resp, opt_id=msg.opt_id)
            case m.OadrCancelOpt():
                return m.OadrCanceledOpt(response=resp, opt_id=msg.opt_id)
            case m.OadrPoll():
                if code == 200 and self.queue:
                    return self.queue.popleft()
        return m.OadrResponse(response=resp, ven_id=getattr(msg, "ven_id", None))


class StaticTelemetry:
    """Device data for the VEN: fixed devices, settable readings (the registry's shape)."""

    def __init__(self, devices: list[DeviceInfo]) -> None:
        self._devices = devices
        self._latest: dict[tuple[str, str], Reading] = {}
        self.statuses: dict[str, DeviceStatus] = {}

    def set(self, device: str, point: str, value: float, unit: Unit = Unit.W) -> None:
        self._latest[(device, point)] = Reading(device, point, value, unit, utcnow())

    def devices(self) -> list[DeviceInfo]:
        return list(self._devices)

    def latest(self, device_id: str | None = None) -> list[Reading]:
        return [r for (d, _), r in self._latest.items() if device_id in (None, d)]

    def status(self, device_id: str) -> DeviceStatus | None:
        return self.statuses.get(device_id)


class RecordingHandler:
    def __init__(self, decision: EventDecision | None = None) -> None:
        self.seen: list[DrEvent] = []
        self.decision = decision
        self._default = OptInHandler()

    async def on_event(self, event: DrEvent) -> EventDecision:
        self.seen.append(event)
        return self.decision or await self._default.on_event(event)


def home_devices() -> list[DeviceInfo]:
    return [
        DeviceInfo(
            id="meter",
            driver="modbus",
            kind=DeviceKind.METER,
            points={"power_w": Point(name="power_w", unit=Unit.W)},
        ),
        DeviceInfo(
            id="battery",
            driver="modbus",
            kind=DeviceKind.BATTERY,
            points={
                "setpoint_w": Point(
                    name="setpoint_w",
                    unit=Unit.W,
                    direction=Direction.READ_WRITE,
                    min=-3000,
                    max=3000,
                ),
                "soc": Point(name="soc", unit=Unit.PERCENT),
            },
        ),
        DeviceInfo(
            id="heat_pump",
            driver="modbus",
            kind=DeviceKind.HEAT_PUMP,
            points={"power_w": Point(name="power_w", unit=Unit.W, min=500, max=4000)},
        ),
    ]


@pytest.fixture
def telemetry() -> StaticTelemetry:
    t = StaticTelemetry(home_devices())
    t.set("meter", "power_w", 1234.0)
    t.set("battery", "setpoint_w", 0.0)
    t.set("heat_pump", "power_w", 1500.0)
    return t


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "data") as s:
        yield s


@pytest.fixture
async def vtn() -> AsyncIterator[RecordingVtn]:
    peer = RecordingVtn()
    await peer.start()
    yield peer
    await peer.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def ven_config(url: str, **kw: Any) -> OpenAdrSection:
    return OpenAdrSection(vtn_url=url, ven_name="osb-test", poll_interval_s=0.2, **kw)


def make_ven(
    url: str,
    store: Store,
    telemetry: StaticTelemetry,
    handler: Any = None,
    **kw: Any,
) -> Ven:
    return Ven(
        ven_config(url),
        store,
        telemetry,
        handler or RecordingHandler(),
        PointLimitFlexibility(telemetry),
        request_timeout_s=5.0,
        backoff=Backoff(base_s=0.05, cap_s=0.4),
        **kw,
    )
