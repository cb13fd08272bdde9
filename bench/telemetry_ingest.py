"""Telemetry ingest at scale: one 15-minute interval of reports from N DERs.

Each DER reports ``--points`` samples of one series inside one 15-minute interval (default 1:
the interval's mean power); the figure is the wall time of ``TimeseriesService.ingest`` storing
them and updating their 15-minute aggregates, in batches of ``--batch`` points. Goal: under 10 s
for 100k DERs on PostgreSQL. Also timed: re-delivery of the same reports (all duplicates) and
reading the interval back for all DERs.

    python bench/telemetry_ingest.py [--n 100000] [--points 1] [--batch 100000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import aclosing
from datetime import timedelta

from flexcoop.benchtools import PG_DEFAULT, databases, emit
from flexcoop.cloud.db import make_engine, migrate
from flexcoop.cloud.timeseries.models import Resolution, TelemetryPoint
from flexcoop.cloud.timeseries.service import TimeseriesService
from flexcoop.units import floor_interval, utcnow

FIGURE = "telemetry_ingest"


def make_points(n: int, per_der: int) -> list[TelemetryPoint]:
    start = floor_interval(utcnow()) - timedelta(minutes=15)
    step = timedelta(seconds=900 // per_der)
    return [
        TelemetryPoint(f"der-{i:07d}", "power", start + k * step, float(i % 5000), "W")
        for i in range(n)
        for k in range(per_der)
    ]


async def _ingest(ts: TimeseriesService, points: list[TelemetryPoint], batch: int) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(points), batch):
        await ts.ingest(points[i : i + batch])
    return time.perf_counter() - t0


async def run_backend(db: str, url: str, n: int, per_der: int, batch: int) -> None:
    await migrate(url)
    engine = make_engine(url)
    try:
        ts = TimeseriesService(engine)
        points = make_points(n, per_der)
        common = {"db": db, "points": len(points), "batch": batch}
        seconds = await _ingest(ts, points, batch)
        emit("telemetry_ingest_interval_s", seconds, "s", n, **common)
        emit("telemetry_ingest_points_per_s", len(points) / seconds, "1/s", n, **common)
        emit("telemetry_redelivery_s", await _ingest(ts, points, batch), "s", n, **common)
        start = floor_interval(points[0].ts)
        t0 = time.perf_counter()
        got = await ts.query(
            start=start,
            end=start + timedelta(minutes=15),
            resolution=Resolution.QUARTER_HOUR,
            limit=n,
        )
        emit("telemetry_read_interval_s", time.perf_counter() - t0, "s", n, db=db, rows=len(got))
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="number of DERs")
    p.add_argument("--points", type=int, default=1, help="samples per DER in the interval")
    p.add_argument("--batch", type=int, default=100_000, help="points per ingest call")
    p.add_argument("--db", default="sqlite,postgres", help="back-ends, comma-separated")
    p.add_argument(
        "--pg", default=PG_DEFAULT, help="PostgreSQL server URL (a database to connect to)"
    )
    p.add_argument("--quick", action="store_true", help="2,000 DERs: a smoke run")
    args = p.parse_args(argv)
    n = 2_000 if args.quick else args.n
    async with aclosing(databases(args.db, args.pg, FIGURE)) as backends:
        async for db, url in backends:
            await run_backend(db, url, n, args.points, args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
