"""simpleHttp endpoints ``POST /OpenADR2/Simple/2.0b/{service}`` and the cloud component hook.

Transport-level problems are HTTP errors (413 body too large, 400 not an OpenADR document:
malformed XML, DOCTYPE/entities, wrong root or namespace); everything readable as an OpenADR
message gets an OpenADR answer with an eiResponse code. The client certificate's fingerprint
(mutual TLS) is read from the connection, never from the message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from flexcoop.cloud.app import VTN_PREFIX, CloudContext
from flexcoop.cloud.vtn.api import routes
from flexcoop.cloud.vtn.fastpoll import empty_reply, poll_ven_id
from flexcoop.cloud.vtn.service import SERVICES, VTN_KEY, VtnService, error_reply
from flexcoop.cloud.vtn.settings import VtnSettings
from flexcoop.cloud.vtn.shared import Peer
from flexcoop.cloud.vtn.tls import peer_fingerprint
from flexcoop.logs import event, get_logger
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode

log = get_logger(__name__)

XML = "application/xml"
XML_HEADERS = {"Content-Type": XML}
_NO_CERT = Peer()


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) anything over ``max_bytes`` before reading it all."""
    length = request.content_length
    if length is not None:
        if length > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=length)
        return await request.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


def peer_of(request: web.Request) -> Peer:
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return _NO_CERT
    return Peer(peer_fingerprint(ssl_object))


def _xml(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=XML)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def service_handler(vtn: VtnService, service: str) -> Handler:
    allowed = SERVICES[service]
    max_bytes = vtn.settings.max_body_bytes

    async def handle(request: web.Request) -> web.Response:
        body = await read_body(request, max_bytes)
        try:
            msg = decode(body, max_bytes=max_bytes)
        except CodecError as exc:
            event(log, "vtn_message_refused", service=service, code=exc.code, error=str(exc))
            if exc.code == m.ResponseCode.BAD_REQUEST:
                raise web.HTTPBadRequest(text=f"not an OpenADR 2.0b message: {exc}") from None
            reply = m.OadrResponse(
                response=m.EiResponse(
                    response_code=exc.code,
                    response_description=str(exc)[:256],
                    request_id=exc.request_id or "",
                )
            )
            return _xml(encode(reply))
        peer = peer_of(request)
        if msg.message_type not in allowed:
            reply_msg = error_reply(
                msg,
                m.ResponseCode.NOT_RECOGNIZED,
                f"{msg.message_type} is not part of {service}",
                vtn.settings.vtn_id,
            )
            return _xml(encode(reply_msg))
        return _xml(await vtn.handle(msg, peer))

    return handle


def poll_handler(vtn: VtnService) -> Handler:
    """OadrPoll: canonical polls from known VENs with nothing waiting never touch the database,
    the XML parser or the encoder; everything else falls back to the full path."""
    full = service_handler(vtn, "OadrPoll")
    directory = vtn.directory
    max_bytes = vtn.settings.max_body_bytes

    async def handle(request: web.Request) -> web.Response:
        length = request.content_length
        if length is None or length > max_bytes:
            return await full(request)
        body = await request.read()
        ven_id = poll_ven_id(body)
        known = directory.known.get(ven_id) if ven_id is not None else None
        if (
            known is None
            or ven_id in directory.pending
            or (
                known.cert_fingerprint is not None
                and known.cert_fingerprint != peer_of(request).cert_fingerprint
            )
        ):
            return await full(request)
        directory.seen(known.ven_id)
        return web.Response(body=empty_reply(known.ven_id), headers=XML_HEADERS)

    return handle


def install(app: web.Application, vtn: VtnService) -> None:
    """Add the VTN's routes and its lifecycle (start/stop with the app) to ``app``."""
    app[VTN_KEY] = vtn
    for service in SERVICES:
        handler = poll_handler(vtn) if service == "OadrPoll" else service_handler(vtn, service)
        app.router.add_post(f"{VTN_PREFIX}/{service}", handler)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await vtn.start()
        try:
            yield
        finally:
            await vtn.stop()

    app.cleanup_ctx.append(lifecycle)


def setup(app: web.Application, ctx: CloudContext) -> None:
    """The cloud component hook (``flexcoop.cloud.app.COMPONENTS``)."""
    settings = VtnSettings(
        open_registration=ctx.settings.open_registration,
        max_body_bytes=ctx.settings.max_body_bytes,
    )
    install(app, VtnService(ctx.engine, settings, ctx.registry, ctx.timeseries))
    ctx.api.include(routes)
