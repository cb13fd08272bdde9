"""Telemetry ingest, 15-minute aggregation, queries and retention on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from flexcoop.cloud.timeseries.models import Resolution, TelemetryPoint
from flexcoop.cloud.timeseries.service import TimeseriesInputError, TimeseriesService

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)


@pytest.fixture
def ts(engine) -> TimeseriesService:
    return TimeseriesService(engine, raw_retention_days=1, aggregate_retention_days=30)


def _points(der: str, minutes: range, value=lambda m: float(m), unit: str = "W"):
    return [
        TelemetryPoint(der, "power", T0 + timedelta(minutes=m), value(m), unit) for m in minutes
    ]


async def _agg(ts: TimeseriesService, **kw):
    return await ts.query(start=T0, end=NOW, resolution=Resolution.QUARTER_HOUR, **kw)


async def test_ingest_builds_15_minute_aggregates(ts: TimeseriesService) -> None:
    result = await ts.ingest(_points("d1", range(0, 30)), now=NOW)
    assert (result.received, result.stored, result.duplicates) == (30, 30, 0)
    rows = await _agg(ts)
    assert [(r.ts, r.n, r.min, r.max, r.value) for r in rows] == [
        (T0, 15, 0.0, 14.0, 7.0),
        (T0 + timedelta(minutes=15), 15, 15.0, 29.0, 22.0),
    ]


async def test_redelivered_points_are_not_counted_twice(ts: TimeseriesService) -> None:
    await ts.ingest(_points("d1", range(0, 10)), now=NOW)
    again = await ts.ingest(_points("d1", range(5, 15)), now=NOW)
    assert (again.stored, again.duplicates) == (5, 5)
    (row,) = await _agg(ts)
    assert (row.n, row.min, row.max, row.value) == (15, 0.0, 14.0, 7.0)


async def test_units_are_stored_canonical(ts: TimeseriesService) -> None:
    await ts.ingest(_points("d1", range(0, 2), value=lambda m: 1.5, unit="kW"), now=NOW)
    (row,) = await _agg(ts)
    assert (row.unit, row.value) == ("W", 1500.0)


async def test_concurrent_ingest_counts_each_point_once(ts: TimeseriesService) -> None:
    batches = [_points("d1", range(i, 15, 3)) for i in range(3)] * 2
    await asyncio.gather(*(ts.ingest(b, now=NOW) for b in batches))
    (row,) = await _agg(ts)
    assert row.n == 15 and row.value == 7.0


@pytest.mark.parametrize(
    ("points", "where"),
    [
        ([*_points("d1", range(0, 2)), TelemetryPoint("d1", "power", T0, 1.0, "Wh")], "unit"),
        ([TelemetryPoint("d1", "power", NOW + timedelta(hours=3), 1.0, "W")], "ts"),
        ([TelemetryPoint("d1", "power", NOW - timedelta(days=2), 1.0, "W")], "ts"),
    ],
)
async def test_bad_batch_is_refused_whole(ts: TimeseriesService, points, where) -> None:
    with pytest.raises(TimeseriesInputError) as exc:
        await ts.ingest(points, now=NOW)
    assert any(w.endswith(where) for w, _ in exc.value.problems)
    assert (
        await ts.query(
            start=T0 - timedelta(days=3), end=NOW + timedelta(days=1), resolution=Resolution.RAW
        )
        == []
    )


@pytest.mark.parametrize(
    "args",
    [
        ("d 1", "power", T0, 1.0, "W"),
        ("d1", "Power!", T0, 1.0, "W"),
        ("d1", "power", T0.replace(tzinfo=None), 1.0, "W"),
        ("d1", "power", T0, float("nan"), "W"),
        ("d1", "power", T0, 1.0, "furlongs"),
    ],
)
def test_malformed_points_are_refused(args) -> None:
    with pytest.raises(ValidationError):
        TelemetryPoint(*args)


async def test_bulk_query_filters_and_pages(ts: TimeseriesService) -> None:
    for der in ("a", "b", "c"):
        await ts.ingest(_points(der, range(0, 5)), now=NOW)
    raw = await ts.query(start=T0, end=NOW, der_ids=["a", "c"], resolution=Resolution.RAW, limit=4)
    assert [(r.der_id, r.ts.minute) for r in raw] == [("a", 0), ("a", 1), ("a", 2), ("a", 3)]
    last = raw[-1]
    rest = await ts.query(
        start=T0,
        end=NOW,
        der_ids=["a", "c"],
        resolution=Resolution.RAW,
        after=(last.der_id, last.series, last.ts),
    )
    assert [(r.der_id, r.ts.minute) for r in rest] == [("a", 4)] + [("c", m) for m in range(5)]
    assert await ts.query(start=T0, end=NOW, series="soc") == []


async def test_retention_prunes_old_data_only(ts: TimeseriesService) -> None:
    await ts.ingest(_points("d1", range(0, 3)), now=NOW)
    kept = await ts.prune(NOW)
    assert kept["raw"] == 0
    counts = await ts.prune(T0 + timedelta(days=1, minutes=1, seconds=30))
    assert counts["raw"] == 2  # minutes 0 and 1 are older than one day; minute 2 is not
    assert len(await ts.query(start=T0, end=NOW, resolution=Resolution.RAW)) == 1
    assert len(await _agg(ts)) == 1  # aggregates live 30 days
    await ts.prune(T0 + timedelta(days=31))
    assert await _agg(ts) == []
