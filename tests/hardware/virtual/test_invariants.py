"""Whatever operators write and whenever, the physics stays within its bounds and balances."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.home import HomeConfig, VirtualHome

POINTS = {
    "pv": ["w_max_lim_pct", "power_w"],
    "battery": ["setpoint_w", "mode", "min_soc_pct", "max_soc_pct"],
    "heat_pump": ["setpoint_c", "on", "mode", "dhw_setpoint_c", "power_limit_w"],
    "ev_charger": ["current_limit_a", "charging_enabled"],
    "meter": ["power_w"],
}

writes = st.lists(
    st.tuples(
        st.sampled_from(sorted(POINTS)).flatmap(
            lambda device: st.tuples(st.just(device), st.sampled_from(POINTS[device]))
        ),
        st.one_of(
            st.integers(-10, 40).map(float),
            st.floats(-10_000, 10_000),
            st.sampled_from([math.nan, math.inf, -math.inf]),
        ),
        st.sampled_from([60.0, 900.0, 3600.0]),
    ),
    min_size=1,
    max_size=20,
)


def _check_invariants(home: VirtualHome) -> None:
    b = home.battery
    # An operator may move the SoC window past the current SoC: the battery must then never
    # move further outside it.
    if b.soc_pct < b.min_soc_pct - 1e-6:
        assert b.power_w <= 0
    if b.soc_pct > b.max_soc_pct + 1e-6:
        assert b.power_w >= 0
    assert 0 <= b.soc_pct <= 100
    assert -b.config.max_charge_w - 1e-6 <= b.power_w <= b.config.max_discharge_w + 1e-6
    assert 0 <= home.pv.power_w <= home.pv.limit_w + 1e-6
    ev = home.ev_charger
    assert ev.power_w == 0 or (ev.connected and ev.charging_enabled)
    hp = home.heat_pump
    assert 0 <= hp.power_w <= hp.power_limit_w + 1e-6
    assert home.tank.config.cold_water_c - 1 < home.tank.temp_c <= 70.0 + 1e-6
    assert 5 < home.building.indoor_temp_c < 40
    for device in home.devices.values():
        assert all(math.isfinite(v) for v in device.values().values())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 1000),
    start_day=st.integers(0, 364),
    steps=writes,
)
def test_random_operator_writes_keep_physics_in_bounds(
    seed: int, start_day: int, steps: list[tuple[tuple[str, str], float, float]]
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=start_day)
    home = VirtualHome(HomeConfig().scaled(seed), SimClock.manual(start), seed)
    for (device_id, point), value, dt_s in steps:
        device = home.devices[device_id]
        before = device.values()
        try:
            applied = device.write(point, value)
        except ValueError:
            assert device.values() == before  # rejected writes change nothing
        else:
            assert math.isfinite(value) and applied == value
            assert device.values()[point] == applied
        home.step(dt_s)
        _check_invariants(home)
    metered = home.meter.import_wh - home.meter.export_wh
    components = (
        home.base_load_wh
        + home.heat_pump.energy_wh
        + home.ev_charger.energy_wh
        + home.battery.charged_wh
        - home.pv.energy_wh
        - home.battery.discharged_wh
    )
    assert metered == pytest.approx(components, rel=1e-9, abs=1e-6)
