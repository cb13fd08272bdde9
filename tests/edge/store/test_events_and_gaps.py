from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.edge.model import Quality, Reading
from flexcoop.edge.store import EventKind, Store
from flexcoop.units import Unit

M = timedelta(minutes=1)


async def test_events_round_trip_and_filter(store: Store, t0: datetime) -> None:
    a = await store.add_event("device_offline", "hp", {"reason": "timeout"}, ts=t0)
    b = await store.add_event(
        "write_rejected", "hp", {"point": "setpoint", "value": 80.5}, ts=t0 + M
    )
    c = await store.add_event(EventKind.ALERT, None, {"msg": "disk 90%"}, ts=t0 + 2 * M)
    d = await store.add_event("device_online", "pv", {})
    assert a < b < c < d
    (rej,) = await store.events(kind="write_rejected")
    assert (rej.id, rej.ts, rej.device, rej.data) == (
        b,
        t0 + M,
        "hp",
        {"point": "setpoint", "value": 80.5},
    )
    assert [e.id for e in await store.events(device="hp")] == [a, b]
    assert [e.id for e in await store.events(since=t0 + M)] == [b, c, d]
    assert [e.id for e in await store.events(since=t0, limit=2)] == [a, b]
    assert [e.id for e in await store.events(limit=2)] == [c, d]  # the newest two, oldest first
    assert (await store.events(kind="alert"))[0].kind == "alert"
    newest = (await store.events(device="pv"))[0]
    assert newest.ts.tzinfo is UTC and newest.ts > t0


async def test_bad_event_input_is_refused(store: Store, t0: datetime) -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        await store.add_event("alert", None, {"x": {1, 2}})
    with pytest.raises(ValueError, match="naive"):
        await store.add_event("alert", None, {}, ts=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="kind"):
        await store.add_event("", None, {})
    assert await store.events() == []


async def test_gaps_from_liveness_events_and_resumed_readings(store: Store, t0: datetime) -> None:
    # Offline before the window starts: the window opens inside a gap.
    await store.add_event("device_offline", "hp", {}, ts=t0 - 10 * M)
    await store.add_event("device_online", "hp", {}, ts=t0 + 2 * M)
    await store.add_event("device_offline", "hp", {}, ts=t0 + 20 * M)
    await store.add_event("device_offline", "hp", {}, ts=t0 + 21 * M)  # repeated: same gap
    await store.add_event("device_online", "hp", {}, ts=t0 + 25 * M)
    await store.add_event("device_offline", "pv", {}, ts=t0 + 5 * M)  # another device
    # A RESUMED reading closes a gap that started at the point's previous reading.
    store.add_readings(
        [
            Reading("hp", "power", 1.0, Unit.W, t0 + 30 * M),
            Reading("hp", "power", 1.0, Unit.W, t0 + 40 * M, Quality.RESUMED),
            Reading("hp", "power", 1.0, Unit.W, t0 + 41 * M),
            Reading("hp", "temp", 20.0, Unit.CELSIUS, t0 + 24 * M),
            Reading("hp", "temp", 20.0, Unit.CELSIUS, t0 + 28 * M, Quality.RESUMED),  # overlaps
        ]
    )
    await store.flush()
    await store.add_event("device_offline", "hp", {}, ts=t0 + 50 * M)  # still offline at end
    gaps = await store.gaps("hp", t0, t0 + 60 * M)
    assert gaps == [
        (t0, t0 + 2 * M),
        (t0 + 20 * M, t0 + 28 * M),
        (t0 + 30 * M, t0 + 40 * M),
        (t0 + 50 * M, t0 + 60 * M),
    ]
    assert await store.gaps("hp", t0 + 3 * M, t0 + 19 * M) == []
    assert await store.gaps("pv", t0, t0 + 10 * M) == [(t0 + 5 * M, t0 + 10 * M)]
