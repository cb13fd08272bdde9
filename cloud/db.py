"""Cloud storage: one SQLAlchemy metadata, engines for SQLite and PostgreSQL, Alembic migrations.

Each component keeps its tables in ``cloud/<component>/tables.py`` (on ``Base.metadata``) and its
Alembic revisions in ``cloud/<component>/migrations/versions/`` on its own branch
(``branch_labels=("<component>",)``, first revision ``down_revision=None``). The Alembic env in
``cloud/migrations/`` finds every such folder by itself, so adding a component never edits a
shared file. ``migrate`` upgrades all branches (``heads``).

Bulk statements (keep-alives, telemetry) use ``bulk_source``: one statement per batch, whatever
the batch size, on both back-ends.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from flexcoop.units import ensure_utc

CLOUD_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = CLOUD_DIR / "migrations"


class Base(DeclarativeBase):
    """Shared metadata of every cloud component's tables."""


class UtcDateTime(TypeDecorator[datetime]):
    """tz-aware UTC in and out on every back-end (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DatabaseUrlError(ValueError):
    """A database URL this cloud cannot use."""


def async_url(url: str) -> str:
    """Map the user-facing URL onto the async driver: aiosqlite or asyncpg."""
    for prefix, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise DatabaseUrlError(
        f"unsupported database URL {url.split('://')[0]!r}://… "
        "(use sqlite:///path, sqlite:// or postgresql://user@host/db)"
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Several workers share one file; wait for the writer instead of failing at once.
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``sqlite:///path``, ``sqlite://`` (memory) or ``postgresql://…``."""
    target = async_url(url)
    if target.startswith("sqlite"):
        in_memory = target in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:")
        # A memory database lives in its connection: share one, or every checkout is empty.
        extra: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
        engine = create_async_engine(target, connect_args={"check_same_thread": False}, **extra)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(target, pool_size=10, max_overflow=10, pool_pre_ping=True)


def version_locations() -> list[Path]:
    """Every component's revision folder: ``cloud/<component>/migrations/versions``."""
    return sorted(CLOUD_DIR.glob("*/migrations/versions"))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in version_locations()))
    return cfg


def _upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def migrate_engine(engine: AsyncEngine, revision: str = "heads") -> None:
    """Upgrade the database behind ``engine`` (needed for ``sqlite://``, which lives in it)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def migrate(url: str) -> None:
    """Alembic ``upgrade heads``: every component's branch to its newest revision."""
    engine = make_engine(url)
    try:
        await migrate_engine(engine)
    finally:
        await engine.dispose()


def _server_dsn(server_url: str) -> str:
    return async_url(server_url).replace("postgresql+asyncpg://", "postgresql://")


async def create_database(server_url: str, prefix: str = "flexcoop_scratch") -> str:
    """Create a new, empty PostgreSQL database on the server of ``server_url`` (any database
    there to connect to); returns its URL. For tests and benchmarks; see ``drop_database``."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_server_dsn(server_url), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(url: str) -> None:
    """Drop a database made by ``create_database`` (connected sessions are ended)."""
    import asyncpg

    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(_server_dsn(base + "/postgres"), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlite_timestamp(value: datetime | str | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC): raw bulk SQL must
    produce the same strings so that comparing bound and stored values stays chronological.
    Strings pass through (they came out of the database)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not UTC:
        value = ensure_utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


# Column kinds understood by bulk_source, per back-end.
_PG_TYPES = {"text": "text[]", "ts": "timestamptz[]", "float": "float8[]", "int": "int8[]"}


def bulk_source(
    conn: AsyncConnection,
    alias: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> tuple[str, dict[str, Any]]:
    """A FROM-clause fragment yielding ``rows`` as table ``alias`` in ONE statement.

    ``columns`` are ``(name, kind)`` with kind in text/ts/float/int. PostgreSQL: ``unnest`` of one
    array per column; SQLite: ``json_each`` of one JSON document. Returns ``(sql, params)``.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        params = {f"{alias}_{i}": [row[i] for row in rows] for i in range(len(columns))}
        arrays = ", ".join(
            f"CAST(:{alias}_{i} AS {_PG_TYPES[kind]})" for i, (_, kind) in enumerate(columns)
        )
        names = ", ".join(name for name, _ in columns)
        return f"unnest({arrays}) AS {alias}({names})", params
    if dialect == "sqlite":
        ts_cols = [i for i, (_, kind) in enumerate(columns) if kind == "ts"]
        data: Sequence[Sequence[Any]] = rows
        if ts_cols:
            data = converted = [list(row) for row in rows]
            for row in converted:
                for i in ts_cols:
                    row[i] = sqlite_timestamp(row[i])
        payload = json.dumps(data)
        cols = ", ".join(
            f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _) in enumerate(columns)
        )
        return f"(SELECT {cols} FROM json_each(:{alias}_json)) AS {alias}", {
            f"{alias}_json": payload
        }
    raise DatabaseUrlError(f"unsupported database dialect {dialect!r}")


def sql_json(conn: AsyncConnection, expr: str) -> str:
    """``expr`` (JSON text) as a value for a JSON column: PostgreSQL needs a cast, SQLite must
    not get one (it would cast to a number)."""
    return f"CAST({expr} AS JSON)" if conn.dialect.name == "postgresql" else expr


def sql_least_greatest(conn: AsyncConnection) -> tuple[str, str]:
    """Scalar two-argument min/max: SQLite spells them min()/max(), PostgreSQL LEAST/GREATEST."""
    return ("min", "max") if conn.dialect.name == "sqlite" else ("LEAST", "GREATEST")
