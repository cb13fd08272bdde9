"""Edge store 15-minute aggregation: one year of 50 points at 1-minute resolution.

The year of raw readings is bulk-loaded straight into the store's schema (loading is not what
is measured, and going through ``add_readings`` would only make the set-up slower); one in five
points is a cumulative Wh counter so energy deltas are computed too. Timed:

* ``aggregate_now()`` rolling up the whole year (the worst case: e.g. first start after an
  upgrade from a schema without aggregates), in wall seconds and readings per CPU-second;
* the steady-state tick: one new interval of every point, ingested and rolled up;
* reading one point's year of aggregates back.

    python bench/store_aggregate.py [--quick] [--points 50] [--days 365] [--step-s 60]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from flexcoop.benchtools import emit
from flexcoop.edge.model import Reading
from flexcoop.edge.store import Store
from flexcoop.edge.store.database import to_ms
from flexcoop.edge.store.schema import INTERVAL_MS
from flexcoop.edge.store.store import DB_FILENAME
from flexcoop.units import Unit, floor_interval, utcnow


def is_energy(point: int) -> bool:
    return point % 5 == 0


def value_at(point: int, step: int, step_s: int) -> float:
    if is_energy(point):
        return step * step_s * 0.3  # a 1.08 kW average load as a Wh counter
    return 1000.0 + 800.0 * math.sin(step * step_s / 86_400 * 2 * math.pi + point)


def bulk_load(db_path: Path, points: int, start_ms: int, steps: int, step_s: int) -> int:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # set-up only; the store itself never does this
    for p in range(points):
        unit = Unit.WH if is_energy(p) else Unit.W
        conn.execute(
            "INSERT INTO series (id, device, point, unit) VALUES (?, ?, ?, ?)",
            (p + 1, f"dev{p // 5}", f"p{p}", unit.value),
        )
    step_ms = step_s * 1000

    def rows(p: int) -> Iterator[tuple[int, int, float]]:
        for i in range(steps):
            yield (p + 1, start_ms + i * step_ms, value_at(p, i, step_s))

    for p in range(points):
        conn.execute("BEGIN")  # one transaction per point keeps the WAL small
        conn.executemany("INSERT INTO reading (series, ts_ms, value) VALUES (?, ?, ?)", rows(p))
        conn.execute(
            "INSERT INTO aggregate_pending (series, start_ms) "
            f"SELECT DISTINCT series, ts_ms - ts_ms % {INTERVAL_MS} FROM reading WHERE series = ?",
            (p + 1,),
        )
        conn.execute("COMMIT")
    conn.close()
    return points * steps


async def run(points: int, days: float, step_s: int, data_dir: Path) -> None:
    steps = int(days * 86_400 // step_s)
    now = floor_interval(utcnow())
    start = now - timedelta(seconds=steps * step_s)
    start = floor_interval(start)
    end_of_year = start + timedelta(seconds=steps * step_s)
    common = {"points": points, "days": days, "step_s": step_s}
    # A year of raw data: the raw retention must cover it for this benchmark.
    store = Store(data_dir, raw_retention_days=days + 2, maintenance_interval_s=1e6)
    async with store:
        pass  # creates the schema
    load_start = time.perf_counter()
    n = bulk_load(data_dir / DB_FILENAME, points, to_ms(start), steps, step_s)
    emit("store_bulk_load_setup", time.perf_counter() - load_start, "s", n, **common)

    async with Store(data_dir, raw_retention_days=days + 2, maintenance_interval_s=1e6) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        rows = await store.aggregate_now(until=end_of_year)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        emit("store_aggregate_all", wall, "s", n, rows=rows, **common)
        emit("store_aggregate_rate", n / wall, "readings/s", n, rows=rows, **common)
        emit("store_aggregate_per_cpu_second", n / cpu, "readings/cpu-s", n, rows=rows, **common)

        # Steady state: one more interval for every point arrives and is rolled up.
        tick = [
            Reading(
                f"dev{p // 5}",
                f"p{p}",
                value_at(p, steps + i, step_s),
                Unit.WH if is_energy(p) else Unit.W,
                end_of_year + timedelta(seconds=i * step_s),
            )
            for p in range(points)
            for i in range(900 // step_s or 1)
        ]
        store.add_readings(tick)
        await store.flush()
        wall = time.perf_counter()
        tick_rows = await store.aggregate_now(until=end_of_year + timedelta(minutes=15))
        emit(
            "store_aggregate_tick",
            (time.perf_counter() - wall) * 1e3,
            "ms",
            len(tick),
            rows=tick_rows,
            **common,
        )

        wall = time.perf_counter()
        year = await store.aggregates("dev0", "p0", start, end_of_year)
        emit(
            "store_aggregates_query_point",
            (time.perf_counter() - wall) * 1e3,
            "ms",
            len(year),
            **common,
        )
        emit("store_db_bytes", store.health().db_bytes, "B", n, **common)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 points, 2 days: a few seconds")
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--step-s", type=int, default=60, help="seconds between readings")
    parser.add_argument("--data-dir", type=Path, help="default: a temporary directory")
    args = parser.parse_args()
    points, days = (5, 2.0) if args.quick else (args.points, args.days)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(points, days, args.step_s, args.data_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="flexcoop-bench-") as tmp:
            asyncio.run(run(points, days, args.step_s, Path(tmp)))


if __name__ == "__main__":
    main()
