"""Cloud test fixtures: a migrated database on SQLite AND PostgreSQL, a live cloud, tokens.

``db_url`` is parametrised over both back-ends. SQLite: a copy of a database migrated once per
session. PostgreSQL: one database created (and dropped) per session on 127.0.0.1:5432, emptied
before each test; those cases are skipped, with the reason printed, when no server answers.
Every component's tests (VTN, marketplace…) can use these fixtures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import jwt
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.app import CloudSettings, create_app
from flexcoop.cloud.auth.tokens import AuthSettings
from flexcoop.cloud.db import create_database, drop_database, make_engine, migrate
from flexcoop.cloud.server import make_runner

PG_SERVER = os.environ.get("FLEXCOOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
JWT_SECRET = "test-secret-" + "x" * 32
JWT_AUDIENCE = "flexcoop-cloud"
ALL_TEST_SCOPES = (
    "registry:read registry:write timeseries:read timeseries:write contracts:read contracts:write"
)


def mint_token(
    scopes: str = ALL_TEST_SCOPES,
    *,
    ders: list[str] | None = None,
    subject: str = "test-client",
    expires_in_s: float = 3600,
    secret: str = JWT_SECRET,
    audience: str = JWT_AUDIENCE,
) -> str:
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": scopes,
        "aud": audience,
        "iat": int(time.time()),
        "exp": int(time.time() + expires_in_s),
    }
    if ders is not None:
        claims["ders"] = ders
    return jwt.encode(claims, secret, algorithm="HS256")


def test_auth_settings() -> AuthSettings:
    return AuthSettings(hs256_secret=JWT_SECRET, audience=JWT_AUDIENCE)


test_auth_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own for this session (dropped afterwards)."""
    try:
        url = asyncio.run(create_database(PG_SERVER, prefix="flexcoop_test"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = f"PostgreSQL not reachable at {PG_SERVER}: {exc!r}"
        print(f"\nSKIP postgres tests: {reason}")
        pytest.skip(reason)
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("cloud-db") / "template.sqlite"
    asyncio.run(migrate(f"sqlite:///{path}"))
    return path


async def _pg_empty(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"), timeout=3)
    try:
        names = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if names:
            quoted = ", ".join('"' + n + '"' for n in names)
            await conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """URL of an empty, migrated database: SQLite file or the session's PostgreSQL database.

    A plain (sync) fixture on purpose: the session database is made outside any event loop."""
    if request.param == "sqlite":
        path = tmp_path / "cloud.sqlite"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_pg_empty(url))
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


class CloudClient:
    """HTTP client for a live cloud on 127.0.0.1, authorised with a test token by default."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, app: web.Application):
        self.base_url = base_url
        self.session = session
        self.app = app
        self.token: str | None = mint_token()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return out | (headers or {})

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        async with self.session.request(
            method, self.base_url + path, headers=self._headers(headers), **kw
        ) as resp:
            raw = await resp.read()
            body: Any = None
            if raw and resp.content_type == "application/json":
                body = await resp.json()
            elif raw:
                body = raw.decode()
            return resp.status, body, resp.headers


@pytest.fixture
def cloud_settings(db_url: str) -> CloudSettings:
    return CloudSettings(db_url=db_url, auth=test_auth_settings())


@pytest.fixture
async def cloud(cloud_settings: CloudSettings) -> AsyncIterator[CloudClient]:
    """A live cloud on a free port of 127.0.0.1 over the test database."""
    app = await create_app(cloud_settings)
    runner = make_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as session:
        yield CloudClient(f"http://{host}:{port}", session, app)
    await runner.cleanup()


@pytest.fixture
def mint() -> Any:
    """``mint(scopes=..., ders=..., expires_in_s=..., secret=...)`` → a signed test JWT."""
    return mint_token
