"""DER registry at scale: keep-alive updates/s and time-out sweep time for N DERs.

Keep-alives are timed as database writes (rounds a keep-alive resolution apart) and, separately,
as polls absorbed in memory between two writes of a DER.

Runs on SQLite (a temporary file) and PostgreSQL (a temporary database on the server given by
--pg, skipped with a note when none answers). Prints one JSON object per figure.

    python bench/registry_keepalive.py [--n 100000] [--rounds 3] [--db sqlite,postgres] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from contextlib import aclosing
from datetime import timedelta

from sqlalchemy import insert

from flexcoop.benchtools import PG_DEFAULT, databases, emit
from flexcoop.cloud.db import make_engine, migrate
from flexcoop.cloud.registry.service import RegistryService
from flexcoop.cloud.registry.tables import DerRow
from flexcoop.units import utcnow

FIGURE = "registry_keepalive"
TIMEOUT_S = 300.0


async def _populate(reg: RegistryService, n: int) -> list[str]:
    """Insert N registrations directly: the bench measures keep-alives, not registration."""
    now = utcnow()
    ids = [f"der-{i:07d}" for i in range(n)]
    rows = [
        {
            "der_id": d,
            "ven_id": f"ven-{i // 4:07d}",
            "der_type": "battery" if i % 3 else "pv",
            "location_cell": f"NL-{1000 + i % 500}",
            "capabilities": {"max_up_w": 3000},
            "contract_id": None,
            "status": "online",
            "registered_at": now,
            "last_seen": now,
            "version": 1,
        }
        for i, d in enumerate(ids)
    ]
    async with reg.engine.begin() as conn:
        for start in range(0, n, 20_000):
            await conn.execute(insert(DerRow), rows[start : start + 20_000])
    return ids


async def run_backend(db: str, url: str, n: int, rounds: int) -> None:
    await migrate(url)
    engine = make_engine(url)
    try:
        reg = RegistryService(engine, timeout_s=TIMEOUT_S)
        ids = await _populate(reg, n)
        base = utcnow()
        # Rounds one resolution apart: every keep-alive of every round reaches the database.
        step = reg.resolution + timedelta(seconds=1)
        rates = []
        for r in range(rounds):
            t0 = time.perf_counter()
            await reg.touch(ids, base + (r + 1) * step)
            await reg.flush()
            rates.append(n / (time.perf_counter() - t0))
        emit(
            "registry_keepalive_updates_per_s",
            statistics.median(rates),
            "1/s",
            n,
            db=db,
            rounds=rounds,
        )
        # Polls between two writes of a DER only meet the in-memory buffer.
        t0 = time.perf_counter()
        await reg.touch(ids, base + rounds * step + timedelta(seconds=1))
        await reg.flush()
        emit("registry_keepalive_absorbed_per_s", n / (time.perf_counter() - t0), "1/s", n, db=db)

        now = base + rounds * step + timedelta(seconds=2)
        t0 = time.perf_counter()
        timed_out = await reg.sweep(now)
        emit(
            "registry_sweep_none_due_s",
            time.perf_counter() - t0,
            "s",
            n,
            db=db,
            timed_out=len(timed_out),
        )

        later = now + reg.timeout + reg.resolution
        t0 = time.perf_counter()
        timed_out = await reg.sweep(later)
        emit(
            "registry_sweep_all_due_s",
            time.perf_counter() - t0,
            "s",
            n,
            db=db,
            timed_out=len(timed_out),
        )

        t0 = time.perf_counter()
        await reg.touch(ids, later + timedelta(seconds=1))
        await reg.flush()
        seconds = time.perf_counter() - t0
        online = sum(c for (status, _), c in (await reg.counts()).items() if status == "online")
        emit("registry_all_back_online_s", seconds, "s", n, db=db, online=online)
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="number of DERs")
    p.add_argument("--rounds", type=int, default=3, help="keep-alive rounds (median reported)")
    p.add_argument("--db", default="sqlite,postgres", help="back-ends, comma-separated")
    p.add_argument(
        "--pg", default=PG_DEFAULT, help="PostgreSQL server URL (a database to connect to)"
    )
    p.add_argument("--quick", action="store_true", help="2,000 DERs, 1 round: a smoke run")
    args = p.parse_args(argv)
    n, rounds = (2_000, 1) if args.quick else (args.n, args.rounds)
    async with aclosing(databases(args.db, args.pg, FIGURE)) as backends:
        async for db, url in backends:
            await run_backend(db, url, n, rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
