"""Domestic hot water: a fully mixed storage tank and a seeded draw profile.

The tank is one node of ``volume_l`` litres of water (4186 J/(kg·K), 1 kg/L) with heat input
``P`` and standing losses ``UA·(T − T_amb)``. Draws are litres of *mixed* water at the tap (40 °C
by default): while the tank is hotter than that, a thermostatic mixing valve takes just enough
tank water, so the tank loses exactly the heat in the mixed water (a constant sink ``Φ_draw``);
a lukewarm tank gives its water as it is (a sink ``ṁc(T − T_cold)``). Per step
``C dT/dt = P − Φ_draw − UA(T − T_amb)`` is solved exactly for inputs constant over the step, so
the energy balance (heat in = Δstored + losses + drawn) closes.

Showers come in the morning and the evening, small draws (hand washing, kitchen) through the
day, at seeded local times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.hardware.virtual.seeding import seeded_rng

WATER_J_PER_KG_K = 4186.0
SETPOINT_TOLERANCE_K = 0.05  # "reached", despite float rounding of a heater throttled to it
DAY_S = 86400


class DhwConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    volume_l: float = Field(default=200.0, gt=10, le=2000)
    loss_w_per_k: float = Field(default=1.8, ge=0, le=20, description="standing loss UA")
    setpoint_c: float = Field(default=50.0, ge=40, le=70)
    hysteresis_k: float = Field(
        default=5.0, gt=0, le=20, description="reheat when below setpoint − this"
    )
    initial_temp_c: float | None = Field(default=None, description="default: the setpoint")
    cold_water_c: float = Field(default=10.0, ge=0, le=25)
    mixed_temp_c: float = Field(default=40.0, ge=30, le=55, description="temperature at the tap")
    element_power_w: float = Field(
        default=3000.0, ge=0, le=12_000, description="electric immersion heater"
    )
    persons: int = Field(default=3, ge=0, le=12)


@dataclass(frozen=True, slots=True)
class Draw:
    start_s: float  # UTC epoch seconds
    duration_s: float
    flow_l_per_s: float  # mixed water at the tap


class DrawProfile:
    """Seeded hot-water draws; a pure function of time (day by day), not of call order."""

    SHOWER_FLOW_L_PER_MIN = 7.0
    SMALL_FLOW_L_PER_MIN = 6.0

    def __init__(self, seed: int, persons: int, longitude_deg: float = 0.0) -> None:
        self.seed = seed
        self.persons = persons
        # Local mean solar time is close enough to clock time for when people shower.
        self._utc_shift_s = -longitude_deg / 15 * 3600
        self._days: dict[int, list[Draw]] = {}

    def draws_on(self, day: int) -> list[Draw]:
        """Draws starting on UTC-epoch day ``day`` (local time shifted by longitude)."""
        if day not in self._days:
            if len(self._days) > 64:
                self._days.clear()
            rng = seeded_rng(self.seed, "dhw", day)
            base = day * DAY_S + self._utc_shift_s
            draws = []
            for _ in range(self.persons):
                for window, probability in (((6.0, 8.5), 0.6), ((19.0, 22.0), 0.25)):
                    if rng.random() < probability:
                        start = base + rng.uniform(*window) * 3600
                        minutes = rng.uniform(4.0, 8.0)
                        flow = self.SHOWER_FLOW_L_PER_MIN / 60
                        draws.append(Draw(start, minutes * 60, flow))
                for _ in range(2):
                    start = base + rng.uniform(7.0, 22.0) * 3600
                    litres = rng.uniform(2.0, 4.0)
                    flow = self.SMALL_FLOW_L_PER_MIN / 60
                    draws.append(Draw(start, litres / flow, flow))
            self._days[day] = sorted(draws, key=lambda d: d.start_s)
        return self._days[day]

    def mixed_litres_between(self, t0_s: float, t1_s: float) -> float:
        """Litres of mixed water drawn in [t0, t1) (epoch seconds)."""
        total = 0.0
        for day in range(int(t0_s // DAY_S) - 1, int(t1_s // DAY_S) + 2):
            for d in self.draws_on(day):
                overlap = min(t1_s, d.start_s + d.duration_s) - max(t0_s, d.start_s)
                if overlap > 0:
                    total += overlap * d.flow_l_per_s
        return total


class DhwTank:
    """The tank's physics and its thermostat; heat comes from the heat pump or the element."""

    def __init__(self, config: DhwConfig) -> None:
        self.config = config
        self.setpoint_c = config.setpoint_c
        self.temp_c = config.setpoint_c if config.initial_temp_c is None else config.initial_temp_c
        self._reheating = False
        self.heat_in_wh = 0.0
        self.loss_wh = 0.0
        self.drawn_wh = 0.0  # heat carried away by hot water, above cold-water temperature
        self.drawn_mixed_l = 0.0
        self.last_draw_l_per_min = 0.0

    @property
    def capacity_j_per_k(self) -> float:
        return self.config.volume_l * WATER_J_PER_KG_K

    def stored_energy_wh(self) -> float:
        """Heat above cold-water temperature."""
        return self.capacity_j_per_k * (self.temp_c - self.config.cold_water_c) / 3600

    def needs_heat(self) -> bool:
        """Thermostat with hysteresis: on below setpoint − hysteresis, off at the setpoint."""
        if self.temp_c <= self.setpoint_c - self.config.hysteresis_k:
            self._reheating = True
        elif self.temp_c >= self.setpoint_c - SETPOINT_TOLERANCE_K:
            self._reheating = False
        return self._reheating

    def heat_to_setpoint_w(self, dt_s: float) -> float:
        """Heat input that brings the tank to its setpoint in ``dt_s``; heaters are throttled
        to it so long steps do not overshoot."""
        return max(self.setpoint_c - self.temp_c, 0.0) * self.capacity_j_per_k / dt_s

    def step(self, dt_s: float, heat_w: float, ambient_c: float, mixed_draw_l: float) -> None:
        if dt_s <= 0:
            raise ValueError(f"step must be > 0 s, got {dt_s!r}")
        c = self.config
        cap = self.capacity_j_per_k
        mixed_w_per_k = mixed_draw_l / dt_s * WATER_J_PER_KG_K
        if self.temp_c > c.mixed_temp_c:
            # The mixing valve delivers a fixed heat flow, whatever the tank temperature: the
            # tank loses exactly the heat in the mixed water (a constant sink).
            sink_w, draw_w_per_k = mixed_w_per_k * (c.mixed_temp_c - c.cold_water_c), 0.0
        else:
            # Lukewarm tank: the tap gets tank water as it is, replaced by cold water.
            sink_w, draw_w_per_k = 0.0, mixed_w_per_k
        k = c.loss_w_per_k + draw_w_per_k
        t0 = self.temp_c
        if k > 0:
            t_inf = (
                heat_w - sink_w + c.loss_w_per_k * ambient_c + draw_w_per_k * c.cold_water_c
            ) / k
            decay = math.exp(-dt_s * k / cap)
            t1 = t_inf + (t0 - t_inf) * decay
            mean_t = t_inf + (t0 - t_inf) * (1 - decay) * cap / (k * dt_s)
        else:
            t1 = t0 + (heat_w - sink_w) * dt_s / cap
            mean_t = (t0 + t1) / 2
        self.temp_c = t1
        self.heat_in_wh += heat_w * dt_s / 3600
        self.loss_wh += c.loss_w_per_k * (mean_t - ambient_c) * dt_s / 3600
        self.drawn_wh += (sink_w + draw_w_per_k * (mean_t - c.cold_water_c)) * dt_s / 3600
        self.drawn_mixed_l += mixed_draw_l
        self.last_draw_l_per_min = mixed_draw_l / dt_s * 60
