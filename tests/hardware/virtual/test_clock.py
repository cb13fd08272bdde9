from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from flexcoop.hardware.virtual.clock import SimClock

START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def test_manual_clock_moves_only_when_advanced() -> None:
    clock = SimClock.manual(START)
    assert clock.now() == START
    assert clock.advance(90.5) == START + timedelta(seconds=90.5)
    clock.advance(3600)
    assert clock.now() == START + timedelta(seconds=3690.5)
    assert clock.elapsed_s() == pytest.approx(3690.5)


async def test_manual_clock_ignores_wall_time() -> None:
    clock = SimClock.manual(START)
    await asyncio.sleep(0.02)
    assert clock.now() == START


async def test_running_clock_is_start_plus_speed_times_wall_time() -> None:
    speed = 3600.0
    before = time.monotonic()
    clock = SimClock(START, speed)
    after_start = time.monotonic()
    await asyncio.sleep(0.05)
    before_now = time.monotonic()
    elapsed = clock.elapsed_s()
    after_now = time.monotonic()
    # Bracket the reading between what the wall clock allows on either side.
    assert speed * (before_now - after_start) <= elapsed <= speed * (after_now - before)
    assert clock.wall_seconds(7200) == pytest.approx(2.0)


def test_running_clock_can_also_be_advanced() -> None:
    clock = SimClock(START, 1.0)
    clock.advance(86400)
    assert clock.now() >= START + timedelta(days=1)


@pytest.mark.parametrize("speed", [0.0, -2.0, float("nan"), float("inf")])
def test_bad_speed_is_rejected(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        SimClock(START, speed)


def test_naive_start_and_backwards_steps_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        SimClock(datetime(2026, 3, 1), 1.0)
    clock = SimClock.manual(START)
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1)
    assert clock.now() == START


def test_start_in_other_zone_is_normalised_to_utc() -> None:
    from datetime import timezone

    local = datetime(2026, 3, 1, 7, 0, tzinfo=timezone(timedelta(hours=1)))
    clock = SimClock.manual(local)
    assert clock.now() == START and clock.now().utcoffset() == timedelta(0)


async def test_paused_clock_holds_still_and_resumes_without_a_jump() -> None:
    clock = SimClock(START, speed=3600.0)
    held = clock.pause()
    assert clock.paused
    await asyncio.sleep(0.05)  # 180 simulated seconds if the clock were running
    assert clock.now() == held
    clock.advance(60)  # a paused clock can still be stepped by hand
    assert clock.now() == held + timedelta(seconds=60)
    before = time.monotonic()
    resumed = clock.resume()
    assert not clock.paused
    assert resumed - held - timedelta(seconds=60) <= timedelta(
        seconds=(time.monotonic() - before) * 3600 + 1e-3
    )
    await asyncio.sleep(0.01)
    assert clock.now() > resumed
