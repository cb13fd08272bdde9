"""House thermal model: 2R2C grey box (indoor air node + building mass node).

Topology after Bacher & Madsen (2011, "TiTe"): outdoor ─R_ea─ mass (C_e) ─R_ie─ air (C_i);
heating, internal gains and the air share of solar gains enter the air node, the rest of the
solar gains the mass node::

    C_i dT_i/dt = (T_e − T_i)/R_ie + Φ_air
    C_e dT_e/dt = (T_i − T_e)/R_ie + (T_out − T_e)/R_ea + Φ_mass

With constant inputs the steady state is ``T_i = T_out + Φ·(R_ie + R_ea)`` for gains into the
air node: the heat loss coefficient is ``H = 1/R_total``.

Discretisation is exact for inputs held constant over a step (zero-order hold): the deviation
from the step's steady state decays with the 2×2 matrix exponential (Putzer's formula on the two
real eigenvalues of an RC network). It is therefore stable for any step length, and the heat lost
to outdoors is integrated exactly too, so energy balances close to rounding error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

Matrix = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class RcParameters:
    """Resistances in K/W, capacities in J/K."""

    r_ie_k_per_w: float  # indoor air ↔ building mass
    r_ea_k_per_w: float  # building mass ↔ outdoor
    c_i_j_per_k: float  # indoor air and furniture
    c_e_j_per_k: float  # building mass

    def __post_init__(self) -> None:
        for name in ("r_ie_k_per_w", "r_ea_k_per_w", "c_i_j_per_k", "c_e_j_per_k"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")

    @property
    def r_total_k_per_w(self) -> float:
        return self.r_ie_k_per_w + self.r_ea_k_per_w


class BuildingConfig(BaseModel):
    """A dwelling described per m² of heated floor (defaults: 120 m², moderately insulated)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    floor_area_m2: float = Field(default=120.0, gt=10, le=2000)
    heat_loss_w_per_m2k: float = Field(
        default=1.25, gt=0, le=10, description="H per m² (fabric + air)"
    )
    interior_coupling_w_per_m2k: float = Field(default=8.0, gt=0, le=100)
    air_capacity_j_per_m2k: float = Field(default=25_000.0, gt=0)
    mass_capacity_j_per_m2k: float = Field(
        default=165_000.0, gt=0, description="ISO 13790 'medium'"
    )
    window_fraction: float = Field(
        default=0.15, ge=0, le=0.6, description="window area / floor area"
    )
    solar_factor: float = Field(
        0.25, ge=0, le=1, description="g-value × frame × shading × vertical/horizontal ratio"
    )
    solar_to_mass_fraction: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _coupling_above_loss(self) -> BuildingConfig:
        if self.interior_coupling_w_per_m2k <= self.heat_loss_w_per_m2k:
            raise ValueError("interior_coupling_w_per_m2k must exceed heat_loss_w_per_m2k")
        return self

    @property
    def heat_loss_w_per_k(self) -> float:
        return self.heat_loss_w_per_m2k * self.floor_area_m2

    @property
    def window_area_m2(self) -> float:
        return self.window_fraction * self.floor_area_m2

    def rc(self) -> RcParameters:
        a = self.floor_area_m2
        r_total = 1 / (self.heat_loss_w_per_m2k * a)
        r_ie = 1 / (self.interior_coupling_w_per_m2k * a)
        return RcParameters(
            r_ie_k_per_w=r_ie,
            r_ea_k_per_w=r_total - r_ie,
            c_i_j_per_k=self.air_capacity_j_per_m2k * a,
            c_e_j_per_k=self.mass_capacity_j_per_m2k * a,
        )


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return (
        (a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]),
        (a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]),
    )


def _matvec(m: Matrix, v: tuple[float, float]) -> tuple[float, float]:
    return (m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1])


class ThermalModel2R2C:
    """The 2R2C network with exact zero-order-hold steps; temperatures in °C, powers in W."""

    def __init__(self, params: RcParameters, indoor_temp_c: float, mass_temp_c: float) -> None:
        self.params = params
        self.indoor_temp_c = indoor_temp_c
        self.mass_temp_c = mass_temp_c
        p = params
        self._a: Matrix = (
            (-1 / (p.r_ie_k_per_w * p.c_i_j_per_k), 1 / (p.r_ie_k_per_w * p.c_i_j_per_k)),
            (
                1 / (p.r_ie_k_per_w * p.c_e_j_per_k),
                -(1 / p.r_ie_k_per_w + 1 / p.r_ea_k_per_w) / p.c_e_j_per_k,
            ),
        )
        a = self._a
        half_trace = (a[0][0] + a[1][1]) / 2
        det = a[0][0] * a[1][1] - a[0][1] * a[1][0]
        root = math.sqrt(max(half_trace**2 - det, 0.0))
        self._eig = (half_trace + root, half_trace - root)  # both real and negative
        self._a_inv: Matrix = ((a[1][1] / det, -a[0][1] / det), (-a[1][0] / det, a[0][0] / det))
        self._step_cache: dict[float, tuple[Matrix, Matrix]] = {}

    @property
    def time_constants_s(self) -> tuple[float, float]:
        """The fast (air) and slow (mass) time constants of the network."""
        return (-1 / self._eig[1], -1 / self._eig[0])

    def stored_energy_j(self) -> float:
        """Heat content above 0 °C; differences of it are what the balance checks use."""
        return (
            self.params.c_i_j_per_k * self.indoor_temp_c
            + self.params.c_e_j_per_k * self.mass_temp_c
        )

    def steady_state(
        self, temp_out_c: float, air_gain_w: float, mass_gain_w: float = 0.0
    ) -> tuple[float, float]:
        """(T_i, T_e) that constant inputs would settle at."""
        mass = temp_out_c + (air_gain_w + mass_gain_w) * self.params.r_ea_k_per_w
        return mass + air_gain_w * self.params.r_ie_k_per_w, mass

    def _propagators(self, dt_s: float) -> tuple[Matrix, Matrix]:
        """(e^{A dt}, A⁻¹(e^{A dt} − I)), cached because homes step with few distinct dt."""
        cached = self._step_cache.get(dt_s)
        if cached is None:
            l1, l2 = self._eig
            e1, e2 = math.exp(l1 * dt_s), math.exp(l2 * dt_s)
            # Putzer: e^{At} = e^{λ1 t} I + r(t) (A − λ1 I); r → t e^{λ1 t} when λ1 ≈ λ2.
            r = (e1 - e2) / (l1 - l2) if abs(l1 - l2) > 1e-12 * abs(l1) else dt_s * e1
            a = self._a
            exp_a: Matrix = (
                (e1 + r * (a[0][0] - l1), r * a[0][1]),
                (r * a[1][0], e1 + r * (a[1][1] - l1)),
            )
            minus_i: Matrix = ((exp_a[0][0] - 1, exp_a[0][1]), (exp_a[1][0], exp_a[1][1] - 1))
            cached = (exp_a, _matmul(self._a_inv, minus_i))
            if len(self._step_cache) > 64:
                self._step_cache.clear()
            self._step_cache[dt_s] = cached
        return cached

    def step(
        self, dt_s: float, temp_out_c: float, air_gain_w: float, mass_gain_w: float = 0.0
    ) -> float:
        """Advance by ``dt_s`` with inputs held constant; returns the heat lost outdoors (J)."""
        if dt_s <= 0:
            raise ValueError(f"step must be > 0 s, got {dt_s!r}")
        ss = self.steady_state(temp_out_c, air_gain_w, mass_gain_w)
        dev = (self.indoor_temp_c - ss[0], self.mass_temp_c - ss[1])
        exp_a, integ = self._propagators(dt_s)
        new_dev = _matvec(exp_a, dev)
        mass_integral = ss[1] * dt_s + _matvec(integ, dev)[1]  # ∫ T_e dt, in K·s
        self.indoor_temp_c = ss[0] + new_dev[0]
        self.mass_temp_c = ss[1] + new_dev[1]
        return (mass_integral - temp_out_c * dt_s) / self.params.r_ea_k_per_w


class Building:
    """A house: the thermal network plus how weather and occupants feed it."""

    def __init__(self, config: BuildingConfig, indoor_temp_c: float, temp_out_c: float) -> None:
        self.config = config
        rc = config.rc()
        # Start with the mass in equilibrium between indoors and outdoors, as after a long
        # stretch of steady heating, so simulations do not begin with a day-long transient.
        mass = temp_out_c + (indoor_temp_c - temp_out_c) * rc.r_ea_k_per_w / rc.r_total_k_per_w
        self.model = ThermalModel2R2C(rc, indoor_temp_c, mass)
        self.solar_gain_w = 0.0
        self.heat_input_wh = 0.0
        self.gains_wh = 0.0
        self.loss_wh = 0.0

    @property
    def indoor_temp_c(self) -> float:
        return self.model.indoor_temp_c

    @property
    def mass_temp_c(self) -> float:
        return self.model.mass_temp_c

    def solar_gains_w(self, ghi_w_m2: float) -> float:
        return self.config.window_area_m2 * self.config.solar_factor * max(ghi_w_m2, 0.0)

    def step(
        self,
        dt_s: float,
        temp_out_c: float,
        ghi_w_m2: float,
        internal_gains_w: float,
        heat_w: float,
    ) -> None:
        solar = self.solar_gains_w(ghi_w_m2)
        to_mass = solar * self.config.solar_to_mass_fraction
        air = heat_w + internal_gains_w + solar - to_mass
        lost_j = self.model.step(dt_s, temp_out_c, air, to_mass)
        self.solar_gain_w = solar
        self.heat_input_wh += heat_w * dt_s / 3600
        self.gains_wh += (internal_gains_w + solar) * dt_s / 3600
        self.loss_wh += lost_j / 3600
