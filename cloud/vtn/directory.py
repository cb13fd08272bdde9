"""Per-worker memory of registered VENs and of which VENs have something waiting.

This is what keeps an empty oadrPoll away from the database: a poll from a known VEN that is not
in ``pending`` is answered from memory. Every change that makes a VEN pending (event fan-out,
queued message, registration change) bumps ``vtn_state.generation`` in the same transaction;
each worker re-reads that counter every ``generation_check_s`` and reloads the pending set when
it moved. The worker that made the change reloads at once, so the staleness bound for other
workers is ``generation_check_s`` plus one query. Keep-alives are buffered and handed to the
registry in one ``touch`` per ``keepalive_flush_s``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flexcoop.aio import cancel_and_wait, run_every
from flexcoop.cloud.vtn.tables import StateRow, VenRow
from flexcoop.units import utcnow

GENERATION = "generation"


@dataclass(frozen=True, slots=True)
class KnownVen:
    ven_id: str
    registration_id: str
    cert_fingerprint: str | None


async def bump_state(conn: AsyncConnection, key: str) -> None:
    """Increment a ``vtn_state`` counter inside the caller's transaction (created if missing)."""
    result = await conn.execute(
        update(StateRow).where(StateRow.key == key).values(value=StateRow.value + 1)
    )
    if result.rowcount == 0:
        await conn.execute(insert(StateRow).values(key=key, value=1))


async def bump_generation(conn: AsyncConnection) -> None:
    """Call inside the transaction that changed poll-visible state."""
    await bump_state(conn, GENERATION)


class Keepalive(Protocol):
    """The registry's batched keep-alive (``RegistryService.touch``)."""

    async def touch(self, ids: Iterable[str], ts: datetime) -> None: ...


class VenDirectory:
    def __init__(
        self,
        engine: AsyncEngine,
        registry: Keepalive,
        *,
        check_s: float = 0.1,
        flush_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._check_s = check_s
        self._flush_s = flush_s
        self.known: dict[str, KnownVen] = {}
        self.pending: set[str] = set()
        self._generation = -1
        self._seen: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._reload_lock = asyncio.Lock()
        # VENs marked pending while a reload is in flight: its (older) result must not drop them.
        self._marked_during_reload: set[str] | None = None

    async def start(self) -> None:
        await self.refresh(force=True)
        self._tasks = [
            asyncio.create_task(
                run_every(self._check_s, self.refresh, name="vtn-generation-check"),
                name="vtn-generation-check",
            ),
            asyncio.create_task(
                run_every(self._flush_s, self.flush_keepalives, name="vtn-keepalive-flush"),
                name="vtn-keepalive-flush",
            ),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []
        await self.flush_keepalives()

    def seen(self, ven_id: str) -> None:
        """Record a keep-alive (cheap: a set insert; flushed in batches)."""
        self._seen.add(ven_id)

    async def flush_keepalives(self) -> None:
        if not self._seen:
            return
        ids, self._seen = self._seen, set()
        try:
            await self._registry.touch(ids, utcnow())
        except Exception:
            self._seen |= ids  # retried with the next flush
            raise

    async def lookup(self, ven_id: str) -> KnownVen | None:
        """A registered VEN, from memory or (first time, or after a change) from the database."""
        known = self.known.get(ven_id)
        if known is not None:
            return known
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(VenRow.registration_id, VenRow.cert_fingerprint, VenRow.pending).where(
                        VenRow.ven_id == ven_id
                    )
                )
            ).first()
        if row is None or row.registration_id is None:
            return None
        known = KnownVen(ven_id, row.registration_id, row.cert_fingerprint)
        self.known[ven_id] = known
        if row.pending:  # fresher than the last reload of the pending set
            self.mark_pending([ven_id])
        return known

    def mark_pending(self, ven_ids: Iterable[str]) -> None:
        """After committing a change that made these VENs pending (this worker sees it at once)."""
        self.pending.update(ven_ids)
        if self._marked_during_reload is not None:
            self._marked_during_reload.update(ven_ids)

    def forget(self, ven_id: str) -> None:
        self.known.pop(ven_id, None)

    async def refresh(self, force: bool = False) -> None:
        """Reload the pending set (and drop cached registrations) if anything changed."""
        async with self._reload_lock:
            self._marked_during_reload = set()
            try:
                async with self._engine.connect() as conn:
                    generation = (
                        await conn.execute(select(StateRow.value).where(StateRow.key == GENERATION))
                    ).scalar() or 0
                    if generation == self._generation and not force:
                        return
                    pending = (
                        (await conn.execute(select(VenRow.ven_id).where(VenRow.pending)))
                        .scalars()
                        .all()
                    )
                self.pending = set(pending) | self._marked_during_reload
            finally:
                self._marked_during_reload = None
            # Registrations may have been cancelled or re-keyed elsewhere: re-learn lazily.
            self.known.clear()
            self._generation = generation
