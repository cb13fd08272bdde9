"""TimeseriesService: telemetry ingest with 15-minute aggregation, retention, bulk queries and
flexibility offers.

Ingest is two statements per batch, whatever its size: new raw samples are inserted (re-delivered
ones are skipped by the primary key, so a VEN's outbox may repeat a report safely) and only the
samples actually inserted are folded into their 15-minute aggregates (count, sum, min, max) by an
atomic upsert, so several workers can ingest concurrently without double counting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, insert, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.aio import cancel_and_wait, run_every
from flexcoop.cloud.db import UtcDateTime, bulk_source, sql_least_greatest
from flexcoop.cloud.timeseries.models import (
    MAX_OFFER_INTERVALS,
    FlexInterval,
    FlexOffer,
    IngestResult,
    PortfolioInterval,
    Resolution,
    Sample,
    TelemetryPoint,
)
from flexcoop.cloud.timeseries.tables import (
    AggregateRow,
    FlexOfferIntervalRow,
    FlexOfferRow,
    RawSampleRow,
)
from flexcoop.logs import event, get_logger
from flexcoop.units import ensure_utc, floor_interval, to_canonical, utcnow

log = get_logger(__name__)

# A report stamped this far ahead of the server clock is a broken clock, not a forecast.
MAX_FUTURE = timedelta(hours=1)


class TimeseriesInputError(ValueError):
    """Input rejected as a whole (nothing stored); ``problems`` is ``[(where, message)]``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{w}: {m}" for w, m in problems[:10]))
        self.problems = problems


class TimeseriesService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        raw_retention_days: float = 14.0,
        aggregate_retention_days: float = 3650.0,
        flex_offer_retention_days: float = 400.0,
        retention_interval_s: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.raw_retention = timedelta(days=raw_retention_days)
        self.aggregate_retention = timedelta(days=aggregate_retention_days)
        self.flex_offer_retention = timedelta(days=flex_offer_retention_days)
        self.retention_interval_s = retention_interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(
            run_every(self.retention_interval_s, self._prune_now, name="timeseries-retention"),
            name="timeseries-retention",
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait([task])

    async def _prune_now(self) -> None:
        await self.prune(utcnow())

    # -- ingest ------------------------------------------------------------------------------

    def _validate(
        self, points: Sequence[TelemetryPoint], now: datetime
    ) -> list[tuple[str, str, datetime, datetime, float, str]]:
        oldest, newest = now - self.raw_retention, now + MAX_FUTURE
        rows = []
        units: dict[tuple[str, str], str] = {}
        problems: list[tuple[str, str]] = []
        # Reports share timestamps and units: compute each interval start and unit factor once.
        starts: dict[datetime, datetime] = {}
        factors: dict[str, tuple[float, str]] = {}
        for i, p in enumerate(points):
            conv = factors.get(p.unit)
            if conv is None:
                factor, canonical = to_canonical(1.0, p.unit)
                conv = factors[p.unit] = (factor, canonical.value)
            unit = conv[1]
            seen = units.setdefault((p.der_id, p.series), unit)
            if seen != unit:
                problems.append((f"points[{i}].unit", f"{p.series} is in {seen}, not {p.unit}"))
            if not oldest <= p.ts <= newest:
                problems.append(
                    (f"points[{i}].ts", "outside the retention window or in the future")
                )
            start = starts.get(p.ts)
            if start is None:
                start = starts[p.ts] = floor_interval(p.ts)
            rows.append((p.der_id, p.series, p.ts, start, p.value * conv[0], unit))
        if problems:
            raise TimeseriesInputError(problems)
        return rows

    async def ingest(
        self, points: Sequence[TelemetryPoint], *, now: datetime | None = None
    ) -> IngestResult:
        """Store telemetry and update its 15-minute aggregates; all or nothing.

        Raises TimeseriesInputError (nothing stored) for mixed units of one series or
        timestamps outside [now - raw retention, now + 1 h]."""
        rows = self._validate(points, ensure_utc(now) if now else utcnow())
        if not rows:
            return IngestResult(received=0, stored=0, duplicates=0)
        columns = [
            ("der_id", "text"),
            ("series", "text"),
            ("ts", "ts"),
            ("interval_start", "ts"),
            ("value", "float"),
            ("unit", "text"),
        ]
        async with self.engine.begin() as conn:
            source, params = bulk_source(conn, "p", columns, rows)
            inserted = (
                await conn.execute(
                    text(
                        "INSERT INTO timeseries_raw (der_id, series, ts, interval_start, value, unit) "
                        f"SELECT p.der_id, p.series, p.ts, p.interval_start, p.value, p.unit FROM {source} "
                        # WHERE true: SQLite would read ON CONFLICT as a join constraint otherwise.
                        "WHERE true ON CONFLICT (der_id, series, ts) DO NOTHING "
                        "RETURNING der_id, series, interval_start, value, unit"
                    ),
                    params,
                )
            ).all()
            groups: dict[tuple[Any, Any, Any], list[Any]] = {}
            for der_id, series, start, value, unit in inserted:
                g = groups.get((der_id, series, start))
                if g is None:
                    groups[(der_id, series, start)] = [unit, 1, value, value, value]
                else:
                    g[1] += 1
                    g[2] += value
                    g[3] = min(g[3], value)
                    g[4] = max(g[4], value)
            if groups:
                await self._fold(conn, [(*k, *v) for k, v in groups.items()])
        stored = len(inserted)
        event(log, "telemetry_ingested", received=len(rows), stored=stored)
        return IngestResult(received=len(rows), stored=stored, duplicates=len(rows) - stored)

    @staticmethod
    async def _fold(conn: Any, aggregates: list[tuple[Any, ...]]) -> None:
        least, greatest = sql_least_greatest(conn)
        source, params = bulk_source(
            conn,
            "a",
            [
                ("der_id", "text"),
                ("series", "text"),
                ("interval_start", "ts"),
                ("unit", "text"),
                ("n", "int"),
                ("sum_value", "float"),
                ("min_value", "float"),
                ("max_value", "float"),
            ],
            aggregates,
        )
        t = "timeseries_15m"
        await conn.execute(
            text(
                f"INSERT INTO {t} (der_id, series, interval_start, unit, n, sum_value, min_value, max_value) "
                "SELECT a.der_id, a.series, a.interval_start, a.unit, a.n, a.sum_value, a.min_value, "
                f"a.max_value FROM {source} WHERE true "
                "ON CONFLICT (der_id, series, interval_start) DO UPDATE SET "
                f"n = {t}.n + excluded.n, sum_value = {t}.sum_value + excluded.sum_value, "
                f"min_value = {least}({t}.min_value, excluded.min_value), "
                f"max_value = {greatest}({t}.max_value, excluded.max_value)"
            ),
            params,
        )

    # -- queries -----------------------------------------------------------------------------

    async def query(
        self,
        *,
        start: datetime,
        end: datetime,
        series: str | None = None,
        der_ids: Sequence[str] | None = None,
        resolution: Resolution = Resolution.QUARTER_HOUR,
        after: tuple[str, str, datetime] | None = None,
        limit: int = 1000,
    ) -> list[Sample]:
        """Samples with ``start <= ts < end`` ordered by (der_id, series, ts), after ``after``."""
        start, end = ensure_utc(start), ensure_utc(end)
        q: Select[Any]
        if resolution is Resolution.RAW:
            r = RawSampleRow
            key = (r.der_id, r.series, r.ts)
            q = select(r.der_id, r.series, r.ts, r.value, r.value, r.value, literal(1), r.unit)
        else:
            a = AggregateRow
            key = (a.der_id, a.series, a.interval_start)
            q = select(
                a.der_id,
                a.series,
                a.interval_start,
                a.sum_value / a.n,
                a.min_value,
                a.max_value,
                a.n,
                a.unit,
            )
        der_col, series_col, ts_col = key
        q = q.where(ts_col >= start, ts_col < end).order_by(*key).limit(limit)
        if series is not None:
            q = q.where(series_col == series)
        if der_ids is not None:
            q = q.where(der_col.in_(list(der_ids)))
        if after is not None:
            q = q.where(
                tuple_(*key)
                > tuple_(
                    bindparam("a_der", after[0]),
                    bindparam("a_series", after[1]),
                    bindparam("a_ts", ensure_utc(after[2]), type_=UtcDateTime),
                )
            )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [
            Sample(der_id=d, series=s, ts=ts, value=v, min=lo, max=hi, n=n, unit=u)
            for d, s, ts, v, lo, hi, n, u in rows
        ]

    # -- flexibility offers ------------------------------------------------------------------

    async def store_flex_offer(
        self,
        der_id: str,
        created: datetime,
        intervals: Sequence[tuple[datetime, float, float]],
    ) -> int:
        """Store a DER's offer (per 15-min interval: start, up_w, down_w); returns its id.

        Raises TimeseriesInputError (nothing stored) for unaligned, repeated or negative
        intervals."""
        problems: list[tuple[str, str]] = []
        parsed: list[FlexInterval] = []
        if not intervals:
            problems.append(("intervals", "at least one interval"))
        if len(intervals) > MAX_OFFER_INTERVALS:
            problems.append(("intervals", f"at most {MAX_OFFER_INTERVALS} intervals"))
        seen: set[datetime] = set()
        for i, (start, up_w, down_w) in enumerate(intervals):
            try:
                iv = FlexInterval(start=start, up_w=up_w, down_w=down_w)
            except ValueError as exc:
                problems.append((f"intervals[{i}]", str(exc).splitlines()[-1].strip()))
                continue
            begin = ensure_utc(iv.start)
            if floor_interval(begin) != begin:
                problems.append((f"intervals[{i}].start", "not the start of a 15-minute interval"))
            if begin in seen:
                problems.append((f"intervals[{i}].start", "repeated interval"))
            seen.add(begin)
            parsed.append(iv)
        if problems:
            raise TimeseriesInputError(problems)
        created = ensure_utc(created)
        async with self.engine.begin() as conn:
            offer_id = (
                await conn.execute(
                    insert(FlexOfferRow)
                    .values(der_id=der_id, created=created)
                    .returning(FlexOfferRow.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(FlexOfferIntervalRow),
                [
                    {"offer_id": offer_id, "start": iv.start, "up_w": iv.up_w, "down_w": iv.down_w}
                    for iv in parsed
                ],
            )
        event(log, "flex_offer_stored", der_id=der_id, offer_id=offer_id, intervals=len(parsed))
        return int(offer_id)

    async def flex_offers(
        self,
        *,
        der_ids: Sequence[str] | None = None,
        created_after: datetime | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[FlexOffer]:
        """Offers in storage order (id), optionally for some DERs or created after a time."""
        q = select(FlexOfferRow).order_by(FlexOfferRow.id).limit(limit)
        if der_ids is not None:
            q = q.where(FlexOfferRow.der_id.in_(list(der_ids)))
        if created_after is not None:
            q = q.where(FlexOfferRow.created > ensure_utc(created_after))
        if after_id is not None:
            q = q.where(FlexOfferRow.id > after_id)
        async with self.engine.connect() as conn:
            offers = (await conn.execute(q)).all()
            ids = [o.id for o in offers]
            intervals: dict[int, list[FlexInterval]] = {i: [] for i in ids}
            if ids:
                rows = await conn.execute(
                    select(FlexOfferIntervalRow)
                    .where(FlexOfferIntervalRow.offer_id.in_(ids))
                    .order_by(FlexOfferIntervalRow.offer_id, FlexOfferIntervalRow.start)
                )
                for r in rows:
                    intervals[r.offer_id].append(
                        FlexInterval(start=r.start, up_w=r.up_w, down_w=r.down_w)
                    )
        return [
            FlexOffer(id=o.id, der_id=o.der_id, created=o.created, intervals=intervals[o.id])
            for o in offers
        ]

    async def portfolio_flex(
        self, *, start: datetime, end: datetime, der_ids: Sequence[str] | None = None
    ) -> list[PortfolioInterval]:
        """Per interval in [start, end): the sum over DERs of their latest offer's up/down W."""
        ranked = select(
            FlexOfferRow.id,
            func.row_number()
            .over(
                partition_by=FlexOfferRow.der_id,
                order_by=(FlexOfferRow.created.desc(), FlexOfferRow.id.desc()),
            )
            .label("rank"),
        )
        if der_ids is not None:
            ranked = ranked.where(FlexOfferRow.der_id.in_(list(der_ids)))
        latest = ranked.subquery()
        iv = FlexOfferIntervalRow
        q = (
            select(iv.start, func.sum(iv.up_w), func.sum(iv.down_w), func.count())
            .join(latest, and_(latest.c.id == iv.offer_id, latest.c.rank == 1))
            .where(iv.start >= ensure_utc(start), iv.start < ensure_utc(end))
            .group_by(iv.start)
            .order_by(iv.start)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [PortfolioInterval(start=s, up_w=u, down_w=d, ders=n) for s, u, d, n in rows]

    # -- retention ---------------------------------------------------------------------------

    async def prune(self, now: datetime) -> dict[str, int]:
        """Delete raw samples, aggregates and offers older than their retention; counts."""
        now = ensure_utc(now)
        async with self.engine.begin() as conn:
            raw = await conn.execute(
                delete(RawSampleRow).where(RawSampleRow.ts < now - self.raw_retention)
            )
            agg = await conn.execute(
                delete(AggregateRow).where(
                    AggregateRow.interval_start < floor_interval(now - self.aggregate_retention)
                )
            )
            offers = await conn.execute(
                delete(FlexOfferRow).where(FlexOfferRow.created < now - self.flex_offer_retention)
            )
        counts = {"raw": raw.rowcount, "aggregates": agg.rowcount, "flex_offers": offers.rowcount}
        event(log, "timeseries_pruned", **counts)
        return counts
