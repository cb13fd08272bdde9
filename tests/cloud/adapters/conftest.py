"""A real aiohttp server on 127.0.0.1 that plays the external feeds from recorded fixtures."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from multidict import MultiDict

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    delay_s: float = 0.0


@dataclass
class FeedServer:
    base_url: str = ""
    replies: dict[str, Reply] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    queries: list[MultiDict[str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def serve(self, path: str, reply: Reply) -> None:
        self.replies[path] = reply

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.queries.append(MultiDict(request.query))
        self.headers.append(dict(request.headers))
        reply = self.replies.get(request.path)
        if reply is None:
            return web.Response(status=404, text="no such path")
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return web.Response(body=reply.body, status=reply.status, content_type=reply.content_type)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()
