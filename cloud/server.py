"""``flexcoop cloud``: migrate the database, serve VTN, REST API and portal, stop on SIGTERM.

Token keys come from the environment, never from flags (they would show in ``ps``):
``FLEXCOOP_JWT_HS256_SECRET`` and/or ``FLEXCOOP_JWT_ES256_PUBLIC_KEY`` (PEM). Without either,
every ``/api/v1`` request except the OpenAPI document is refused.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl

from aiohttp import web

from flexcoop.aio import run_fast
from flexcoop.cloud.app import CloudSettings, create_app
from flexcoop.cloud.auth.tokens import AuthSettings
from flexcoop.cloud.vtn.tls import server_context
from flexcoop.logs import event, get_logger, setup_logging

log = get_logger(__name__)


def settings_from_env(db_url: str, open_registration: bool) -> CloudSettings:
    return CloudSettings(
        db_url=db_url,
        open_registration=open_registration,
        auth=AuthSettings(
            hs256_secret=os.environ.get("FLEXCOOP_JWT_HS256_SECRET") or None,
            es256_public_key_pem=os.environ.get("FLEXCOOP_JWT_ES256_PUBLIC_KEY") or None,
        ),
    )


# Bulk queries repeat der_id in the query string: allow long request lines.
MAX_LINE_BYTES = 65_536


def make_runner(app: web.Application) -> web.AppRunner:
    return web.AppRunner(
        app, handle_signals=False, max_line_size=MAX_LINE_BYTES, max_field_size=MAX_LINE_BYTES
    )


async def serve(
    settings: CloudSettings, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly."""
    if settings.open_registration:
        event(
            log,
            "open_registration_enabled",
            logging.WARNING,
            note="any VEN may register (labs only)",
        )
    if settings.auth.hs256_secret is None and settings.auth.es256_public_key_pem is None:
        event(
            log,
            "api_tokens_unverifiable",
            logging.WARNING,
            note="no JWT key set: /api/v1 refuses all",
        )
    app = await create_app(settings)
    runner = make_runner(app)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        for addr in runner.addresses:
            event(log, "cloud_listening", host=addr[0], port=addr[1])
        await stop.wait()
        event(log, "cloud_stopping")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()


def run_server(
    host: str,
    port: int,
    db_url: str,
    open_registration: bool,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    tls_ca: str | None = None,
) -> int:
    """``tls_cert``+``tls_key``: HTTPS (TLS >= 1.2); with ``tls_ca`` also mutual TLS."""
    setup_logging(os.environ.get("FLEXCOOP_LOG_LEVEL", "INFO"))
    try:
        settings = settings_from_env(db_url, open_registration)
        ssl_context = None
        if tls_cert or tls_key or tls_ca:
            if not (tls_cert and tls_key):
                raise ValueError("--tls-cert and --tls-key go together (--tls-ca needs both)")
            ssl_context = server_context(tls_cert, tls_key, tls_ca)
    except (ValueError, OSError, ssl.SSLError) as exc:
        print(f"configuration error: {exc}")
        return 2
    run_fast(serve(settings, host, port, ssl_context))
    return 0
