import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flexcoop.edge.store import SchemaTooNewError, Store
from flexcoop.edge.store.schema import LATEST_VERSION, MIGRATIONS, migrate, schema_version
from flexcoop.edge.store.store import DB_FILENAME


def make_v1(path: Path, t0: datetime) -> None:
    """A database exactly as the first release wrote it, with data in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    assert migrate(conn, target=1) == [1]
    t0_ms = int(t0.timestamp() * 1000)
    conn.execute("INSERT INTO series (id, device, point, unit) VALUES (1, 'meter', 'import', 'Wh')")
    conn.executemany(
        "INSERT INTO reading (series, ts_ms, value) VALUES (1, ?, ?)",
        [(t0_ms + i * 300_000, 100.0 + 10 * i) for i in range(6)],  # 30 minutes
    )
    conn.execute(
        "INSERT INTO outbox (channel, payload, created_ms) VALUES ('reports', x'01', ?)", (t0_ms,)
    )
    conn.execute(
        "INSERT INTO state (key, value, updated_ms) VALUES ('ven.id', '\"ven-9\"', ?)", (t0_ms,)
    )
    conn.close()


async def test_fresh_database_is_at_the_latest_version(tmp_path: Path) -> None:
    async with Store(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert schema_version(conn) == LATEST_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_upgrade_from_v1_keeps_data_and_aggregates_old_readings(
    tmp_path: Path, t0: datetime
) -> None:
    make_v1(tmp_path / DB_FILENAME, t0)
    async with Store(tmp_path, maintenance_interval_s=3600) as store:
        assert [
            r.value for r in await store.history("meter", "import", t0, t0 + timedelta(hours=1))
        ] == [
            100.0,
            110.0,
            120.0,
            130.0,
            140.0,
            150.0,
        ]
        (item,) = await store.outbox_peek("reports")
        assert item.payload == b"\x01"
        assert await store.get_state("ven.id") == "ven-9"
        # v2 introduced aggregates: readings stored by v1 are rolled up after the upgrade.
        assert await store.aggregate_now(until=t0 + timedelta(hours=1)) == 2
        aggs = await store.aggregates("meter", "import", t0, t0 + timedelta(hours=1))
        assert [(a.count, a.last, a.delta) for a in aggs] == [(3, 120.0, 20.0), (3, 150.0, 30.0)]
        # v3 introduced dedup keys on the outbox.
        first = await store.outbox_put("reports", b"x", dedup_key="k")
        assert await store.outbox_put("reports", b"y", dedup_key="k") == first
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert schema_version(conn) == LATEST_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_each_step_applies_once_and_in_order(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    assert migrate(conn, target=2) == [1, 2]
    assert migrate(conn) == list(range(3, LATEST_VERSION + 1))
    assert migrate(conn) == []
    conn.close()


def test_failed_step_leaves_the_previous_version_intact(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    migrate(conn, target=1)
    conn.execute("CREATE TABLE aggregate (x)")  # makes step 2 fail half-way
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn)
    assert schema_version(conn) == 1
    assert (
        conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'aggregate_pending'"
        ).fetchone()[0]
        == 0
    )
    conn.close()


async def test_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    async with Store(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    store = Store(tmp_path)
    with pytest.raises(SchemaTooNewError, match="newer than this software"):
        await store.start()
    assert not store.health().ok
