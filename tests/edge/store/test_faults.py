import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flexcoop.edge.model import Reading
from flexcoop.edge.store import EventKind, Store, StoreUnavailableError
from flexcoop.edge.store.store import DB_FILENAME
from flexcoop.units import Unit

MS = timedelta(milliseconds=1)


async def wait_healthy(store: Store, timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if store.health().ok:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"store did not recover: {store.health()}")


def readings(t0: datetime, lo: int, hi: int) -> list[Reading]:
    return [Reading("m", "p", float(i), Unit.W, t0 + i * MS) for i in range(lo, hi)]


async def test_unusable_data_dir_buffers_refuses_durable_calls_then_recovers(
    tmp_path: Path, t0: datetime
) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("the data partition is not mounted")  # a file where the dir belongs
    async with Store(data_dir, retry_interval_s=0.02, maintenance_interval_s=3600) as store:
        health = store.health()
        assert (health.ok, health.writable) == (False, False) and "data" in health.error
        await asyncio.sleep(0.2)  # ~10 retries with nothing buffered: must not look healthy
        assert not store.health().ok
        store.add_readings(readings(t0, 0, 10))  # never raises
        with pytest.raises(StoreUnavailableError):
            await store.outbox_put("reports", b"x")
        with pytest.raises(StoreUnavailableError):
            await store.set_state("k", 1)
        with pytest.raises(StoreUnavailableError):
            await store.flush()
        store.add_readings(readings(t0, 10, 20))
        assert store.health().buffered_readings == 20

        data_dir.unlink()  # the medium is back
        await wait_healthy(store)
        await store.flush()
        got = await store.history("m", "p", t0, t0 + timedelta(seconds=1))
        assert [r.value for r in got] == [float(i) for i in range(20)]
        assert await store.outbox_put("reports", b"x") > 0
        assert store.health().buffered_readings == 0 and store.health().error == ""


async def test_buffer_overflow_drops_oldest_and_counts_them(tmp_path: Path, t0: datetime) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("")
    async with Store(
        data_dir, max_buffer=100, max_batch=30, retry_interval_s=0.02, maintenance_interval_s=3600
    ) as store:
        for lo in (0, 100, 200):
            store.add_readings(readings(t0, lo, lo + 50 if lo == 200 else lo + 100))
        assert (store.health().buffered_readings, store.health().dropped_readings) == (100, 150)
        data_dir.unlink()
        await wait_healthy(store)
        await store.flush()
        got = await store.history("m", "p", t0, t0 + timedelta(seconds=1))
        assert [r.value for r in got] == [float(i) for i in range(150, 250)]  # the newest 100
        assert store.health().dropped_readings == 150


async def test_database_deleted_while_open_is_salvaged_not_silently_lost(
    tmp_path: Path, t0: datetime
) -> None:
    data_dir = tmp_path / "data"
    async with Store(data_dir, maintenance_interval_s=3600) as store:
        store.add_readings(readings(t0, 0, 100))
        await store.flush()
        first = await store.outbox_put("reports", b"before")
        await store.set_state("ven.id", "ven-1")

        shutil.rmtree(data_dir)  # an operator "cleaning up" the data partition

        second = await store.outbox_put("reports", b"after")
        store.add_readings(readings(t0, 100, 150))
        await store.flush()
        assert store.health().ok
        assert (data_dir / DB_FILENAME).exists()
        assert [i.id for i in await store.outbox_peek("reports")] == [first, second]
        assert await store.get_state("ven.id") == "ven-1"
        (recovered,) = await store.events(kind=EventKind.STORE_RECOVERED)
        assert recovered.data["salvaged"] is True

    # And it is all really in the new file on disk, not in an unlinked inode.
    conn = sqlite3.connect(data_dir / DB_FILENAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM reading").fetchone()[0] == 150
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 2
    conn.close()


async def test_deleted_database_is_kept_in_memory_until_its_directory_can_be_recreated(
    tmp_path: Path, t0: datetime
) -> None:
    data_dir = tmp_path / "data"
    async with Store(data_dir, retry_interval_s=0.02, maintenance_interval_s=3600) as store:
        first = await store.outbox_put("reports", b"before")
        shutil.rmtree(data_dir)
        data_dir.write_text("")  # and the path cannot be a directory right now
        with pytest.raises(StoreUnavailableError, match="vanished"):
            await store.outbox_put("reports", b"during")
        assert not store.health().ok
        # Reads still see everything: the unlinked file is held open, not given up.
        assert [i.id for i in await store.outbox_peek("reports")] == [first]
        store.add_readings(readings(t0, 0, 5))

        data_dir.unlink()
        await wait_healthy(store)
        await store.flush()
        assert [i.payload for i in await store.outbox_peek("reports")] == [b"before"]
        assert len(await store.history("m", "p", t0, t0 + timedelta(seconds=1))) == 5
    assert not (data_dir / f"{DB_FILENAME}.salvage").exists()


def test_disk_full_then_space_again(tmp_path: Path, t0: datetime) -> None:
    child = Path(__file__).with_name("diskfull_child.py")
    out = subprocess.run(
        [sys.executable, str(child), str(tmp_path), t0.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    full, recovered = (json.loads(line) for line in out.stdout.splitlines())
    assert full["ok"] is False and full["writable"] is False
    assert "disk" in full["error"].lower() or "full" in full["error"].lower(), full["error"]
    assert full["buffered"] > 0
    assert full["outbox_raised"] and full["state_raised"] and full["flush_raised"]

    assert recovered["ok"] is True and recovered["error"] == ""
    assert recovered["dropped"] == 0 and recovered["buffered"] == 0
    assert recovered["stored"] == recovered["added"] and recovered["contiguous"]
    assert recovered["outbox"] == ["before", "after"]

    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


async def test_database_replaced_while_open_holds_writes_until_restart(tmp_path: Path) -> None:
    async with Store(tmp_path, maintenance_interval_s=3600) as store:
        await store.outbox_put("reports", b"live")
        backup = tmp_path / "backup.sqlite"
        conn = sqlite3.connect(tmp_path / DB_FILENAME)
        conn.execute("VACUUM INTO ?", (str(backup),))
        conn.close()
        await store.outbox_put("reports", b"after backup")
        backup.replace(tmp_path / DB_FILENAME)  # an operator restoring a backup under us

        with pytest.raises(StoreUnavailableError, match="replaced"):
            await store.outbox_put("reports", b"lost?")
        assert not store.health().ok and "restart" in store.health().error
    async with Store(tmp_path) as store:
        assert [i.payload for i in await store.outbox_peek("reports")] == [b"live"]
        assert await store.outbox_put("reports", b"x") > 0
