"""The cloud's aiohttp application: settings, the shared context and the component contract.

A component is a module with ``def setup(app: web.Application, ctx: CloudContext) -> None``; it
adds its routes (REST routes via ``ctx.api.include(RouteTable)`` so they share auth, validation
and the OpenAPI document; VTN routes directly under ``VTN_PREFIX``; pages under ``/``) and, if it
runs background work, an ``app.cleanup_ctx`` entry. Components are listed by dotted name in
``COMPONENTS``, imported at start-up: a missing or broken component fails loudly.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop import __version__
from flexcoop.cloud.auth.hooks import BearerAuthorizer
from flexcoop.cloud.auth.tokens import AuthSettings, JwtVerifier, TokenVerifier
from flexcoop.cloud.db import make_engine, migrate_engine
from flexcoop.cloud.registry.service import RegistryService
from flexcoop.cloud.timeseries.service import TimeseriesService
from flexcoop.httpapi import Api

API_PREFIX = "/api/v1"
VTN_PREFIX = "/OpenADR2/Simple/2.0b"

COMPONENTS: tuple[str, ...] = (
    "flexcoop.cloud.registry.api",
    "flexcoop.cloud.registry.portal",
    "flexcoop.cloud.timeseries.api",
    "flexcoop.cloud.marketplace.api",
    "flexcoop.cloud.vtn.http",
)


class CloudSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db_url: str = "sqlite:///flexcoop-cloud.sqlite"
    open_registration: bool = Field(
        False, description="let any VEN register without a certificate (labs only)"
    )
    der_timeout_s: float = Field(300.0, gt=0, description="silence before a DER is timed out")
    keepalive_flush_s: float = Field(1.0, gt=0, le=60)
    keepalive_resolution_s: float | None = Field(
        None,
        ge=0,
        description="write a DER's keep-alive at most this often (default: time-out / 10)",
    )
    sweep_interval_s: float | None = Field(None, gt=0, description="default: time-out / 4")
    raw_retention_days: float = Field(14.0, gt=0)
    aggregate_retention_days: float = Field(3650.0, gt=0)
    flex_offer_retention_days: float = Field(400.0, gt=0)
    retention_interval_s: float = Field(3600.0, gt=0)
    max_body_bytes: int = Field(1 << 20, ge=1024)
    auth: AuthSettings = Field(default_factory=AuthSettings)


@dataclass
class CloudContext:
    """What every component gets: the database and the shared services."""

    engine: AsyncEngine
    settings: CloudSettings
    registry: RegistryService
    timeseries: TimeseriesService
    verifier: TokenVerifier
    api: Api


CONTEXT = web.AppKey("flexcoop_cloud_context", CloudContext)


async def create_app(settings: CloudSettings) -> web.Application:
    """Migrate the database, build the context and set up every component."""
    engine = make_engine(settings.db_url)
    try:
        await migrate_engine(engine)
    except BaseException:
        await engine.dispose()
        raise
    verifier = JwtVerifier(settings.auth)
    ctx = CloudContext(
        engine=engine,
        settings=settings,
        registry=RegistryService(
            engine,
            timeout_s=settings.der_timeout_s,
            flush_interval_s=settings.keepalive_flush_s,
            sweep_interval_s=settings.sweep_interval_s,
            resolution_s=settings.keepalive_resolution_s,
        ),
        timeseries=TimeseriesService(
            engine,
            raw_retention_days=settings.raw_retention_days,
            aggregate_retention_days=settings.aggregate_retention_days,
            flex_offer_retention_days=settings.flex_offer_retention_days,
            retention_interval_s=settings.retention_interval_s,
        ),
        verifier=verifier,
        api=Api(
            API_PREFIX,
            title="flexcoop cloud API",
            version=__version__,
            authorizer=BearerAuthorizer(verifier),
            max_body_bytes=settings.max_body_bytes,
        ),
    )
    app = web.Application(client_max_size=settings.max_body_bytes + 1)
    app[CONTEXT] = ctx

    async def core_lifecycle(_app: web.Application) -> AsyncIterator[None]:
        # Appended first, so it is cleaned up last: components stop before the engine goes.
        await ctx.registry.start()
        await ctx.timeseries.start()
        try:
            yield
        finally:
            await ctx.timeseries.stop()
            await ctx.registry.stop()
            await engine.dispose()

    app.cleanup_ctx.append(core_lifecycle)
    for name in COMPONENTS:
        importlib.import_module(name).setup(app, ctx)
    ctx.api.install(app)
    return app
