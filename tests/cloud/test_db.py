"""The shared database layer: URLs, pragmas, migrations on both back-ends, schema = metadata."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.db import (
    CLOUD_DIR,
    Base,
    DatabaseUrlError,
    async_url,
    bulk_source,
    make_engine,
    migrate,
    version_locations,
)


def test_urls_map_onto_async_drivers() -> None:
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("sqlite://") == "sqlite+aiosqlite://"
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    with pytest.raises(DatabaseUrlError, match="mysql"):
        async_url("mysql://u@h/db")


def test_every_component_with_revisions_is_found() -> None:
    found = {p.parent.parent.name for p in version_locations()}
    assert {"registry", "timeseries"} <= found
    assert all(p.is_relative_to(CLOUD_DIR) for p in version_locations())


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_memory_database_is_one_database() -> None:
    engine = make_engine("sqlite://")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        await engine.dispose()


def _diff(sync_conn) -> list:
    for tables in sorted(CLOUD_DIR.glob("*/tables.py")):
        importlib.import_module(f"flexcoop.cloud.{tables.parent.name}.tables")
    ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return compare_metadata(ctx, Base.metadata)


async def test_migrated_schema_equals_the_table_definitions(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_migrate_is_idempotent_and_records_every_branch(db_url: str, engine) -> None:
    await migrate(db_url)
    async with engine.connect() as conn:
        heads = {r[0] for r in await conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert {"registry_0002", "timeseries_0001"} <= heads


async def test_timestamps_come_back_aware_utc(engine: AsyncEngine) -> None:
    from flexcoop.cloud.registry.tables import DerRow

    local = datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    row: dict[str, Any] = {
        "der_id": "d1",
        "ven_id": "v1",
        "der_type": "pv",
        "location_cell": "c",
        "capabilities": {},
        "contract_id": None,
        "status": "online",
        "registered_at": local,
        "last_seen": local,
        "version": 1,
    }
    async with engine.begin() as conn:
        await conn.execute(DerRow.__table__.insert(), [row])
        got = (await conn.execute(DerRow.__table__.select())).one()
    assert got.last_seen == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert got.last_seen.tzinfo is UTC


async def test_bulk_source_yields_the_rows(engine: AsyncEngine) -> None:
    rows = [("a", datetime(2026, 1, 1, tzinfo=UTC), 1.5, 3), ("b'; DROP", None, -2.0, 4)]
    async with engine.connect() as conn:
        sql, params = bulk_source(
            conn, "s", [("name", "text"), ("ts", "ts"), ("x", "float"), ("n", "int")], rows
        )
        got = (
            await conn.execute(text(f"SELECT s.name, s.x, s.n FROM {sql} ORDER BY s.name"), params)
        ).all()
    assert [tuple(r) for r in got] == [("a", 1.5, 3), ("b'; DROP", -2.0, 4)]
