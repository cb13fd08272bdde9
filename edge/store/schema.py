"""Versioned schema: an ordered list of migration steps, tracked in ``PRAGMA user_version``.

Step N (1-based) turns a version N−1 database into version N inside one transaction together
with the ``user_version`` bump, so a crash mid-upgrade leaves the previous version intact. Never
edit a released step; append a new one.

Raw readings are compact: one ``series`` row per (device, point) and one ``WITHOUT ROWID`` row
per reading keyed by (series, ts_ms), so a reading costs ~20 bytes and history/latest/retention
are range scans of the primary key.
"""

from __future__ import annotations

import sqlite3

INTERVAL_MS = 900_000

_V1 = (
    """CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        device TEXT NOT NULL,
        point TEXT NOT NULL,
        unit TEXT NOT NULL,
        UNIQUE (device, point))""",
    """CREATE TABLE reading (
        series INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        quality INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (series, ts_ms)) WITHOUT ROWID""",
    """CREATE TABLE event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        device TEXT,
        data TEXT NOT NULL)""",
    "CREATE INDEX event_ts ON event (ts_ms)",
    "CREATE INDEX event_device ON event (device, ts_ms)",
    # AUTOINCREMENT: ids are never reused after an ack, so id order is FIFO order for ever.
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX outbox_channel ON outbox (channel, id)",
    """CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_ms INTEGER NOT NULL)""",
)

_V2 = (
    """CREATE TABLE aggregate (
        series INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        count INTEGER NOT NULL,
        mean REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        last REAL NOT NULL,
        delta REAL,
        PRIMARY KEY (series, start_ms)) WITHOUT ROWID""",
    # Intervals that received readings since they were last rolled up (late readings included).
    """CREATE TABLE aggregate_pending (
        series INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        PRIMARY KEY (series, start_ms)) WITHOUT ROWID""",
    # Readings stored by v1 have never been aggregated.
    f"""INSERT INTO aggregate_pending (series, start_ms)
        SELECT DISTINCT series, ts_ms - ts_ms % {INTERVAL_MS} FROM reading""",
)

_V3 = (
    "ALTER TABLE outbox ADD COLUMN dedup_key TEXT",
    """CREATE UNIQUE INDEX outbox_dedup ON outbox (channel, dedup_key)
        WHERE dedup_key IS NOT NULL""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> list[int]:
    """Apply the missing steps up to ``target``; returns the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises ValueError for a
    database newer than ``target`` (the caller maps that to SchemaTooNewError).
    """
    current = schema_version(conn)
    if current > target:
        raise ValueError(f"database schema v{current} is newer than this software (v{target})")
    applied = []
    for version in range(current + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
