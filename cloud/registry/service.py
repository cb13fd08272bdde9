"""RegistryService: registrations, batched keep-alives, time-out sweeps and the DER event log.

Keep-alives arrive on every VEN poll, so ``touch`` only records the newest timestamp per DER in
memory; ``flush`` (on a timer, when the buffer is full, and before every sweep) writes a whole
batch in one UPDATE, whatever its size. A DER's keep-alive is written at most once per
``resolution`` (default: a tenth of the time-out): with 10-second polls that is one row write
per DER every ~30 s instead of three. The sweep allows for it, so a DER times out after
``timeout`` to ``timeout + resolution`` of silence, never earlier. DERs that had timed out come back online in the same
flush, with a ``back_online`` entry in their log. Several workers may share one database: every
status change is a conditional UPDATE … RETURNING, so each transition is logged exactly once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flexcoop.aio import cancel_and_wait, run_every
from flexcoop.cloud.db import bulk_source, sql_json
from flexcoop.cloud.registry.models import (
    KIND_PATTERN,
    Der,
    DerEvent,
    DerRegistration,
    DerStatus,
    DerType,
    DerUpdate,
)
from flexcoop.cloud.registry.tables import DerEventRow, DerRow
from flexcoop.logs import event, get_logger
from flexcoop.units import ensure_utc, utcnow

log = get_logger(__name__)

FLUSH_BATCH = 20_000


class RegistryError(Exception):
    """Base of the registry's errors; messages are safe to show to API callers."""


class UnknownDer(RegistryError):
    pass


class DerExists(RegistryError):
    pass


class VersionConflict(RegistryError):
    def __init__(self, der_id: str, current: int) -> None:
        super().__init__(f"DER {der_id} is at version {current}")
        self.current = current


def _der_from_mapping(row: Any) -> Der:
    return Der.model_validate(dict(row._mapping))


class RegistryService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        timeout_s: float,
        flush_interval_s: float = 1.0,
        sweep_interval_s: float | None = None,
        resolution_s: float | None = None,
    ) -> None:
        self.engine = engine
        self.timeout = timedelta(seconds=timeout_s)
        self.resolution = timedelta(
            seconds=timeout_s / 10 if resolution_s is None else resolution_s
        )
        self.flush_interval_s = flush_interval_s
        self.sweep_interval_s = sweep_interval_s or min(max(timeout_s / 4, 1.0), 60.0)
        self._pending: dict[str, datetime] = {}
        self._written: dict[str, datetime] = {}  # newest keep-alive this worker wrote, per DER
        self._flush_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the flush and sweep timers (the service also works without them)."""
        self._tasks = [
            asyncio.create_task(
                run_every(self.flush_interval_s, self.flush, name="der-flush"), name="der-flush"
            ),
            asyncio.create_task(
                run_every(self.sweep_interval_s, self._sweep_now, name="der-sweep"),
                name="der-sweep",
            ),
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)
        await self.flush()

    async def _sweep_now(self) -> None:
        await self.sweep(utcnow())

    # -- registrations -----------------------------------------------------------------------

    async def register(
        self,
        der_id: str,
        *,
        ven_id: str,
        der_type: str,
        location_cell: str,
        capabilities: dict[str, Any],
        contract_id: str | None = None,
        now: datetime | None = None,
    ) -> Der:
        """Register a new DER (online from now); DerExists if the id is taken.

        Raises pydantic.ValidationError for malformed fields."""
        reg = DerRegistration(
            der_id=der_id,
            ven_id=ven_id,
            der_type=DerType(der_type),
            location_cell=location_cell,
            capabilities=capabilities,
            contract_id=contract_id,
        )
        ts = ensure_utc(now) if now is not None else utcnow()
        row = {
            **reg.model_dump(mode="json"),
            "status": DerStatus.ONLINE.value,
            "registered_at": ts,
            "last_seen": ts,
            "version": 1,
        }
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(DerRow), [row])
                await self._log(conn, "registered", {"ven_id": ven_id}, [(der_id, ts)])
        except IntegrityError:
            raise DerExists(f"DER {der_id} is already registered") from None
        event(log, "der_registered", der_id=der_id, der_type=reg.der_type.value)
        return Der.model_validate(row)

    async def get(self, der_id: str) -> Der | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(DerRow).where(DerRow.der_id == der_id))).first()
        return None if row is None else _der_from_mapping(row)

    async def update(self, der_id: str, changes: DerUpdate, *, expected_version: int | None) -> Der:
        """Apply ``changes``; with ``expected_version``, only if nobody changed it since
        (VersionConflict otherwise). Nothing changes on any error."""
        values = changes.model_dump(exclude_unset=True)
        stmt = update(DerRow).where(DerRow.der_id == der_id)
        if expected_version is not None:
            stmt = stmt.where(DerRow.version == expected_version)
        async with self.engine.begin() as conn:
            # Write first: on SQLite a transaction that reads before writing cannot wait for a
            # concurrent writer (it fails with "database is locked" instead).
            row = (
                await conn.execute(
                    stmt.values(**values, version=DerRow.version + 1).returning(*DerRow.__table__.c)
                )
            ).first()
            if row is None:
                current = (
                    await conn.execute(select(DerRow.version).where(DerRow.der_id == der_id))
                ).scalar()
                if current is None:
                    raise UnknownDer(f"no DER {der_id}")
                raise VersionConflict(der_id, current)
            await self._log(conn, "updated", {"fields": sorted(values)}, [(der_id, utcnow())])
        return _der_from_mapping(row)

    async def find(
        self,
        *,
        status: DerStatus | None = None,
        der_type: DerType | None = None,
        area: str | None = None,
        ven_id: str | None = None,
        contract_id: str | None = None,
        only: frozenset[str] | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Der]:
        """DERs ordered by id, after ``after``; ``area`` matches location cells by prefix;
        ``only`` limits the result to these ids (a caller's permitted DERs)."""
        q: Select[Any] = select(DerRow).order_by(DerRow.der_id).limit(limit)
        if status is not None:
            q = q.where(DerRow.status == status.value)
        if der_type is not None:
            q = q.where(DerRow.der_type == der_type.value)
        if area is not None:
            q = q.where(DerRow.location_cell.startswith(area, autoescape=True))
        if ven_id is not None:
            q = q.where(DerRow.ven_id == ven_id)
        if contract_id is not None:
            q = q.where(DerRow.contract_id == contract_id)
        if only is not None:
            q = q.where(DerRow.der_id.in_(sorted(only)))
        if after is not None:
            q = q.where(DerRow.der_id > after)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [_der_from_mapping(r) for r in rows]

    async def counts(self) -> dict[tuple[str, str], int]:
        """Number of DERs per (status, der_type)."""
        q = select(DerRow.status, DerRow.der_type, func.count()).group_by(
            DerRow.status, DerRow.der_type
        )
        async with self.engine.connect() as conn:
            return {(s, t): n for s, t, n in (await conn.execute(q)).all()}

    # -- event log ---------------------------------------------------------------------------

    async def log(
        self, der_id: str, kind: str, data: dict[str, Any], ts: datetime | None = None
    ) -> None:
        """Append to the DER's event log (UnknownDer if it is not registered)."""
        if not re.match(KIND_PATTERN, kind):
            raise ValueError(f"event kind {kind!r} must match {KIND_PATTERN}")
        try:
            async with self.engine.begin() as conn:
                await self._log(conn, kind, data, [(der_id, ensure_utc(ts) if ts else utcnow())])
        except IntegrityError:
            raise UnknownDer(f"no DER {der_id}") from None

    async def events(
        self, der_id: str, *, kind: str | None = None, after: int | None = None, limit: int = 100
    ) -> list[DerEvent]:
        q = (
            select(DerEventRow)
            .where(DerEventRow.der_id == der_id)
            .order_by(DerEventRow.id)
            .limit(limit)
        )
        if kind is not None:
            q = q.where(DerEventRow.kind == kind)
        if after is not None:
            q = q.where(DerEventRow.id > after)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [DerEvent.model_validate(dict(r._mapping)) for r in rows]

    @staticmethod
    async def _log(
        conn: AsyncConnection,
        kind: str,
        data: dict[str, Any],
        entries: Sequence[tuple[str, datetime]],
    ) -> None:
        """Append one ``kind`` entry per ``(der_id, ts)``, inside the caller's transaction, in
        one statement (a mass time-out logs 100k entries at once)."""
        if not entries:
            return
        source, params = bulk_source(conn, "e", [("der_id", "text"), ("ts", "ts")], entries)
        await conn.execute(
            text(
                "INSERT INTO registry_der_event (der_id, ts, kind, data) "
                f"SELECT e.der_id, e.ts, :kind, {sql_json(conn, ':data')} FROM {source}"
            ),
            {**params, "kind": kind, "data": json.dumps(data)},
        )

    # -- keep-alive and time-outs ------------------------------------------------------------

    async def touch(self, ids: Iterable[str], ts: datetime) -> None:
        """Keep-alive for these DERs at ``ts``: buffered, written by the next flush unless this
        worker wrote one for the DER less than ``resolution`` before."""
        ts = ensure_utc(ts)
        pending, written, resolution = self._pending, self._written, self.resolution
        for der_id in ids:
            seen = pending.get(der_id)
            if seen is not None:
                if ts > seen:
                    pending[der_id] = ts
                continue
            last = written.get(der_id)
            if last is None or ts - last >= resolution:
                pending[der_id] = ts
        if len(pending) >= FLUSH_BATCH:
            await self.flush()

    async def flush(self) -> list[str]:
        """Write buffered keep-alives; returns the DERs that came back online."""
        async with self._flush_lock:
            batch, self._pending = self._pending, {}
            if not batch:
                return []
            try:
                revived = await self._write_keepalives(batch)
            except BaseException:
                # Keep-alives are not lost on a failed write: merge them back for the next flush.
                for der_id, ts in batch.items():
                    if der_id not in self._pending or ts > self._pending[der_id]:
                        self._pending[der_id] = ts
                raise
            self._written.update(batch)
        for der_id in revived:
            event(log, "der_back_online", der_id=der_id)
        return revived

    async def _write_keepalives(self, batch: dict[str, datetime]) -> list[str]:
        rows = list(batch.items())
        async with self.engine.begin() as conn:
            source, params = bulk_source(conn, "k", [("der_id", "text"), ("ts", "ts")], rows)
            match = f"FROM {source} WHERE registry_der.der_id = k.der_id AND k.ts > registry_der.last_seen"
            revived_rows = await conn.execute(
                text(
                    "UPDATE registry_der SET status = 'online', last_seen = k.ts "
                    f"{match} AND registry_der.status = 'timed_out' RETURNING registry_der.der_id"
                ),
                params,
            )
            revived = [r[0] for r in revived_rows]
            await conn.execute(text(f"UPDATE registry_der SET last_seen = k.ts {match}"), params)
            await self._log(conn, "back_online", {}, [(d, batch[d]) for d in revived])
        return revived

    async def sweep(self, now: datetime) -> list[str]:
        """Mark DERs silent for longer than time-out + resolution as timed out; returns them."""
        now = ensure_utc(now)
        await self.flush()
        cutoff = now - self.timeout - self.resolution
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(DerRow)
                .where(DerRow.status == DerStatus.ONLINE.value, DerRow.last_seen < cutoff)
                .values(status=DerStatus.TIMED_OUT.value)
                .returning(DerRow.der_id)
            )
            timed_out = [r[0] for r in result]
            await self._log(
                conn,
                "timed_out",
                {"timeout_s": self.timeout.total_seconds()},
                [(d, now) for d in timed_out],
            )
        if timed_out:
            event(log, "ders_timed_out", count=len(timed_out), first=timed_out[0])
        return timed_out
