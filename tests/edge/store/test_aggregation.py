import asyncio
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexcoop.edge.model import Reading
from flexcoop.edge.store import Aggregate, Store
from flexcoop.units import Unit, floor_interval, utcnow

M = timedelta(minutes=1)
Q = timedelta(minutes=15)


def by_start(aggs: list[Aggregate]) -> dict[datetime, Aggregate]:
    return {a.start: a for a in aggs}


async def test_mean_min_max_last_per_interval_across_a_boundary(store: Store, t0: datetime) -> None:
    # interval [t0, t0+15m): 10, 30, 20 (last); interval [t0+15m, +30m): 5, -5 (last)
    values = [(0, 10.0), (7, 30.0), (14.9, 20.0), (15, 5.0), (29.99, -5.0)]
    store.add_readings([Reading("hp", "power", v, Unit.W, t0 + m * M) for m, v in values])
    await store.flush()
    assert await store.aggregate_now(until=t0 + 2 * Q) == 2
    aggs = await store.aggregates("hp", "power", t0 + 3 * M, t0 + 2 * Q)  # start is floored
    assert [(a.start, a.count, a.mean, a.min, a.max, a.last) for a in aggs] == [
        (t0, 3, 20.0, 10.0, 30.0, 20.0),
        (t0 + Q, 2, 0.0, -5.0, 5.0, -5.0),
    ]
    assert all(a.unit == "W" and a.delta is None and a.device == "hp" for a in aggs)


async def test_unfinished_interval_waits_until_it_has_ended(store: Store, t0: datetime) -> None:
    store.add_readings([Reading("m", "p", float(i), Unit.W, t0 + i * 5 * M) for i in range(5)])
    await store.flush()
    await store.aggregate_now(until=t0 + Q + 14 * M)
    assert [a.start for a in await store.aggregates("m", "p", t0, t0 + 2 * Q)] == [t0]
    await store.aggregate_now(until=t0 + 2 * Q)
    aggs = await store.aggregates("m", "p", t0, t0 + 2 * Q)
    assert [(a.start, a.count, a.last) for a in aggs] == [(t0, 3, 2.0), (t0 + Q, 2, 4.0)]


async def test_energy_delta_counts_steps_across_boundaries_and_ignores_resets(
    store: Store, t0: datetime
) -> None:
    counter = [(-2, 1000.0), (1, 1010.0), (14, 1030.0), (16, 1050.0), (20, 5.0), (25, 15.0)]
    store.add_readings([Reading("meter", "import", v, Unit.WH, t0 + m * M) for m, v in counter])
    await store.flush()
    await store.aggregate_now(until=t0 + 2 * Q)
    aggs = by_start(await store.aggregates("meter", "import", t0 - Q, t0 + 2 * Q))
    assert aggs[t0 - Q].delta == 0.0  # first reading ever: nothing to count from
    assert aggs[t0].delta == 30.0  # 1000 (previous interval) -> 1010 -> 1030
    assert aggs[t0 + Q].delta == 30.0  # 1030 -> 1050, reset to 5 counts 0, 5 -> 15
    assert aggs[t0].unit == "Wh"


async def test_late_reading_recomputes_its_interval_and_the_next_energy_delta(
    store: Store, t0: datetime
) -> None:
    store.add_readings(
        [
            Reading("meter", "import", v, Unit.WH, t0 + m * M)
            for m, v in [(1, 0.0), (14, 30.0), (16, 50.0)]
        ]
        + [Reading("hp", "power", 1.0, Unit.W, t0 + M)]
    )
    await store.flush()
    await store.aggregate_now(until=t0 + 2 * Q)
    # A reading from the past arrives after the roll-up (a device flushing its own buffer).
    store.add_readings(
        [
            Reading("meter", "import", 40.0, Unit.WH, t0 + 14.5 * M),
            Reading("hp", "power", 9.0, Unit.W, t0 + 2 * M),
        ]
    )
    await store.flush()
    assert await store.aggregate_now(until=t0 + 2 * Q) >= 2
    meter = by_start(await store.aggregates("meter", "import", t0, t0 + 2 * Q))
    assert (meter[t0].delta, meter[t0].last, meter[t0].count) == (40.0, 40.0, 3)
    assert meter[t0 + Q].delta == 10.0  # now counted from 40, not from 30
    (hp,) = await store.aggregates("hp", "power", t0, t0 + Q)
    assert (hp.count, hp.max, hp.last) == (2, 9.0, 9.0)


def reference(
    readings: list[tuple[int, float]],
) -> dict[int, tuple[int, float, float, float, float]]:
    """Naive roll-up: (count, min, max, last, delta) per interval index."""
    out: dict[int, list[float]] = {}
    previous: float | None = None
    for ts_s, value in sorted(readings):
        k = ts_s // 900
        acc = out.setdefault(k, [0, value, value, value, 0.0])
        acc[0] += 1
        acc[1] = min(acc[1], value)
        acc[2] = max(acc[2], value)
        acc[3] = value
        if previous is not None and value > previous:
            acc[4] += value - previous
        previous = value
    return {k: (int(a[0]), a[1], a[2], a[3], a[4]) for k, a in out.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 700), st.sampled_from([0.0, 1.5, 10.0, -100.0])),
        min_size=1,
        max_size=60,
    ),
    batches=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_incremental_roll_up_with_late_batches_matches_a_naive_reference(
    steps: list[tuple[int, float]], batches: int, seed: int
) -> None:
    """Readings arrive in shuffled batches with roll-ups in between; the result must equal a
    from-scratch computation (so late readings and boundary deltas are always handled)."""
    base = floor_interval(utcnow() - timedelta(hours=12))
    ts_s, value, readings = 0, 500.0, []
    for dt, dv in steps:
        ts_s += dt
        value = max(0.0, value + dv)
        readings.append((ts_s, value))
    shuffled = readings[:]
    random.Random(seed).shuffle(shuffled)
    end = base + timedelta(seconds=ts_s - ts_s % 900 + 900)

    async def run() -> list[Aggregate]:
        with tempfile.TemporaryDirectory() as tmp:
            async with Store(Path(tmp), maintenance_interval_s=3600) as store:
                for i in range(batches):
                    chunk = shuffled[i::batches]
                    store.add_readings(
                        [
                            Reading("m", "e", v, Unit.WH, base + timedelta(seconds=s))
                            for s, v in chunk
                        ]
                    )
                    await store.flush()
                    await store.aggregate_now(until=end)
                return await store.aggregates("m", "e", base, end)

    got = {
        int((a.start - base).total_seconds()) // 900: (a.count, a.min, a.max, a.last, a.delta)
        for a in asyncio.run(run())
    }
    expected = reference(readings)
    assert got.keys() == expected.keys()
    for k, (count, lo, hi, last, delta) in expected.items():
        assert got[k][:4] == (count, lo, hi, last)
        assert abs((got[k][4] or 0.0) - delta) < 1e-6
