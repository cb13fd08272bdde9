"""PV array and inverter: plane-of-array irradiance → DC → AC, clipping and curtailment.

- DC: ``kWp × POA/1000 × (1 + γ (T_cell − 25 °C)) × (1 − system losses)`` with the NOCT cell
  temperature ``T_cell = T_air + (NOCT − 20)/800 × POA``.
- AC: PVWatts inverter efficiency curve (part-load losses), clipped at the inverter's AC rating
  and at the curtailment limit ``w_max_lim_pct`` % of that rating (as SunSpec WMaxLimPct).
- ``available_power_w`` is what the array could feed in without curtailment, so a controller can
  see how much it is spilling.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.device import WritablePoints
from flexcoop.hardware.virtual.weather import WeatherSample, plane_of_array_w_m2

PVWATTS_REFERENCE_EFFICIENCY = 0.9637
START_THRESHOLD_W = 5.0


class PvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kwp: float = Field(default=6.0, gt=0, le=1000, description="DC nameplate at STC")
    tilt_deg: float = Field(default=35.0, ge=0, le=90)
    azimuth_deg: float = Field(default=180.0, ge=0, lt=360, description="clockwise from north")
    inverter_ac_w: float = Field(
        default=5000.0, gt=0, description="AC rating (DC/AC 1.2 clips at noon)"
    )
    inverter_efficiency: float = Field(default=0.96, gt=0.5, le=0.995, description="nominal")
    system_losses: float = Field(
        default=0.10, ge=0, lt=0.5, description="soiling, wiring, mismatch"
    )
    temp_coefficient_per_k: float = Field(default=-0.004, ge=-0.01, le=0)
    noct_c: float = Field(default=45.0, ge=30, le=60)


class PvInverter(WritablePoints):
    kind = DeviceKind.PV_INVERTER.value

    def __init__(self, config: PvConfig) -> None:
        self.config = config
        self.w_max_lim_pct = 100.0
        self.poa_w_m2 = 0.0
        self.cell_temp_c = 0.0
        self.dc_power_w = 0.0
        self.available_power_w = 0.0
        self.power_w = 0.0
        self.energy_wh = 0.0
        self.voltage_v = 230.0
        self.frequency_hz = 50.0

    def dc_power_for(self, poa_w_m2: float, temp_air_c: float) -> tuple[float, float]:
        """(DC power W, cell temperature °C) for an irradiance on the array plane."""
        c = self.config
        cell = temp_air_c + (c.noct_c - 20) / 800 * poa_w_m2
        dc = c.kwp * poa_w_m2 * (1 + c.temp_coefficient_per_k * (cell - 25)) * (1 - c.system_losses)
        return max(dc, 0.0), cell

    def ac_power_for(self, dc_w: float) -> float:
        """Inverter output before curtailment: PVWatts efficiency, clipped at the AC rating."""
        c = self.config
        if dc_w <= START_THRESHOLD_W:
            return 0.0
        dc_rating = c.inverter_ac_w / c.inverter_efficiency
        zeta = dc_w / dc_rating
        eff = (c.inverter_efficiency / PVWATTS_REFERENCE_EFFICIENCY) * (
            -0.0162 * zeta - 0.0059 / zeta + 0.9858
        )
        return min(max(eff * dc_w, 0.0), c.inverter_ac_w)

    @property
    def limit_w(self) -> float:
        return self.config.inverter_ac_w * self.w_max_lim_pct / 100

    def step(
        self, dt_s: float, weather: WeatherSample, voltage_v: float, frequency_hz: float
    ) -> float:
        """Advance by ``dt_s``; returns the AC power fed in (W, ≥ 0)."""
        self.poa_w_m2 = plane_of_array_w_m2(weather, self.config.tilt_deg, self.config.azimuth_deg)
        self.dc_power_w, self.cell_temp_c = self.dc_power_for(self.poa_w_m2, weather.temp_out_c)
        self.available_power_w = self.ac_power_for(self.dc_power_w)
        self.power_w = min(self.available_power_w, self.limit_w)
        if self.power_w < self.available_power_w:
            # Curtailed: the inverter moves off the maximum power point, so less DC flows.
            self.dc_power_w *= self.power_w / self.available_power_w
        self.voltage_v, self.frequency_hz = voltage_v, frequency_hz
        self.energy_wh += self.power_w * dt_s / 3600
        return self.power_w

    def values(self) -> dict[str, float]:
        return {
            "power_w": self.power_w,
            "available_power_w": self.available_power_w,
            "dc_power_w": self.dc_power_w,
            "energy_wh": self.energy_wh,
            "rated_power_w": self.config.inverter_ac_w,
            "w_max_lim_pct": self.w_max_lim_pct,
            "poa_irradiance_w_m2": self.poa_w_m2,
            "cell_temp_c": self.cell_temp_c,
            "voltage_v": self.voltage_v,
            "current_a": self.power_w / (3 * self.voltage_v),
            "frequency_hz": self.frequency_hz,
        }

    def writable(self) -> dict[str, tuple[float, float]]:
        return {"w_max_lim_pct": (0.0, 100.0)}

    def _apply(self, name: str, value: float) -> float:
        self.w_max_lim_pct = value
        return value
