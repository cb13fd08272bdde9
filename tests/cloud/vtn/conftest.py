"""VTN fixtures: a live VTN (real HTTP on 127.0.0.1, real registry and time series) over the
cloud test database (SQLite and PostgreSQL, see tests/cloud/conftest.py), and a small VEN-side
client that speaks through our codec."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.app import VTN_PREFIX
from flexcoop.cloud.registry.service import RegistryService
from flexcoop.cloud.timeseries.service import TimeseriesService
from flexcoop.cloud.vtn.http import install
from flexcoop.cloud.vtn.service import VtnService
from flexcoop.cloud.vtn.settings import VtnSettings
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode


@dataclass
class Ven:
    """A minimal VEN: posts typed messages, decodes answers, remembers its ids."""

    base_url: str
    session: aiohttp.ClientSession
    name: str = "ven-test"
    ven_id: str | None = None
    registration_id: str | None = None
    ssl: Any = None
    sent: list[bytes] = field(default_factory=list)

    async def raw(self, service: str, body: bytes, **kw: Any) -> tuple[int, bytes]:
        async with self.session.post(
            f"{self.base_url}/{service}",
            data=body,
            headers={"Content-Type": "application/xml"},
            ssl=self.ssl,
            **kw,
        ) as resp:
            return resp.status, await resp.read()

    async def send(self, service: str, msg: m.OadrMessage) -> Any:
        body = encode(msg)
        self.sent.append(body)
        status, reply = await self.raw(service, body)
        assert status == 200, reply
        return decode(reply)

    async def register(self) -> m.OadrCreatedPartyRegistration:
        reply = await self.send(
            "EiRegisterParty",
            m.OadrCreatePartyRegistration(ven_name=self.name, ven_id=self.ven_id),
        )
        assert reply.response.response_code == 200, reply.response
        self.ven_id, self.registration_id = reply.ven_id, reply.registration_id
        return reply

    async def poll(self) -> Any:
        assert self.ven_id
        return await self.send("OadrPoll", m.OadrPoll(ven_id=self.ven_id))


@dataclass
class VtnHarness:
    url: str
    service: VtnService
    registry: RegistryService
    timeseries: TimeseriesService
    engine: AsyncEngine
    session: aiohttp.ClientSession

    def ven(self, name: str = "ven-test", **kw: Any) -> Ven:
        return Ven(self.url, self.session, name, **kw)


TEST_SETTINGS = VtnSettings(
    open_registration=True,
    poll_freq_s=1,
    telemetry_granularity_s=1,
    telemetry_report_back_s=1,
    generation_check_s=0.05,
    keepalive_flush_s=0.1,
    max_body_bytes=100_000,
)


async def start_vtn(
    engine: AsyncEngine, settings: VtnSettings, *, ssl_context: Any = None
) -> tuple[web.AppRunner, VtnService, RegistryService, TimeseriesService, str]:
    registry = RegistryService(engine, timeout_s=300, flush_interval_s=0.1)
    timeseries = TimeseriesService(engine)
    service = VtnService(engine, settings, registry, timeseries)
    app = web.Application()
    install(app, service)

    async def core(_app: web.Application) -> AsyncIterator[None]:
        await registry.start()
        yield
        await registry.stop()

    app.cleanup_ctx.insert(0, core)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    host, port = runner.addresses[0][:2]
    scheme = "https" if ssl_context else "http"
    return runner, service, registry, timeseries, f"{scheme}://{host}:{port}{VTN_PREFIX}"


@pytest.fixture
def sqlite_db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """For modules that test transport or interop, not storage: SQLite only. Use with
    ``db_url = sqlite_only`` at module level."""
    path = tmp_path / "vtn.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def vtn_settings() -> VtnSettings:
    return TEST_SETTINGS


@pytest.fixture
async def vtn(engine: AsyncEngine, vtn_settings: VtnSettings) -> AsyncIterator[VtnHarness]:
    runner, service, registry, timeseries, url = await start_vtn(engine, vtn_settings)
    async with aiohttp.ClientSession() as session:
        yield VtnHarness(url, service, registry, timeseries, engine, session)
    await runner.cleanup()
