from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from flexcoop.hardware.virtual.ev import EvCharger, EvConfig

DAY_S = 86400
T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()


def _run(charger: EvCharger, hours: float, dt_s: float = 60.0) -> list[dict[str, float]]:
    """Step the charger; each entry also records the session's total need (0 without a car)."""
    out = []
    t = T0
    while t < T0 + hours * 3600:
        charger.step(dt_s, t)
        need = charger.session.energy_need_wh if charger.session else 0.0
        out.append({**charger.values(), "session_need_wh": need})
        t += dt_s
    return out


def test_charges_only_while_connected_and_only_what_is_needed() -> None:
    charger = EvCharger(EvConfig(), seed=4)
    log = _run(charger, 72)
    assert any(v["connected"] for v in log) and any(not v["connected"] for v in log)
    for v in log:
        if not v["connected"]:
            assert v["power_w"] == 0 and v["session_energy_wh"] == 0
        assert v["session_energy_wh"] <= v["session_need_wh"] + 1e-9
        assert v["power_w"] <= 3 * 230 * 16 + 1e-9
    # Each session ends with its need met (sessions are long enough at 11 kW).
    ends = [a for a, b in itertools.pairwise(log) if a["connected"] and not b["connected"]]
    assert ends and all(v["energy_need_wh"] == pytest.approx(0, abs=1e-6) for v in ends)


def test_sessions_are_seeded_evening_to_morning() -> None:
    a, b = EvCharger(EvConfig(), seed=7), EvCharger(EvConfig(), seed=7)
    day = int(T0 // DAY_S)
    sessions = [a.schedule.session_on(day + i) for i in range(30)]
    assert sessions == [b.schedule.session_on(day + i) for i in range(30)]
    assert sessions != [
        EvCharger(EvConfig(), seed=8).schedule.session_on(day + i) for i in range(30)
    ]
    for s in sessions:
        arrive_h = (s.arrival_s - s.day * DAY_S) / 3600
        leave_h = (s.departure_s - s.day * DAY_S) / 3600 - 24
        assert 12 <= arrive_h <= 23.5 and 5 <= leave_h <= 11
        assert 0 <= s.energy_need_wh <= 60_000


def test_current_limit_caps_power_and_disable_pauses() -> None:
    charger = EvCharger(EvConfig(), seed=4)
    session = charger.schedule.session_on(int(T0 // DAY_S))
    charger.write("current_limit_a", 8)
    charger.step(60, session.arrival_s + 1)
    assert charger.power_w == pytest.approx(3 * 230 * 8)
    assert charger.values()["current_a"] == pytest.approx(8.0)
    charger.write("charging_enabled", 0)
    charger.step(60, session.arrival_s + 61)
    assert charger.connected and charger.power_w == 0
    assert charger.values()["charging"] == 0


def test_car_on_board_charger_limits_power() -> None:
    charger = EvCharger(EvConfig(max_current_a=32, car_max_power_w=7400), seed=4)
    session = charger.schedule.session_on(int(T0 // DAY_S))
    charger.step(60, session.arrival_s + 1)
    if session.energy_need_wh > 7400 / 60:
        assert charger.power_w == pytest.approx(7400)


@pytest.mark.parametrize(
    ("name", "value"), [("current_limit_a", 5), ("current_limit_a", 17), ("charging_enabled", 2)]
)
def test_out_of_range_writes_are_rejected(name: str, value: float) -> None:
    charger = EvCharger(EvConfig(max_current_a=16), seed=1)
    with pytest.raises(ValueError, match="outside"):
        charger.write(name, value)
    assert charger.current_limit_a == 16 and charger.charging_enabled


def test_charger_rating_is_between_6_and_32_a() -> None:
    with pytest.raises(ValueError):
        EvConfig(max_current_a=40)
    assert EvCharger(EvConfig(max_current_a=32), seed=1).writable()["current_limit_a"] == (
        6.0,
        32.0,
    )
