from pathlib import Path

import pytest

from flexcoop.edge.store import Store


async def test_outbox_is_fifo_per_channel_and_ack_removes(store: Store) -> None:
    ids = [await store.outbox_put("reports", f"r{i}".encode()) for i in range(5)]
    other = await store.outbox_put("events", b"e0")
    assert ids == sorted(ids) and other > ids[-1]
    assert [i.payload for i in await store.outbox_peek("reports", limit=3)] == [b"r0", b"r1", b"r2"]
    assert await store.outbox_size() == 6 and await store.outbox_size("reports") == 5
    await store.outbox_ack(ids[:2])
    await store.outbox_ack(ids[:1])  # acknowledging twice is harmless
    assert [i.id for i in await store.outbox_peek("reports")] == ids[2:]
    assert [i.payload for i in await store.outbox_peek("events")] == [b"e0"]
    # ids are never reused, so FIFO order holds across acks
    assert await store.outbox_put("reports", b"r5") > other


async def test_outbox_fail_counts_attempts_and_keeps_the_error(store: Store) -> None:
    item_id = await store.outbox_put("reports", b"x")
    await store.outbox_fail(item_id, "HTTP 503")
    await store.outbox_fail(item_id, "timeout")
    (item,) = await store.outbox_peek("reports")
    assert (item.attempts, item.last_error) == (2, "timeout")
    assert item.created.tzinfo is not None
    with pytest.raises(KeyError, match="no outbox item"):
        await store.outbox_fail(item_id + 100, "x")


async def test_dedup_key_returns_the_pending_item_until_acknowledged(store: Store) -> None:
    first = await store.outbox_put("events", b"created v1", dedup_key="evt-7:1")
    again = await store.outbox_put("events", b"created v1 again", dedup_key="evt-7:1")
    elsewhere = await store.outbox_put("reports", b"other channel", dedup_key="evt-7:1")
    assert again == first and elsewhere != first
    assert [i.payload for i in await store.outbox_peek("events")] == [b"created v1"]
    await store.outbox_ack([first])
    fresh = await store.outbox_put("events", b"created v1", dedup_key="evt-7:1")
    assert fresh != first and await store.outbox_size("events") == 1


async def test_outbox_and_state_survive_restart(tmp_path: Path) -> None:
    async with Store(tmp_path) as store:
        ids = [await store.outbox_put("reports", bytes([i])) for i in range(3)]
        await store.outbox_fail(ids[0], "down")
        await store.set_state("ven.registration_id", {"id": "reg-1", "n": 2})
    async with Store(tmp_path) as store:
        items = await store.outbox_peek("reports")
        assert [(i.id, i.payload, i.attempts) for i in items] == [
            (ids[0], b"\x00", 1),
            (ids[1], b"\x01", 0),
            (ids[2], b"\x02", 0),
        ]
        assert await store.get_state("ven.registration_id") == {"id": "reg-1", "n": 2}


async def test_bad_outbox_and_state_input_is_refused_clearly(store: Store) -> None:
    with pytest.raises(TypeError, match="bytes"):
        await store.outbox_put("reports", "text")
    with pytest.raises(ValueError, match="channel"):
        await store.outbox_put("", b"x")
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        await store.set_state("k", {"when": object()})
    assert await store.outbox_size() == 0 and await store.get_state("k") is None


async def test_state_overwrites_and_none_deletes(store: Store) -> None:
    await store.set_state("k", [1, 2])
    await store.set_state("k", "two")
    assert await store.get_state("k") == "two"
    await store.set_state("k", None)
    assert await store.get_state("k") is None
