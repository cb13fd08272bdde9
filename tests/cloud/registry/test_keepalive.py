"""Keep-alives, time-outs and coming back online, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.cloud.registry.models import DerStatus
from flexcoop.cloud.registry.service import RegistryService

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
async def registry(engine) -> RegistryService:
    reg = RegistryService(engine, timeout_s=300)
    for i in range(4):
        await reg.register(
            f"d{i}", ven_id="v", der_type="pv", location_cell="c", capabilities={}, now=T0
        )
    return reg


async def _status(reg: RegistryService, der_id: str) -> DerStatus:
    der = await reg.get(der_id)
    assert der is not None
    return der.status


async def test_touch_is_buffered_until_flush(registry: RegistryService) -> None:
    t1 = T0 + timedelta(seconds=60)
    await registry.touch(["d0", "d1"], t1)
    before = await registry.get("d0")
    assert before is not None and before.last_seen == T0
    assert await registry.flush() == []
    after = await registry.get("d0")
    assert after is not None and after.last_seen == t1


async def test_older_touch_never_moves_last_seen_back(registry: RegistryService) -> None:
    await registry.touch(["d0"], T0 + timedelta(seconds=90))
    await registry.touch(["d0"], T0 + timedelta(seconds=30))
    await registry.flush()
    await registry.touch(["d0"], T0 + timedelta(seconds=10))
    await registry.flush()
    der = await registry.get("d0")
    assert der is not None and der.last_seen == T0 + timedelta(seconds=90)


async def test_unknown_ids_in_a_batch_are_ignored(registry: RegistryService) -> None:
    await registry.touch(["ghost", "d2"], T0 + timedelta(seconds=5))
    await registry.flush()
    der = await registry.get("d2")
    assert der is not None and der.last_seen == T0 + timedelta(seconds=5)
    assert await registry.get("ghost") is None


async def test_sweep_times_out_silent_ders_once(registry: RegistryService) -> None:
    await registry.touch(["d0", "d1"], T0 + timedelta(seconds=200))
    now = T0 + timedelta(seconds=400)
    assert sorted(await registry.sweep(now)) == ["d2", "d3"]
    assert await registry.sweep(now) == []
    assert await _status(registry, "d2") is DerStatus.TIMED_OUT
    assert await _status(registry, "d0") is DerStatus.ONLINE
    kinds = [e.kind for e in await registry.events("d2")]
    assert kinds == ["registered", "timed_out"]


async def test_timed_out_der_comes_back_online_on_next_touch(registry) -> None:
    await registry.sweep(T0 + timedelta(seconds=400))
    assert await _status(registry, "d1") is DerStatus.TIMED_OUT
    await registry.touch(["d1"], T0 + timedelta(seconds=410))
    assert await registry.flush() == ["d1"]
    assert await _status(registry, "d1") is DerStatus.ONLINE
    assert await _status(registry, "d2") is DerStatus.TIMED_OUT
    assert [e.kind for e in await registry.events("d1")] == [
        "registered",
        "timed_out",
        "back_online",
    ]


async def test_concurrent_sweeps_log_each_time_out_once(engine) -> None:
    regs = [RegistryService(engine, timeout_s=300) for _ in range(3)]
    await regs[0].register(
        "d0", ven_id="v", der_type="pv", location_cell="c", capabilities={}, now=T0
    )
    now = T0 + timedelta(seconds=300 + 30 + 1)  # time-out + resolution (a tenth) + 1 s
    results = await asyncio.gather(*(r.sweep(now) for r in regs), return_exceptions=True)
    timed_out = [x for r in results if isinstance(r, list) for x in r]
    assert timed_out == ["d0"]
    assert [e.kind for e in await regs[0].events("d0")].count("timed_out") == 1


async def test_keepalives_are_written_at_most_once_per_resolution(registry) -> None:
    # resolution = time-out / 10 = 30 s
    for seconds, written in ((10, 10), (20, 10), (39, 10), (40, 40), (45, 40)):
        await registry.touch(["d0"], T0 + timedelta(seconds=seconds))
        await registry.flush()
        der = await registry.get("d0")
        assert der is not None and der.last_seen == T0 + timedelta(seconds=written), seconds


async def test_a_skipped_keepalive_never_causes_an_early_timeout(registry) -> None:
    await registry.touch(["d0"], T0 + timedelta(seconds=10))
    await registry.flush()
    await registry.touch(["d0"], T0 + timedelta(seconds=35))  # within resolution: not written
    # Silent since +35 s: not timed out 300 s later, only once time-out + resolution have passed
    # since the keep-alive that was written.
    assert sorted(await registry.sweep(T0 + timedelta(seconds=35 + 300))) == ["d1", "d2", "d3"]
    assert await registry.sweep(T0 + timedelta(seconds=10 + 330 + 1)) == ["d0"]


async def test_stop_flushes_pending_keepalives(registry: RegistryService) -> None:
    await registry.start()
    await registry.touch(["d3"], T0 + timedelta(seconds=42))
    await registry.stop()
    der = await registry.get("d3")
    assert der is not None and der.last_seen == T0 + timedelta(seconds=42)
