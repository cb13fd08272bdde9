from __future__ import annotations

import random

import pytest

from flexcoop.hardware.virtual.building import (
    Building,
    BuildingConfig,
    RcParameters,
    ThermalModel2R2C,
)

RC = RcParameters(r_ie_k_per_w=1e-3, r_ea_k_per_w=5.5e-3, c_i_j_per_k=3e6, c_e_j_per_k=2e7)


def _euler(
    model: ThermalModel2R2C, seconds: int, t_out: float, air_w: float, mass_w: float
) -> tuple[float, float]:
    """Reference solution: explicit Euler with 1 s steps, written out from the ODEs."""
    p = model.params
    ti, te = model.indoor_temp_c, model.mass_temp_c
    for _ in range(seconds):
        q_ie = (te - ti) / p.r_ie_k_per_w
        q_ea = (t_out - te) / p.r_ea_k_per_w
        ti, te = ti + (q_ie + air_w) / p.c_i_j_per_k, te + (-q_ie + q_ea + mass_w) / p.c_e_j_per_k
    return ti, te


@pytest.mark.parametrize("heat_w", [0.0, 1500.0, 4000.0])
def test_constant_heating_settles_at_t_out_plus_p_times_r_total(heat_w: float) -> None:
    model = ThermalModel2R2C(RC, indoor_temp_c=15.0, mass_temp_c=12.0)
    for _ in range(30 * 96):  # 30 days in 15-minute steps
        model.step(900, temp_out_c=-2.0, air_gain_w=heat_w)
    assert model.indoor_temp_c == pytest.approx(-2.0 + heat_w * RC.r_total_k_per_w, abs=1e-3)
    assert model.mass_temp_c == pytest.approx(-2.0 + heat_w * RC.r_ea_k_per_w, abs=1e-3)


def test_exact_steps_match_a_fine_reference_integration() -> None:
    a = ThermalModel2R2C(RC, 18.0, 14.0)
    b = ThermalModel2R2C(RC, 18.0, 14.0)
    a.step(900, temp_out_c=3.0, air_gain_w=5000.0, mass_gain_w=700.0)
    ti, te = _euler(b, 900, 3.0, 5000.0, 700.0)
    assert a.indoor_temp_c == pytest.approx(ti, abs=5e-3)
    assert a.mass_temp_c == pytest.approx(te, abs=5e-3)
    # Exact discretisation: one long step equals many short ones for constant inputs.
    c = ThermalModel2R2C(RC, 18.0, 14.0)
    for _ in range(15):
        c.step(60, temp_out_c=3.0, air_gain_w=5000.0, mass_gain_w=700.0)
    assert c.indoor_temp_c == pytest.approx(a.indoor_temp_c, abs=1e-9)
    assert c.mass_temp_c == pytest.approx(a.mass_temp_c, abs=1e-9)


def test_long_steps_are_stable_and_do_not_overshoot() -> None:
    # An air node far faster than the step: explicit schemes would oscillate and diverge.
    stiff = RcParameters(r_ie_k_per_w=1e-4, r_ea_k_per_w=5e-3, c_i_j_per_k=2e5, c_e_j_per_k=2e7)
    model = ThermalModel2R2C(stiff, 10.0, 10.0)
    fast, slow = model.time_constants_s
    assert fast < 900 < slow
    target = model.steady_state(0.0, 3000.0)[0]
    previous = model.indoor_temp_c
    for _ in range(500):
        model.step(900, temp_out_c=0.0, air_gain_w=3000.0)
        assert model.indoor_temp_c <= target + 1e-9
        assert model.indoor_temp_c >= previous - 1e-9
        previous = model.indoor_temp_c


def test_energy_balance_closes_with_varying_inputs() -> None:
    rng = random.Random(42)
    model = ThermalModel2R2C(RC, 20.0, 16.0)
    stored0 = model.stored_energy_j()
    supplied_j = lost_j = 0.0
    for _ in range(500):
        dt = rng.choice([30.0, 60.0, 300.0, 900.0])
        air, mass, t_out = rng.uniform(0, 6000), rng.uniform(0, 1500), rng.uniform(-10, 25)
        lost_j += model.step(dt, t_out, air, mass)
        supplied_j += (air + mass) * dt
    assert model.stored_energy_j() - stored0 == pytest.approx(supplied_j - lost_j, rel=1e-9)


def test_building_from_config_has_plausible_dynamics() -> None:
    config = BuildingConfig()
    assert config.heat_loss_w_per_k == pytest.approx(150.0)
    rc = config.rc()
    assert 1 / rc.r_total_k_per_w == pytest.approx(config.heat_loss_w_per_k)
    building = Building(config, indoor_temp_c=20.0, temp_out_c=0.0)
    fast_s, slow_s = building.model.time_constants_s
    assert 600 < fast_s < 4 * 3600 and 12 * 3600 < slow_s < 10 * 86400
    # Starts in equilibrium: heating at H·ΔT holds the temperature (no gains).
    for _ in range(24):
        building.step(3600, temp_out_c=0.0, ghi_w_m2=0.0, internal_gains_w=0.0, heat_w=3000.0)
    assert building.indoor_temp_c == pytest.approx(20.0, abs=1e-6)
    assert building.loss_wh == pytest.approx(3000.0 * 24, rel=1e-6)


def test_sun_and_internal_gains_warm_the_house() -> None:
    config = BuildingConfig()
    sunny = Building(config, 20.0, 0.0)
    dark = Building(config, 20.0, 0.0)
    for _ in range(6):
        sunny.step(1800, 0.0, ghi_w_m2=600.0, internal_gains_w=400.0, heat_w=3000.0)
        dark.step(1800, 0.0, ghi_w_m2=0.0, internal_gains_w=400.0, heat_w=3000.0)
    assert sunny.solar_gain_w == pytest.approx(config.window_area_m2 * config.solar_factor * 600.0)
    assert sunny.indoor_temp_c > dark.indoor_temp_c > 20.0


def test_invalid_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="r_ie_k_per_w"):
        RcParameters(r_ie_k_per_w=0.0, r_ea_k_per_w=1e-3, c_i_j_per_k=1e6, c_e_j_per_k=1e7)
    with pytest.raises(ValueError, match="interior_coupling"):
        BuildingConfig(heat_loss_w_per_m2k=5.0, interior_coupling_w_per_m2k=4.0)
    with pytest.raises(ValueError, match="step"):
        ThermalModel2R2C(RC, 20, 20).step(0, 0, 0)
