"""All SQL of the edge store. Synchronous by design: a ``Database`` lives on the one thread the
``Store`` owns (its single-worker executor) and is never touched from anywhere else.

Durability discipline (the reason for the two ``synchronous`` levels):

* The connection runs WAL with ``synchronous=NORMAL``. A committed WAL transaction is in the
  OS page cache before ``COMMIT`` returns, so it survives ``kill -9`` of the daemon; only a
  power cut can lose the last commits. That is the right price for readings, which arrive by
  the thousand per second and are re-measured anyway.
* Outbox, state and event transactions, and the last batch of ``Store.flush()``, run with
  ``synchronous=FULL``: SQLite fsyncs the WAL before ``COMMIT`` returns, and because the WAL is
  one sequential file that fsync also covers every earlier NORMAL commit. So "returned" means
  "on the medium" for everything that must reach the cloud, even across a power cut.

Failures of the medium (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, OSError)
close the connection and surface as ``StoreUnavailableError``; the next call reopens. A database
file that vanished while open (``rm -rf`` of the data dir) would silently swallow every later
write, so each write first checks that the path still names the file we opened; if it is gone
the open connection still sees the old contents and copies them back (``VACUUM INTO``). A
file put in its place is not written to until a restart (see ``_check_file``).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flexcoop.edge.model import Quality, Reading
from flexcoop.edge.store.models import (
    Aggregate,
    EventKind,
    OutboxItem,
    SchemaTooNewError,
    StoredEvent,
    StoreUnavailableError,
)
from flexcoop.edge.store.schema import INTERVAL_MS, migrate, schema_version
from flexcoop.logs import event, get_logger
from flexcoop.units import Unit

log = get_logger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_QUALITY_CODE = {Quality.GOOD: 0, Quality.RESUMED: 1, Quality.ESTIMATED: 2}
_QUALITY = {code: q for q, code in _QUALITY_CODE.items()}
# Pending intervals closer than this are rolled up in one scan (re-deriving an unchanged
# interval in between is idempotent and cheaper than another query).
_RUN_GAP_MS = 96 * INTERVAL_MS
_LIVENESS = (EventKind.DEVICE_OFFLINE.value, EventKind.DEVICE_ONLINE.value)


def to_ms(ts: datetime) -> int:
    """Milliseconds since the epoch, exact (integer arithmetic; sub-ms digits are truncated)."""
    return (ts - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True, slots=True)
class InsertResult:
    stored: int
    rejected: int


# Longest span rolled up in one transaction, so ingest is never held up for long.
_RUN_MAX_MS = 7 * 24 * 3600 * 1000

AggregateRow = tuple[int, int, float, float, float, float, float | None]


def roll_up(
    rows: Iterable[tuple[int, float]], previous: float | None, energy: bool
) -> list[AggregateRow]:
    """15-minute aggregates ``(start_ms, count, mean, min, max, last, delta)`` of readings
    ``(ts_ms, value)`` sorted by time; ``previous`` is the value just before the first one.

    A single pass in Python: measured 4x faster than the same roll-up as SQL window functions
    (whose GROUP BY needs a temporary B-tree).
    """
    out: list[AggregateRow] = []
    current = -1
    n = 0
    total = lo = hi = last = delta = 0.0
    for ts, value in rows:
        k = ts - ts % INTERVAL_MS
        if k != current:
            if n:
                out.append((current, n, total / n, lo, hi, last, delta if energy else None))
            current, n, total, lo, hi, delta = k, 0, 0.0, value, value, 0.0
        n += 1
        total += value
        if value < lo:
            lo = value
        elif value > hi:
            hi = value
        if previous is not None and value > previous:
            delta += value - previous
        previous = last = value
    if n:
        out.append((current, n, total / n, lo, hi, last, delta if energy else None))
    return out


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        # (device, point) -> (series id, unit); only ever holds committed rows.
        self._series: dict[tuple[str, str], tuple[int, str]] = {}
        self._unsynced = False

    # -- connection lifecycle ---------------------------------------------------------------

    def open(self) -> list[int]:
        """Open (creating directory and file as needed) and migrate; returns versions applied."""
        self.close()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailableError(f"cannot open {self.path}: {_describe(exc)}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreUnavailableError(f"{self.path}: cannot enable WAL (got {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            try:
                applied = migrate(conn)
            except ValueError as exc:
                raise SchemaTooNewError(f"{self.path}: {exc}") from None
            st = os.stat(self.path)
            series = conn.execute("SELECT id, device, point, unit FROM series").fetchall()
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise StoreUnavailableError(f"cannot open {self.path}: {_describe(exc)}") from exc
            raise
        self._conn = conn
        self._identity = (st.st_dev, st.st_ino)
        self._series = {(d, p): (i, u) for i, d, p, u in series}
        if applied:
            event(log, "store_migrated", path=str(self.path), versions=applied)
        return applied

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error as exc:
                event(log, "store_close_failed", error=_describe(exc))

    def _connection(self, *, writing: bool) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        elif writing:
            self._check_file()
        assert self._conn is not None
        return self._conn

    def _check_file(self) -> None:
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            self._salvage()
            return
        if (st.st_dev, st.st_ino) != self._identity:
            # Closing our connection now would make SQLite delete "<path>-wal" by name, which
            # may belong to the new file: hold writes back until a restart opens the new one.
            raise StoreUnavailableError(
                f"{self.path} was replaced by another file while open; restart the store to "
                "use it (writes are held back so neither database is damaged)"
            )

    def _salvage(self) -> None:
        """Copy the open (unlinked) database back to its path, then continue on the copy.

        Until that works (say the data partition is not back yet) the old connection stays
        open: it is the only copy left, and no write goes to it because every write checks
        the path first and ends up here again.
        """
        old = self._conn
        assert old is not None
        staging = self.path.with_name(self.path.name + ".salvage")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            staging.unlink(missing_ok=True)
            old.execute("VACUUM INTO ?", (str(staging),))
            # Atomic: a half-written copy never appears under the real name.
            os.replace(staging, self.path)
        except (sqlite3.Error, OSError) as exc:
            try:
                staging.unlink(missing_ok=True)
            except OSError:
                pass  # the directory itself is unusable; nothing was left behind
            raise StoreUnavailableError(
                f"{self.path} vanished while open and cannot be re-created yet: {_describe(exc)}"
            ) from exc
        self._conn = None
        old.close()
        self.open()
        event(log, "store_db_vanished", path=str(self.path), salvaged=True)
        with self._tx(durable=True) as conn:
            self._insert_event(
                conn,
                EventKind.STORE_RECOVERED,
                None,
                {"reason": "database file vanished while open", "salvaged": True},
                to_ms(datetime.now(UTC)),
            )

    @contextmanager
    def _tx(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        conn = self._guarded(lambda: self._connection(writing=True))
        try:
            if durable:
                conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
            self._unsynced = not durable
        except (sqlite3.Error, OSError) as exc:
            self._abandon()
            raise StoreUnavailableError(_describe(exc)) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if durable and self._conn is conn:
                conn.execute("PRAGMA synchronous = NORMAL")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._guarded(lambda: self._connection(writing=False))
        try:
            yield conn
        except (sqlite3.Error, OSError) as exc:
            self._abandon()
            raise StoreUnavailableError(_describe(exc)) from exc

    def _guarded(self, get: Any) -> sqlite3.Connection:
        try:
            conn: sqlite3.Connection = get()
        except (sqlite3.Error, OSError) as exc:
            self._abandon()
            raise StoreUnavailableError(_describe(exc)) from exc
        return conn

    def _abandon(self) -> None:
        """After a medium failure: drop the connection so the next call starts afresh."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the connection is being discarded; SQLite rolls back on close anyway
        try:
            conn.close()
        except sqlite3.Error:
            pass

    @property
    def needs_sync(self) -> bool:
        return self._unsynced

    def probe(self) -> None:
        """A real (tiny) write, to learn whether the medium takes writes again."""
        with self._tx() as conn:
            conn.execute(f"PRAGMA user_version = {schema_version(conn)}")

    def sync(self) -> None:
        """Make every commit so far durable (fsync the WAL) if some were NORMAL-only."""
        if not self._unsynced:
            return
        self._guarded(lambda: self._connection(writing=True))
        wal = Path(f"{self.path}-wal")
        try:
            fd = os.open(wal, os.O_RDONLY)
        except FileNotFoundError:
            self._unsynced = False  # checkpointed and removed: the data is in the main file
            return
        except OSError as exc:
            raise StoreUnavailableError(f"cannot sync {wal}: {exc}") from exc
        try:
            os.fsync(fd)
        except OSError as exc:
            raise StoreUnavailableError(f"cannot sync {wal}: {exc}") from exc
        finally:
            os.close(fd)
        self._unsynced = False

    def checkpoint(self) -> None:
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA optimize")

    # -- readings ---------------------------------------------------------------------------

    def insert_readings(
        self, readings: Sequence[Reading], min_ts_ms: int, *, durable: bool = False
    ) -> InsertResult:
        """Store a batch (one transaction); readings older than ``min_ts_ms``, with a
        non-finite value or that are not Readings at all are rejected, never stored."""
        rows: list[tuple[int, int, float, int]] = []
        pending: set[tuple[int, int]] = set()
        created: dict[tuple[str, str], tuple[int, str]] = {}
        known = self._series
        rejected = 0
        with self._tx(durable=durable) as conn:
            for r in readings:
                try:
                    key = (r.device, r.point)
                    ts_ms = (r.ts - EPOCH) // _MS
                    value = float(r.value)
                    # Enum hashing runs Python code: skip it for the common case.
                    quality = 0 if r.quality is Quality.GOOD else _QUALITY_CODE[r.quality]
                    unit = r.unit
                except (AttributeError, TypeError, KeyError, ValueError):
                    rejected += 1
                    continue
                if ts_ms < min_ts_ms or not math.isfinite(value):
                    rejected += 1
                    continue
                entry = created.get(key) or known.get(key)
                if entry is None or entry[1] != unit:
                    sid = conn.execute(
                        "INSERT INTO series (device, point, unit) VALUES (?, ?, ?) "
                        "ON CONFLICT (device, point) DO UPDATE SET unit = excluded.unit "
                        "RETURNING id",
                        (r.device, r.point, str(unit)),
                    ).fetchone()[0]
                    entry = created[key] = (sid, str(unit))
                sid = entry[0]
                rows.append((sid, ts_ms, value, quality))
                pending.add((sid, ts_ms - ts_ms % INTERVAL_MS))
            conn.executemany(
                "INSERT OR REPLACE INTO reading (series, ts_ms, value, quality) VALUES (?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO aggregate_pending (series, start_ms) VALUES (?, ?)", pending
            )
        known.update(created)
        return InsertResult(stored=len(rows), rejected=rejected)

    def latest(self, device: str | None) -> list[Reading]:
        sql = (
            "SELECT s.device, s.point, s.unit, r.ts_ms, r.value, r.quality "
            "FROM series s JOIN reading r ON r.series = s.id "
            "AND r.ts_ms = (SELECT max(ts_ms) FROM reading WHERE series = s.id)"
        )
        args: tuple[Any, ...] = ()
        if device is not None:
            sql += " WHERE s.device = ?"
            args = (device,)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY s.device, s.point", args).fetchall()
        return [_reading(d, p, u, ts, v, q) for d, p, u, ts, v, q in rows]

    def history(
        self, device: str, point: str, start_ms: int, end_ms: int, limit: int
    ) -> list[Reading]:
        with self._read() as conn:
            found = conn.execute(
                "SELECT id, unit FROM series WHERE device = ? AND point = ?", (device, point)
            ).fetchone()
            if found is None:
                return []
            sid, unit = found
            rows = conn.execute(
                "SELECT ts_ms, value, quality FROM reading "
                "WHERE series = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms LIMIT ?",
                (sid, start_ms, end_ms, limit),
            ).fetchall()
        return [_reading(device, point, unit, ts, v, q) for ts, v, q in rows]

    # -- aggregation ------------------------------------------------------------------------

    def pending_runs(self, until_ms: int) -> list[tuple[int, int, int]]:
        """(series, lo, hi) ranges covering every pending interval that ended by ``until_ms``."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT series, start_ms FROM aggregate_pending WHERE start_ms <= ? "
                "ORDER BY series, start_ms",
                (until_ms - INTERVAL_MS,),
            ).fetchall()
        runs: list[tuple[int, int, int]] = []
        for sid, start in rows:
            if (
                runs
                and runs[-1][0] == sid
                and start - runs[-1][2] <= _RUN_GAP_MS
                and start - runs[-1][1] < _RUN_MAX_MS
            ):
                runs[-1] = (sid, runs[-1][1], start + INTERVAL_MS)
            else:
                runs.append((sid, start, start + INTERVAL_MS))
        return runs

    def aggregate_run(self, series: int, lo: int, hi: int, until_ms: int) -> int:
        """Recompute the aggregates of ``series`` in [lo, hi); returns rows written."""
        with self._tx() as conn:
            unit = conn.execute("SELECT unit FROM series WHERE id = ?", (series,)).fetchone()[0]
            energy = unit == Unit.WH.value
            previous = None
            if energy:
                # The next interval's delta starts from this run's last reading: redo it too.
                nxt = conn.execute(
                    "SELECT min(ts_ms) FROM reading WHERE series = ? AND ts_ms >= ?",
                    (series, hi),
                ).fetchone()[0]
                if nxt is not None:
                    k = nxt - nxt % INTERVAL_MS
                    pending = conn.execute(
                        "SELECT 1 FROM aggregate_pending WHERE series = ? AND start_ms = ?",
                        (series, k),
                    ).fetchone()
                    # A pending one is redone by its own run anyway; an open one must wait.
                    if pending is None and k + INTERVAL_MS <= until_ms:
                        hi = k + INTERVAL_MS
                row = conn.execute(
                    "SELECT value FROM reading WHERE series = ? AND ts_ms < ? "
                    "ORDER BY ts_ms DESC LIMIT 1",
                    (series, lo),
                ).fetchone()
                previous = None if row is None else row[0]
            rows = roll_up(
                conn.execute(
                    "SELECT ts_ms, value FROM reading WHERE series = ? AND ts_ms >= ? "
                    "AND ts_ms < ? ORDER BY ts_ms",
                    (series, lo, hi),
                ),
                previous,
                energy,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO aggregate "
                "(series, start_ms, count, mean, min, max, last, delta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(series, *row) for row in rows],
            )
            conn.execute(
                "DELETE FROM aggregate_pending WHERE series = ? AND start_ms >= ? AND start_ms < ?",
                (series, lo, hi),
            )
        return len(rows)

    def aggregates(self, device: str, point: str, start_ms: int, end_ms: int) -> list[Aggregate]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT a.start_ms, s.unit, a.count, a.mean, a.min, a.max, a.last, a.delta "
                "FROM series s JOIN aggregate a ON a.series = s.id "
                "WHERE s.device = ? AND s.point = ? AND a.start_ms >= ? AND a.start_ms < ? "
                "ORDER BY a.start_ms",
                (device, point, start_ms - start_ms % INTERVAL_MS, end_ms),
            ).fetchall()
        return [
            Aggregate(from_ms(st), device, point, u, n, mean, lo, hi, last, delta)
            for st, u, n, mean, lo, hi, last, delta in rows
        ]

    def prune(self, raw_cut_ms: int, aggregate_cut_ms: int) -> int:
        """Delete raw readings before ``raw_cut_ms`` and aggregates/events before
        ``aggregate_cut_ms``; returns rows deleted."""
        deleted = 0
        with self._tx() as conn:
            for (sid,) in conn.execute("SELECT id FROM series").fetchall():
                deleted += conn.execute(
                    "DELETE FROM reading WHERE series = ? AND ts_ms < ?", (sid, raw_cut_ms)
                ).rowcount
                deleted += conn.execute(
                    "DELETE FROM aggregate WHERE series = ? AND start_ms < ?",
                    (sid, aggregate_cut_ms),
                ).rowcount
            # Their raw data is gone: re-deriving them now would overwrite good aggregates.
            conn.execute("DELETE FROM aggregate_pending WHERE start_ms < ?", (raw_cut_ms,))
            deleted += conn.execute(
                "DELETE FROM event WHERE ts_ms < ?", (aggregate_cut_ms,)
            ).rowcount
        return deleted

    # -- events and gaps --------------------------------------------------------------------

    def add_event(self, kind: str, device: str | None, data_json: str, ts_ms: int) -> int:
        with self._tx(durable=True) as conn:
            return self._insert_event(conn, kind, device, data_json, ts_ms)

    @staticmethod
    def _insert_event(
        conn: sqlite3.Connection,
        kind: str,
        device: str | None,
        data: str | dict[str, Any],
        ts_ms: int,
    ) -> int:
        text = data if isinstance(data, str) else json.dumps(data)
        cur = conn.execute(
            "INSERT INTO event (ts_ms, kind, device, data) VALUES (?, ?, ?, ?)",
            (ts_ms, str(kind), device, text),
        )
        return int(cur.lastrowid or 0)

    def events(
        self, kind: str | None, device: str | None, since_ms: int | None, limit: int
    ) -> list[StoredEvent]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("kind", kind), ("device", device)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since_ms is not None:
            where.append("ts_ms >= ?")
            args.append(since_ms)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        # With `since`: the first `limit` from then on; without: the newest `limit`.
        order = "ASC" if since_ms is not None else "DESC"
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT id, ts_ms, kind, device, data FROM event {clause} "
                f"ORDER BY ts_ms {order}, id {order} LIMIT ?",
                (*args, limit),
            ).fetchall()
        if since_ms is None:
            rows.reverse()
        return [StoredEvent(i, from_ms(ts), k, d, json.loads(data)) for i, ts, k, d, data in rows]

    def gaps(self, device: str, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """Periods in [start, end) without data: offline→online events, and from a series'
        previous reading to each RESUMED reading. Merged, ascending."""
        found: list[tuple[int, int]] = []
        with self._read() as conn:
            liveness = conn.execute(
                "SELECT ts_ms, kind FROM event WHERE device = ? AND kind IN (?, ?) "
                "AND ts_ms < ? AND ts_ms >= coalesce((SELECT max(ts_ms) FROM event "
                "WHERE device = ? AND kind IN (?, ?) AND ts_ms <= ?), ?) ORDER BY ts_ms, id",
                (device, *_LIVENESS, end_ms, device, *_LIVENESS, start_ms, start_ms),
            ).fetchall()
            series = [
                sid for (sid,) in conn.execute("SELECT id FROM series WHERE device = ?", (device,))
            ]
            for sid in series:
                for (ts,) in conn.execute(
                    "SELECT ts_ms FROM reading WHERE series = ? AND ts_ms >= ? AND ts_ms < ? "
                    "AND quality = ?",
                    (sid, start_ms, end_ms, _QUALITY_CODE[Quality.RESUMED]),
                ).fetchall():
                    prev = conn.execute(
                        "SELECT max(ts_ms) FROM reading WHERE series = ? AND ts_ms < ?",
                        (sid, ts),
                    ).fetchone()[0]
                    if prev is not None:
                        found.append((prev, ts))
        offline_since: int | None = None
        for ts, kind in liveness:
            if kind == EventKind.DEVICE_OFFLINE:
                if offline_since is None:
                    offline_since = ts
            elif offline_since is not None:
                found.append((offline_since, ts))
                offline_since = None
        if offline_since is not None:
            found.append((offline_since, end_ms))
        return _merge(found, start_ms, end_ms)

    # -- outbox -----------------------------------------------------------------------------

    def outbox_put(self, channel: str, payload: bytes, dedup_key: str | None, now_ms: int) -> int:
        with self._tx(durable=True) as conn:
            if dedup_key is not None:
                row = conn.execute(
                    "SELECT id FROM outbox WHERE channel = ? AND dedup_key = ?",
                    (channel, dedup_key),
                ).fetchone()
                if row is not None:
                    return int(row[0])
            cur = conn.execute(
                "INSERT INTO outbox (channel, payload, created_ms, dedup_key) VALUES (?, ?, ?, ?)",
                (channel, payload, now_ms, dedup_key),
            )
            return int(cur.lastrowid or 0)

    def outbox_peek(self, channel: str, limit: int) -> list[OutboxItem]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, channel, payload, created_ms, attempts, last_error FROM outbox "
                "WHERE channel = ? ORDER BY id LIMIT ?",
                (channel, limit),
            ).fetchall()
        return [OutboxItem(i, c, bytes(p), from_ms(t), a, e) for i, c, p, t, a, e in rows]

    def outbox_ack(self, ids: Sequence[int]) -> None:
        with self._tx(durable=True) as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def outbox_fail(self, item_id: int, error: str) -> None:
        with self._tx(durable=True) as conn:
            updated = conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error, item_id),
            ).rowcount
            if not updated:
                raise KeyError(f"no outbox item with id {item_id} (already acknowledged?)")

    def outbox_size(self, channel: str | None) -> int:
        with self._read() as conn:
            if channel is None:
                row = conn.execute("SELECT count(*) FROM outbox").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM outbox WHERE channel = ?", (channel,)
                ).fetchone()
        return int(row[0])

    # -- key/value state --------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value_json: str | None, now_ms: int) -> None:
        with self._tx(durable=True) as conn:
            if value_json is None:
                conn.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO state (key, value, updated_ms) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    "updated_ms = excluded.updated_ms",
                    (key, value_json, now_ms),
                )


def _reading(device: str, point: str, unit: str, ts: int, value: float, quality: int) -> Reading:
    return Reading(device, point, value, Unit(unit), from_ms(ts), _QUALITY[quality])


def _merge(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted((max(lo, start), min(hi, end)) for lo, hi in spans):
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _describe(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({name})" if name else str(exc)
