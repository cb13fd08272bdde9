"""Flexibility offers: storage, validation, queries and the portfolio sum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.cloud.timeseries.service import TimeseriesInputError, TimeseriesService

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
Q = timedelta(minutes=15)


@pytest.fixture
def ts(engine) -> TimeseriesService:
    return TimeseriesService(engine)


def _day(up: float, down: float, n: int = 96):
    return [(T0 + i * Q, up, down) for i in range(n)]


async def test_store_and_read_back_an_offer(ts: TimeseriesService) -> None:
    offer_id = await ts.store_flex_offer("d1", T0 - timedelta(hours=1), _day(1000, 500))
    (offer,) = await ts.flex_offers(der_ids=["d1"])
    assert offer.id == offer_id and offer.der_id == "d1"
    assert len(offer.intervals) == 96
    assert offer.intervals[0].start == T0 and offer.intervals[0].up_w == 1000


@pytest.mark.parametrize(
    ("intervals", "where"),
    [
        ([(T0 + timedelta(minutes=7), 1.0, 1.0)], "intervals[0].start"),
        ([(T0, 1.0, 1.0), (T0, 2.0, 2.0)], "intervals[1].start"),
        ([(T0, -5.0, 1.0)], "intervals[0]"),
        ([], "intervals"),
        (_day(1, 1, 200), "intervals"),
    ],
)
async def test_bad_offers_store_nothing(ts: TimeseriesService, intervals, where) -> None:
    with pytest.raises(TimeseriesInputError) as exc:
        await ts.store_flex_offer("d1", T0, intervals)
    assert where in [w for w, _ in exc.value.problems]
    assert await ts.flex_offers() == []


async def test_portfolio_sums_the_latest_offer_per_der(ts: TimeseriesService) -> None:
    await ts.store_flex_offer("d1", T0 - timedelta(hours=2), _day(1000, 100, 4))
    await ts.store_flex_offer("d1", T0 - timedelta(hours=1), _day(2000, 200, 4))  # replaces
    await ts.store_flex_offer("d2", T0 - timedelta(hours=1), _day(500, 50, 2))
    rows = await ts.portfolio_flex(start=T0, end=T0 + 4 * Q)
    assert [(r.start, r.up_w, r.down_w, r.ders) for r in rows] == [
        (T0, 2500, 250, 2),
        (T0 + Q, 2500, 250, 2),
        (T0 + 2 * Q, 2000, 200, 1),
        (T0 + 3 * Q, 2000, 200, 1),
    ]
    only_d2 = await ts.portfolio_flex(start=T0, end=T0 + 4 * Q, der_ids=["d2"])
    assert [r.up_w for r in only_d2] == [500, 500]


async def test_offer_paging_and_retention(engine) -> None:
    ts = TimeseriesService(engine, flex_offer_retention_days=1)
    ids = [await ts.store_flex_offer(f"d{i}", T0 + i * Q, _day(1, 1, 1)) for i in range(3)]
    first = await ts.flex_offers(limit=2)
    rest = await ts.flex_offers(after_id=first[-1].id)
    assert [o.id for o in first + rest] == ids
    assert [o.der_id for o in await ts.flex_offers(created_after=T0)] == ["d1", "d2"]
    counts = await ts.prune(T0 + timedelta(days=1, minutes=20))
    assert counts["flex_offers"] == 2
    assert [o.der_id for o in await ts.flex_offers()] == ["d2"]
