import asyncio
import math
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from flexcoop.edge.model import Quality, Reading
from flexcoop.edge.store import Store
from flexcoop.units import Unit


async def test_history_returns_committed_readings_in_order_within_range(
    store: Store, t0: datetime
) -> None:
    store.add_readings(
        [Reading("pv1", "power", float(i), Unit.W, t0 + timedelta(seconds=i)) for i in range(100)]
    )
    store.add_readings([Reading("pv1", "energy", 5.0, Unit.WH, t0)])
    await store.flush()
    got = await store.history(
        "pv1", "power", t0 + timedelta(seconds=10), t0 + timedelta(seconds=20)
    )
    assert [r.value for r in got] == [float(i) for i in range(10, 20)]
    assert all(r.unit is Unit.W and r.ts.tzinfo is UTC for r in got)
    assert got[0].ts == t0 + timedelta(seconds=10)
    limited = await store.history("pv1", "power", t0, t0 + timedelta(hours=1), limit=3)
    assert [r.value for r in limited] == [0.0, 1.0, 2.0]
    assert await store.history("pv1", "nope", t0, t0 + timedelta(hours=1)) == []


async def test_latest_is_newest_per_point_regardless_of_arrival_order(
    store: Store, t0: datetime
) -> None:
    store.add_readings(
        [
            Reading("hp", "power", 2.0, Unit.W, t0 + timedelta(seconds=2)),
            Reading("hp", "power", 1.0, Unit.W, t0 + timedelta(seconds=1)),
            Reading("hp", "temp", 21.5, Unit.CELSIUS, t0, Quality.ESTIMATED),
            Reading("pv", "power", 7.0, Unit.W, t0),
        ]
    )
    await store.flush()
    latest = await store.latest()
    assert [(r.device, r.point, r.value) for r in latest] == [
        ("hp", "power", 2.0),
        ("hp", "temp", 21.5),
        ("pv", "power", 7.0),
    ]
    temp = next(r for r in latest if r.point == "temp")
    assert temp.unit is Unit.CELSIUS and temp.quality is Quality.ESTIMATED
    assert [r.device for r in await store.latest("pv")] == ["pv"]


async def test_timestamps_keep_milliseconds_and_any_timezone_is_normalised(
    store: Store, t0: datetime
) -> None:
    cet = timezone(timedelta(hours=1))
    ts = (t0 + timedelta(milliseconds=123, microseconds=999)).astimezone(cet)
    store.add_readings([Reading("m", "p", 1.0, Unit.W, ts)])
    await store.flush()
    (r,) = await store.latest("m")
    assert r.ts == ts.replace(microsecond=123_000) and r.ts.tzinfo is UTC


async def test_same_point_same_instant_is_stored_once_newest_value_wins(
    store: Store, t0: datetime
) -> None:
    store.add_readings([Reading("m", "p", 1.0, Unit.W, t0)])
    await store.flush()
    store.add_readings([Reading("m", "p", 2.0, Unit.W, t0)])
    await store.flush()
    assert [r.value for r in await store.history("m", "p", t0, t0 + timedelta(seconds=1))] == [2.0]


async def test_bad_readings_are_rejected_and_counted_without_losing_good_ones(
    store: Store, t0: datetime
) -> None:
    store.add_readings(
        [
            Reading("m", "p", math.nan, Unit.W, t0),
            Reading("m", "p", math.inf, Unit.W, t0 + timedelta(seconds=1)),
            Reading(
                "m", "p", 3.0, Unit.W, t0 - timedelta(days=30)
            ),  # before the raw retention window
            "not a reading",
            Reading("m", "p", 4.0, Unit.W, t0 + timedelta(seconds=2)),
        ]
    )
    await store.flush()
    assert [
        r.value
        for r in await store.history("m", "p", t0 - timedelta(days=31), t0 + timedelta(hours=1))
    ] == [4.0]
    health = store.health()
    assert health.rejected_readings == 4 and health.ok and health.buffered_readings == 0


async def test_writer_commits_without_explicit_flush_and_data_survives_restart(
    tmp_path: Path, t0: datetime
) -> None:
    async with Store(tmp_path, flush_interval_s=0.01, maintenance_interval_s=3600) as store:
        store.add_readings(
            [Reading("m", "p", float(i), Unit.W, t0 + timedelta(seconds=i)) for i in range(10)]
        )
        for _ in range(500):
            if len(await store.history("m", "p", t0, t0 + timedelta(hours=1))) == 10:
                break
            await asyncio.sleep(0.01)
        assert store.health().buffered_readings == 0
        assert store.health().db_bytes > 0
    async with Store(tmp_path) as again:
        assert len(await again.history("m", "p", t0, t0 + timedelta(hours=1))) == 10


async def test_readings_added_before_start_are_kept(tmp_path: Path, t0: datetime) -> None:
    store = Store(tmp_path)
    store.add_readings([Reading("m", "p", 1.0, Unit.W, t0)])
    assert not store.health().ok and store.health().buffered_readings == 1
    async with store:
        await store.flush()
        assert [r.value for r in await store.latest()] == [1.0]


async def test_stop_commits_what_is_still_buffered(tmp_path: Path, t0: datetime) -> None:
    store = Store(tmp_path, flush_interval_s=3600)  # the writer would not get to it in time
    await store.start()
    store.add_readings(
        [Reading("m", "p", float(i), Unit.W, t0 + timedelta(seconds=i)) for i in range(50)]
    )
    await store.stop()
    assert store.health().ok is False and store.health().error == "store stopped"
    async with Store(tmp_path) as again:
        assert len(await again.history("m", "p", t0, t0 + timedelta(hours=1))) == 50


async def test_all_sql_runs_on_the_store_thread_never_on_the_event_loop(
    store: Store, t0: datetime
) -> None:
    threads: set[str] = set()

    def install() -> None:
        conn = store._db._conn
        assert conn is not None
        conn.set_trace_callback(lambda _sql: threads.add(threading.current_thread().name))

    await store._run(install)
    store.add_readings([Reading("m", "p", 1.0, Unit.W, t0)])
    await store.flush()
    await store.latest()
    await store.aggregate_now()
    await store.outbox_ack([await store.outbox_put("c", b"x")])
    await store.set_state("k", 1)
    await store.add_event("alert", None, {})
    assert threads and all(name.startswith("flexcoop-store") for name in threads), threads
