"""Edge store ingest: sustained readings/s through the public API, batched as the daemon does.

Readings are built before the clock starts (drivers make them); the timed part is
``add_readings`` in bus-sized chunks plus the writer task committing them, until a final
``flush()`` has made everything durable. Also reported: the event-loop cost of
``add_readings`` itself, the worst event-loop stall seen while ingesting (the store's SQL runs
on its own thread), readings per CPU-second (stable when the machine is shared) and the disk
cost per stored reading.

    python bench/store_ingest.py [--quick] [--readings N] [--points P] [--chunk C]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flexcoop.benchtools import emit
from flexcoop.edge.model import Reading
from flexcoop.edge.store import Store
from flexcoop.units import Unit, floor_interval, utcnow


async def watch_loop(stalls: list[float], stop: asyncio.Event, tick_s: float = 0.005) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(tick_s)
        stalls.append(time.perf_counter() - before - tick_s)


async def run(readings: int, points: int, chunk: int, data_dir: Path) -> None:
    t0 = floor_interval(utcnow() - timedelta(days=1))
    # One reading per point per second, like a busy box polling 1 Hz.
    batch = [
        Reading(f"dev{p % 50}", f"p{p}", float(i), Unit.W, t0 + timedelta(seconds=i // points))
        for i, p in ((i, i % points) for i in range(readings))
    ]
    async with Store(data_dir, maintenance_interval_s=3600) as store:
        stalls: list[float] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_loop(stalls, stop))
        add_s = 0.0
        start = time.perf_counter()
        cpu_start = time.process_time()
        for lo in range(0, readings, chunk):
            a = time.perf_counter()
            store.add_readings(batch[lo : lo + chunk])
            add_s += time.perf_counter() - a
            # Offer load as fast as the writer absorbs it (max sustained rate, nothing dropped);
            # the store has no back-pressure API (the daemon never needs one), so poll.
            while store.health().buffered_readings > 4 * store.max_batch:  # noqa: ASYNC110
                await asyncio.sleep(0.001)
            await asyncio.sleep(0)
        await store.flush()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        stop.set()
        await watcher
        health = store.health()
        assert health.ok and health.dropped_readings == 0, health
    stalls.sort()
    common = {"points": points, "chunk": chunk}
    emit("store_ingest_sustained", readings / elapsed, "readings/s", readings, **common)
    # Per CPU-second of this process: stable on a shared box where wall time is not.
    emit("store_ingest_per_cpu_second", readings / cpu, "readings/cpu-s", readings, **common)
    emit("store_add_readings_cost", add_s / readings * 1e6, "us/reading", readings, **common)
    emit("store_ingest_loop_stall_max", stalls[-1] * 1e3, "ms", len(stalls), **common)
    emit(
        "store_ingest_loop_stall_p99",
        stalls[int(0.99 * (len(stalls) - 1))] * 1e3,
        "ms",
        len(stalls),
        **common,
    )
    emit("store_bytes_per_reading", health.db_bytes / readings, "B", readings, **common)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, for smoke tests")
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=500, help="readings per add_readings call")
    parser.add_argument("--data-dir", type=Path, help="default: a temporary directory")
    args = parser.parse_args()
    readings = 20_000 if args.quick else args.readings
    if args.data_dir:
        asyncio.run(run(readings, args.points, args.chunk, args.data_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="flexcoop-bench-") as tmp:
            asyncio.run(run(readings, args.points, args.chunk, Path(tmp)))


if __name__ == "__main__":
    main()
