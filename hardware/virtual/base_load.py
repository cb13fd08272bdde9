"""Household base load (everything but heat pump, EV and battery), seeded and realistic.

The profile is a smooth daily shape (night standby, a morning and a larger evening peak, more
lighting in winter) plus seeded appliance runs (kettle, cooking, washing machine, dishwasher) at
plausible local times, scaled so the expected annual consumption is ``annual_energy_wh``
(default 3 MWh, a typical three-person home in Western Europe). It is a pure function of time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.hardware.virtual.seeding import seeded_rng
from flexcoop.units import ensure_utc

DAY_S = 86400


class BaseLoadConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    annual_energy_wh: float = Field(default=3_000_000.0, gt=100_000, le=50_000_000)


@dataclass(frozen=True, slots=True)
class Appliance:
    name: str
    power_w: float
    duration_s: float
    window_h: tuple[float, float]  # local start window
    runs_per_day: float  # expected; drawn as floor + Bernoulli of the remainder


APPLIANCES = (
    Appliance("kettle", 2000.0, 180.0, (6.5, 21.0), 3.0),
    Appliance("cooking", 1800.0, 2700.0, (17.0, 19.5), 0.8),
    Appliance("washing_machine", 700.0, 5400.0, (8.0, 20.0), 0.5),
    Appliance("dishwasher", 900.0, 4800.0, (19.5, 22.0), 0.6),
)

# Relative smooth shape by local hour: standby at night, morning and evening peaks.
_SHAPE_TERMS = ((7.5, 1.2, 1.2), (12.5, 2.0, 0.6), (19.5, 2.2, 2.0))  # (centre h, width h, weight)


def _smooth_shape(local_h: float, winter: float) -> float:
    value = 1.0
    for centre, width, weight in _SHAPE_TERMS:
        d = (local_h - centre + 12) % 24 - 12
        value += weight * (1 + 0.3 * winter) * math.exp(-0.5 * (d / width) ** 2)
    return value


class BaseLoad:
    def __init__(self, config: BaseLoadConfig, seed: int, longitude_deg: float = 0.0) -> None:
        self.config = config
        self.seed = seed
        self._utc_shift_s = -longitude_deg / 15 * 3600
        appliance_wh_per_day = sum(
            a.power_w * a.duration_s / 3600 * a.runs_per_day for a in APPLIANCES
        )
        smooth_wh_per_day = config.annual_energy_wh / 365.25 - appliance_wh_per_day
        # The mean of the shape over a day and a year: integrate once, numerically.
        mean_shape = sum(
            _smooth_shape(h / 4, math.cos(2 * math.pi * d / 365))
            for d in range(0, 365, 5)
            for h in range(96)
        ) / (96 * len(range(0, 365, 5)))
        self._scale_w = max(smooth_wh_per_day, 0.0) / 24 / mean_shape
        self._runs: dict[int, list[tuple[float, float, float]]] = {}

    def _runs_on(self, day: int) -> list[tuple[float, float, float]]:
        """(start epoch s, end epoch s, power W) of appliance runs starting on ``day``."""
        if day not in self._runs:
            if len(self._runs) > 64:
                self._runs.clear()
            rng = seeded_rng(self.seed, "base-load", day)
            base = day * DAY_S + self._utc_shift_s
            runs = []
            for a in APPLIANCES:
                count = int(a.runs_per_day) + (rng.random() < a.runs_per_day % 1)
                for _ in range(count):
                    start = base + rng.uniform(*a.window_h) * 3600
                    runs.append((start, start + a.duration_s, a.power_w))
            self._runs[day] = runs
        return self._runs[day]

    def power_w(self, ts: datetime) -> float:
        ts = ensure_utc(ts)
        t = ts.timestamp()
        local_s = t - self._utc_shift_s
        local_h = (local_s % DAY_S) / 3600
        doy = ts.timetuple().tm_yday
        winter = math.cos(2 * math.pi * (doy - 1) / 365)
        power = self._scale_w * _smooth_shape(local_h, winter)
        day = int(local_s // DAY_S)
        for d in (day - 1, day):
            for start, end, appliance_w in self._runs_on(d):
                if start <= t < end:
                    power += appliance_w
        return power
