import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from flexcoop.edge.model import Reading
from flexcoop.edge.store import Store
from flexcoop.units import Unit

Q = timedelta(minutes=15)
DAY = timedelta(days=1)


async def test_prune_drops_old_raw_keeps_aggregates_then_drops_old_aggregates(
    tmp_path: Path, t0: datetime
) -> None:
    async with Store(
        tmp_path, raw_retention_days=1, aggregate_retention_days=3, maintenance_interval_s=3600
    ) as store:
        store.add_readings([Reading("m", "p", float(i), Unit.W, t0 + i * Q) for i in range(4)])
        await store.add_event("alert", "m", {"n": 1}, ts=t0)
        await store.flush()
        # Not rolled up yet: prune must aggregate first, or the data would vanish entirely.
        deleted = await store.prune(now=t0 + 2 * DAY)
        assert deleted == 4
        assert await store.history("m", "p", t0, t0 + DAY) == []
        assert [a.last for a in await store.aggregates("m", "p", t0, t0 + DAY)] == [0, 1, 2, 3]
        assert len(await store.events(kind="alert")) == 1

        assert await store.prune(now=t0 + 4 * DAY) == 4 + 1  # aggregates and the event
        assert await store.aggregates("m", "p", t0, t0 + DAY) == []
        assert await store.events() == []


async def test_prune_keeps_everything_inside_the_windows(store: Store, t0: datetime) -> None:
    store.add_readings([Reading("m", "p", 1.0, Unit.W, t0)])
    await store.flush()
    assert await store.prune() == 0
    assert len(await store.history("m", "p", t0, t0 + Q)) == 1


async def test_late_reading_into_pruned_time_is_rejected_not_resurrected(
    tmp_path: Path, t0: datetime
) -> None:
    async with Store(tmp_path, raw_retention_days=1, maintenance_interval_s=3600) as store:
        store.add_readings(
            [
                Reading("m", "p", v, Unit.W, t0 + i * 5 * timedelta(minutes=1))
                for i, v in enumerate([1.0, 2.0, 3.0])
            ]
        )
        await store.flush()
        await store.prune(now=t0 + 2 * DAY)
        # Re-aggregating the interval from this single straggler would overwrite a good row.
        store.add_readings([Reading("m", "p", 99.0, Unit.W, t0 + timedelta(minutes=1))])
        await store.flush()
        await store.aggregate_now(until=t0 + 2 * DAY)
        (agg,) = await store.aggregates("m", "p", t0, t0 + Q)
        assert (agg.count, agg.max) == (3, 3.0)
        assert store.health().rejected_readings == 1


async def test_roll_up_and_retention_also_run_by_themselves(tmp_path: Path, t0: datetime) -> None:
    async with Store(tmp_path, maintenance_interval_s=3600) as store:
        store.add_readings([Reading("m", "p", float(i), Unit.W, t0 + i * Q) for i in range(4)])
    # Reopened with a 15-minute raw window and a fast maintenance tick: nobody calls
    # aggregate_now() or prune(), yet the readings get rolled up and then pruned.
    async with Store(tmp_path, raw_retention_days=15 / 1440, maintenance_interval_s=0.02) as store:
        for _ in range(1000):
            if not await store.history("m", "p", t0, t0 + DAY):
                break
            await asyncio.sleep(0.01)
        assert await store.history("m", "p", t0, t0 + DAY) == []
        assert [a.last for a in await store.aggregates("m", "p", t0, t0 + DAY)] == [0, 1, 2, 3]
