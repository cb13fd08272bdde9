"""The edge store: raw readings, 15-minute aggregates, events, the cloud outbox and small state,
in one SQLite WAL database under ``data_dir``.

Every SQL statement runs on one thread that the store owns (a single-worker executor created in
``start()`` and shut down in ``stop()``), so the event loop never waits on the disk and SQLite
sees exactly one connection. ``add_readings`` only appends to an in-memory buffer; a writer task
commits it in batches every ``flush_interval_s`` (or as soon as ``max_batch`` are waiting).

When the medium fails (disk full, I/O error, data dir gone) the store keeps running: readings
stay buffered (at most ``max_buffer`` plus one batch in flight; beyond that the oldest are
dropped and counted), ``health()`` says what is wrong, the writer retries every
``retry_interval_s``, and everything resumes once the disk is back. Calls that promise
durability (outbox, state, events, ``flush``) raise ``StoreUnavailableError`` instead.
See ``database.py`` for the commit discipline that makes "returned" mean "durable".
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from flexcoop.aio import cancel_and_wait
from flexcoop.edge.model import Reading
from flexcoop.edge.store.database import Database, from_ms, to_ms
from flexcoop.edge.store.models import (
    Aggregate,
    OutboxItem,
    SchemaTooNewError,
    StoredEvent,
    StoreHealth,
    StoreUnavailableError,
)
from flexcoop.logs import event, get_logger
from flexcoop.units import ensure_utc, floor_interval, utcnow

log = get_logger(__name__)

T = TypeVar("T")

DB_FILENAME = "store.sqlite"


class Store:
    def __init__(
        self,
        data_dir: Path,
        raw_retention_days: float = 14,
        aggregate_retention_days: float = 3650,
        flush_interval_s: float = 0.5,
        max_batch: int = 5000,
        max_buffer: int = 200_000,
        *,
        retry_interval_s: float = 5.0,
        maintenance_interval_s: float = 60.0,
        prune_interval_s: float = 3600.0,
    ) -> None:
        for name, value in (
            ("raw_retention_days", raw_retention_days),
            ("aggregate_retention_days", aggregate_retention_days),
            ("flush_interval_s", flush_interval_s),
            ("max_batch", max_batch),
            ("max_buffer", max_buffer),
            ("retry_interval_s", retry_interval_s),
            ("maintenance_interval_s", maintenance_interval_s),
            ("prune_interval_s", prune_interval_s),
        ):
            if not value > 0:
                raise ValueError(f"Store: {name} must be > 0, got {value!r}")
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / DB_FILENAME
        self.raw_retention = timedelta(days=raw_retention_days)
        self.aggregate_retention = timedelta(days=aggregate_retention_days)
        self.flush_interval_s = flush_interval_s
        self.max_batch = int(max_batch)
        self.max_buffer = int(max_buffer)
        self.retry_interval_s = retry_interval_s
        self.maintenance_interval_s = maintenance_interval_s
        self.prune_interval_s = prune_interval_s

        self._db = Database(self.db_path)
        self._buffer: deque[Reading] = deque()
        self._inflight = 0
        self._dropped = 0
        self._dropping = False
        self._rejected = 0
        self._pruned_before_ms = 0
        self._writable = False
        self._error = "store not started"
        self._executor: ThreadPoolExecutor | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._write_lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open (create, migrate) the database and start the writer and maintenance tasks.

        An unusable medium does not fail start-up: the store runs on its buffer and reports
        itself unhealthy. A database written by a newer flexcoop does (SchemaTooNewError).
        """
        if self._executor is not None:
            raise RuntimeError("Store already started")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flexcoop-store")
        self._error = ""
        try:
            await self._write(self._db.open)
        except SchemaTooNewError:
            await self._shutdown_executor()
            raise
        except StoreUnavailableError:
            pass  # health() reports it; the writer retries
        self._tasks = [
            asyncio.create_task(self._writer_loop(), name="store-writer"),
            asyncio.create_task(self._maintenance_loop(), name="store-maintenance"),
        ]
        event(log, "store_started", path=str(self.db_path), writable=self._writable)

    async def stop(self) -> None:
        """Stop the tasks, commit what is buffered (best effort), close the database."""
        if self._executor is None:
            return
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)
        try:
            await self.flush()
            await self._run(self._db.checkpoint)
        except StoreUnavailableError as exc:
            event(log, "store_stop_unflushed", error=str(exc), lost_readings=len(self._buffer))
        await self._run(self._db.close)
        await self._shutdown_executor()
        self._writable = False
        self._error = "store stopped"
        event(log, "store_stopped", path=str(self.db_path))

    async def _shutdown_executor(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # Its last job has finished, so joining the idle worker does not block.
            executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def health(self) -> StoreHealth:
        db_bytes = 0
        for path in (self.db_path, Path(f"{self.db_path}-wal")):
            try:
                db_bytes += path.stat().st_size
            except OSError:
                pass  # absent (no WAL yet, or the medium is gone): counted as 0
        running = self._executor is not None
        return StoreHealth(
            ok=running and self._writable,
            writable=self._writable,
            error=self._error,
            buffered_readings=len(self._buffer) + self._inflight,
            dropped_readings=self._dropped,
            db_bytes=db_bytes,
            rejected_readings=self._rejected,
        )

    # -- executor plumbing ------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            raise StoreUnavailableError("store is not started")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a write on the store thread and keep ``health()`` in step with its outcome."""
        try:
            result = await self._run(fn, *args, **kwargs)
        except StoreUnavailableError as exc:
            if self._writable or self._error != str(exc):
                event(log, "store_unavailable", error=str(exc), buffered=len(self._buffer))
            self._writable = False
            self._error = str(exc)
            raise
        if not self._writable and self._error:
            event(log, "store_writable_again", dropped_readings=self._dropped)
        self._dropping = False
        self._writable = True
        self._error = ""
        return result

    # -- readings ---------------------------------------------------------------------------

    def add_readings(self, readings: Sequence[Reading]) -> None:
        """Queue readings for the writer. Never blocks on the disk and never raises for it."""
        buf = self._buffer
        buf.extend(readings)
        self._trim()
        if len(buf) >= self.max_batch:
            self._wake.set()

    def _trim(self) -> None:
        buf = self._buffer
        excess = len(buf) - self.max_buffer
        if excess > 0:
            for _ in range(excess):
                buf.popleft()
            if not self._dropping:
                self._dropping = True  # once per outage, not once per reading
                event(log, "store_dropping_readings", max_buffer=self.max_buffer)
            self._dropped += excess

    async def flush(self) -> None:
        """Commit everything buffered so far, durably (fsynced) on return.

        Raises StoreUnavailableError if the medium refuses; the readings then stay buffered.
        """
        async with self._write_lock:
            remaining = len(self._buffer)
            while remaining > 0:
                take = min(remaining, self.max_batch)
                remaining -= take
                await self._write_batch(take, durable=remaining == 0)
            if self._db.needs_sync:  # commits of the writer task since the last fsync
                await self._write(self._db.sync)

    async def _write_batch(self, take: int, *, durable: bool) -> None:
        batch = [self._buffer.popleft() for _ in range(min(take, len(self._buffer)))]
        if not batch:
            return
        self._inflight = len(batch)
        try:
            result = await self._write(
                self._db.insert_readings, batch, self._min_ts_ms(), durable=durable
            )
        except BaseException:
            # Also on cancellation: re-inserting the same readings is idempotent.
            self._buffer.extendleft(reversed(batch))
            self._trim()
            raise
        finally:
            self._inflight = 0
        if result.rejected:
            self._rejected += result.rejected
            event(log, "store_readings_rejected", count=result.rejected)

    def _min_ts_ms(self) -> int:
        """Readings older than this would land in intervals whose raw data is already pruned."""
        cut = to_ms(floor_interval(utcnow() - self.raw_retention))
        return max(cut, self._pruned_before_ms)

    async def _writer_loop(self) -> None:
        while True:
            if self._writable:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.flush_interval_s)
                except TimeoutError:
                    pass
            else:
                # A full buffer must not turn retries into a busy loop against a dead disk.
                await asyncio.sleep(self.retry_interval_s)
            self._wake.clear()
            try:
                async with self._write_lock:
                    if not self._buffer and not self._writable:
                        await self._write(self._db.probe)
                    while self._buffer:
                        await self._write_batch(self.max_batch, durable=False)
            except StoreUnavailableError:
                continue  # health() says why; retried after retry_interval_s
            except Exception as exc:
                log.exception("store_writer_failed", extra={"fields": {"error": repr(exc)}})

    async def latest(self, device: str | None = None) -> list[Reading]:
        """The newest committed reading of every (device, point), optionally of one device."""
        return await self._run(self._db.latest, device)

    async def history(
        self, device: str, point: str, start: datetime, end: datetime, limit: int = 10_000
    ) -> list[Reading]:
        """Committed readings with start <= ts < end, oldest first, at most ``limit``."""
        if limit <= 0:
            raise ValueError(f"limit must be > 0, got {limit}")
        return await self._run(
            self._db.history, device, point, to_ms(ensure_utc(start)), to_ms(ensure_utc(end)), limit
        )

    # -- aggregates and retention -----------------------------------------------------------

    async def aggregates(
        self, device: str, point: str, start: datetime, end: datetime
    ) -> list[Aggregate]:
        """15-minute aggregates of intervals starting in [floor(start), end), oldest first."""
        return await self._run(
            self._db.aggregates, device, point, to_ms(ensure_utc(start)), to_ms(ensure_utc(end))
        )

    async def aggregate_now(self, until: datetime | None = None) -> int:
        """Roll up every interval that ended by ``until`` (default now) and received readings
        since its last roll-up (late readings included); returns aggregate rows written.
        Readings still in the buffer are picked up by a later run."""
        until_ms = to_ms(ensure_utc(until) if until is not None else utcnow())
        runs = await self._run(self._db.pending_runs, until_ms)
        written = 0
        for series, lo, hi in runs:
            # One transaction per run so ingest interleaves with a long roll-up.
            written += await self._write(self._db.aggregate_run, series, lo, hi, until_ms)
        return written

    async def prune(self, now: datetime | None = None) -> int:
        """Apply retention (raw readings, then aggregates and events); returns rows deleted.
        Pending roll-ups are done first so no interval loses its aggregate with its raw data."""
        now = ensure_utc(now) if now is not None else utcnow()
        await self.aggregate_now(now)
        raw_cut = to_ms(floor_interval(now - self.raw_retention))
        aggregate_cut = to_ms(floor_interval(now - self.aggregate_retention))
        deleted = await self._write(self._db.prune, raw_cut, aggregate_cut)
        self._pruned_before_ms = max(self._pruned_before_ms, raw_cut)
        if deleted:
            event(log, "store_pruned", rows=deleted, raw_before=from_ms(raw_cut).isoformat())
        return deleted

    async def _maintenance_loop(self) -> None:
        next_prune = time.monotonic()
        while True:
            await asyncio.sleep(self.maintenance_interval_s)
            try:
                if time.monotonic() >= next_prune:
                    await self.prune()
                    next_prune = time.monotonic() + self.prune_interval_s
                else:
                    await self.aggregate_now()
            except StoreUnavailableError:
                continue  # health() reports it; try again next round
            except Exception as exc:
                log.exception("store_maintenance_failed", extra={"fields": {"error": repr(exc)}})

    # -- events and gaps --------------------------------------------------------------------

    async def add_event(
        self, kind: str, device: str | None, data: dict[str, Any], ts: datetime | None = None
    ) -> int:
        """Record an event durably; returns its id. ``data`` must be JSON-serialisable."""
        if not kind:
            raise ValueError("event kind must be a non-empty string")
        text = _to_json(data, what=f"event {kind!r} data")
        ts_ms = to_ms(ensure_utc(ts) if ts is not None else utcnow())
        return await self._write(self._db.add_event, str(kind), device, text, ts_ms)

    async def events(
        self,
        kind: str | None = None,
        device: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[StoredEvent]:
        """Events oldest first: from ``since`` on the first ``limit``; without it the newest."""
        if limit <= 0:
            raise ValueError(f"limit must be > 0, got {limit}")
        since_ms = to_ms(ensure_utc(since)) if since is not None else None
        return await self._run(self._db.events, kind, device, since_ms, limit)

    async def gaps(
        self, device: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """Periods within [start, end) in which ``device`` delivered no data: from each
        ``device_offline`` event to the next ``device_online`` (or ``end``), and from a
        point's previous reading to each reading of quality RESUMED. Merged, oldest first."""
        spans = await self._run(
            self._db.gaps, device, to_ms(ensure_utc(start)), to_ms(ensure_utc(end))
        )
        return [(from_ms(lo), from_ms(hi)) for lo, hi in spans]

    # -- outbox -----------------------------------------------------------------------------

    async def outbox_put(
        self, channel: str, payload: bytes, *, dedup_key: str | None = None
    ) -> int:
        """Queue a message for the cloud, durably on return; returns its id (ids grow: FIFO).

        With ``dedup_key``, a message with the same key still pending on the channel is kept
        as it is and its id returned (no duplicate); after its ack the key is free again.
        """
        if not channel:
            raise ValueError("outbox channel must be a non-empty string")
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise TypeError(f"outbox payload must be bytes, got {type(payload).__name__}")
        return await self._write(
            self._db.outbox_put, channel, bytes(payload), dedup_key, to_ms(utcnow())
        )

    async def outbox_peek(self, channel: str, limit: int = 100) -> list[OutboxItem]:
        """The oldest ``limit`` pending messages of ``channel``, oldest first (not removed)."""
        if limit <= 0:
            raise ValueError(f"limit must be > 0, got {limit}")
        return await self._run(self._db.outbox_peek, channel, limit)

    async def outbox_ack(self, ids: Sequence[int]) -> None:
        """Delete acknowledged messages; ids already acknowledged are ignored."""
        ids = [int(i) for i in ids]
        if ids:
            await self._write(self._db.outbox_ack, ids)

    async def outbox_fail(self, id: int, error: str) -> None:
        """Count a failed delivery attempt and keep ``error``; KeyError for an unknown id."""
        await self._write(self._db.outbox_fail, int(id), str(error))

    async def outbox_size(self, channel: str | None = None) -> int:
        return await self._run(self._db.outbox_size, channel)

    # -- key/value state --------------------------------------------------------------------

    async def get_state(self, key: str) -> Any | None:
        text = await self._run(self._db.get_state, key)
        return None if text is None else json.loads(text)

    async def set_state(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value durably; ``None`` deletes the key."""
        if not key:
            raise ValueError("state key must be a non-empty string")
        text = None if value is None else _to_json(value, what=f"state {key!r}")
        await self._write(self._db.set_state, key, text, to_ms(utcnow()))


def _to_json(value: Any, *, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from None
