"""Home battery: energy content, power limits, conversion losses, SoC window and control modes.

Sign convention (AC side, as seen by the house): ``power_w`` and ``setpoint_w`` are **positive
when discharging** (feeding the house) and **negative when charging**.

The round-trip efficiency ``η`` is split evenly: charging stores ``√η`` of the AC energy taken,
discharging delivers ``√η`` of the energy removed. Power is limited by the converter ratings and
by the energy left before the SoC limits, so the SoC never leaves ``[min_soc_pct, max_soc_pct]``.

Modes: ``0`` self-consumption (default: charge from PV surplus, discharge to cover the house's
net load); ``1`` remote: follow ``setpoint_w`` as far as limits allow.
"""

from __future__ import annotations

import math
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.device import WritablePoints


class BatteryMode(IntEnum):
    SELF_CONSUMPTION = 0
    REMOTE = 1


class BatteryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity_wh: float = Field(
        default=10_000.0, gt=0, le=1e7, description="usable energy at 100 % SoC"
    )
    max_charge_w: float = Field(default=5000.0, gt=0)
    max_discharge_w: float = Field(default=5000.0, gt=0)
    round_trip_efficiency: float = Field(default=0.9, gt=0.5, le=1)
    min_soc_pct: float = Field(default=5.0, ge=0, le=50)
    max_soc_pct: float = Field(default=100.0, ge=50, le=100)
    initial_soc_pct: float = Field(default=50.0, ge=0, le=100)

    @model_validator(mode="after")
    def _initial_within_limits(self) -> BatteryConfig:
        if not self.min_soc_pct <= self.initial_soc_pct <= self.max_soc_pct:
            raise ValueError("initial_soc_pct must lie within min_soc_pct … max_soc_pct")
        return self


class Battery(WritablePoints):
    kind = DeviceKind.BATTERY.value
    integer_points = frozenset({"mode"})

    def __init__(self, config: BatteryConfig) -> None:
        self.config = config
        self.energy_wh = config.capacity_wh * config.initial_soc_pct / 100
        self.mode = BatteryMode.SELF_CONSUMPTION
        self.setpoint_w = 0.0
        self.min_soc_pct = config.min_soc_pct
        self.max_soc_pct = config.max_soc_pct
        self.power_w = 0.0
        self.charged_wh = 0.0  # AC energy taken in
        self.discharged_wh = 0.0  # AC energy delivered
        self._one_way = math.sqrt(config.round_trip_efficiency)

    @property
    def soc_pct(self) -> float:
        return 100 * self.energy_wh / self.config.capacity_wh

    def limits_w(self, dt_s: float) -> tuple[float, float]:
        """(max charge W ≥ 0, max discharge W ≥ 0) that keep the SoC in its window over dt."""
        cap = self.config.capacity_wh
        room_wh = max(cap * self.max_soc_pct / 100 - self.energy_wh, 0.0)
        left_wh = max(self.energy_wh - cap * self.min_soc_pct / 100, 0.0)
        charge = min(self.config.max_charge_w, room_wh / self._one_way * 3600 / dt_s)
        discharge = min(self.config.max_discharge_w, left_wh * self._one_way * 3600 / dt_s)
        return charge, discharge

    def step(self, dt_s: float, net_load_w: float) -> float:
        """Advance by ``dt_s``; ``net_load_w`` is the house's import without the battery (used in
        self-consumption mode). Returns the battery's AC power (+ discharge, − charge)."""
        wanted = net_load_w if self.mode is BatteryMode.SELF_CONSUMPTION else self.setpoint_w
        max_charge, max_discharge = self.limits_w(dt_s)
        power = min(max(wanted, -max_charge), max_discharge)
        hours = dt_s / 3600
        if power >= 0:
            self.energy_wh -= power * hours / self._one_way
            self.discharged_wh += power * hours
        else:
            self.energy_wh += -power * hours * self._one_way
            self.charged_wh += -power * hours
        # Rounding must never push the SoC a hair outside its window.
        cap = self.config.capacity_wh
        self.energy_wh = min(max(self.energy_wh, 0.0), cap)
        self.power_w = power
        return power

    def values(self) -> dict[str, float]:
        return {
            "power_w": self.power_w,
            "soc_pct": self.soc_pct,
            "energy_stored_wh": self.energy_wh,
            "capacity_wh": self.config.capacity_wh,
            "max_charge_w": self.config.max_charge_w,
            "max_discharge_w": self.config.max_discharge_w,
            "setpoint_w": self.setpoint_w,
            "mode": float(self.mode),
            "min_soc_pct": self.min_soc_pct,
            "max_soc_pct": self.max_soc_pct,
            "charged_wh": self.charged_wh,
            "discharged_wh": self.discharged_wh,
        }

    def writable(self) -> dict[str, tuple[float, float]]:
        return {
            "setpoint_w": (-self.config.max_charge_w, self.config.max_discharge_w),
            "mode": (float(min(BatteryMode)), float(max(BatteryMode))),
            "min_soc_pct": (0.0, min(50.0, self.max_soc_pct)),
            "max_soc_pct": (max(50.0, self.min_soc_pct), 100.0),
        }

    def _apply(self, name: str, value: float) -> float:
        if name == "setpoint_w":
            self.setpoint_w = value
        elif name == "mode":
            self.mode = BatteryMode(int(value))
        elif name == "min_soc_pct":
            self.min_soc_pct = value
        else:
            self.max_soc_pct = value
        return value
