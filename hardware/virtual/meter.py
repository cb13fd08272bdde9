"""Grid connection meter: net power, import/export registers, per-phase V/A/Hz.

Sign convention: ``power_w`` (and each ``phase_x_power_w``) is **positive when importing** from
the grid and negative when exporting. Currents carry the same sign as their phase's power.
Import and export registers only ever grow.

Voltages are 230 V nominal with a seeded slow drift of the feeder (±3 V) and the rise/drop over
the service cable (``grid_resistance_ohm`` × current: export raises the voltage); the frequency
wanders around 50 Hz by a few tens of mHz, as on the continental European grid.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.device import WritablePoints
from flexcoop.hardware.virtual.seeding import seeded_rng

NOMINAL_VOLTAGE_V = 230.0
NOMINAL_FREQUENCY_HZ = 50.0
PHASES = ("a", "b", "c")


class MeterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grid_resistance_ohm: float = Field(
        default=0.15, ge=0, le=2, description="service cable + feeder share"
    )


class GridMeter(WritablePoints):
    kind = DeviceKind.METER.value

    def __init__(self, config: MeterConfig, seed: int) -> None:
        self.config = config
        rng = seeded_rng(seed, "grid")
        self._phase_offsets = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
        self._drift_v = [rng.uniform(-1.5, 1.5) for _ in PHASES]
        self.phase_power_w = [0.0, 0.0, 0.0]
        self.phase_voltage_v = [NOMINAL_VOLTAGE_V] * 3
        self.frequency_hz = NOMINAL_FREQUENCY_HZ
        self.import_wh = 0.0
        self.export_wh = 0.0

    def grid_at(self, t_s: float) -> tuple[list[float], float]:
        """Open-circuit phase voltages (V) and frequency (Hz) of the feeder at epoch second t."""
        o = self._phase_offsets
        slow = [
            self._drift_v[i] + 1.5 * math.sin(2 * math.pi * t_s / 5400 + o[i]) for i in range(3)
        ]
        freq = (
            NOMINAL_FREQUENCY_HZ
            + 0.03 * math.sin(2 * math.pi * t_s / 900 + o[3])
            + 0.01 * math.sin(2 * math.pi * t_s / 97 + o[4])
        )
        return [NOMINAL_VOLTAGE_V + v for v in slow], freq

    @property
    def power_w(self) -> float:
        return sum(self.phase_power_w)

    def step(self, dt_s: float, t_s: float, phase_power_w: tuple[float, float, float]) -> None:
        """Record ``dt_s`` seconds of net power per phase (+ import, − export) from epoch ``t_s``."""
        source_v, self.frequency_hz = self.grid_at(t_s)
        r = self.config.grid_resistance_ohm
        # V = V0 − R·P/V, the physical root of V² − V0·V + R·P = 0.
        self.phase_voltage_v = [
            (v0 + math.sqrt(max(v0 * v0 - 4 * r * p, 0.0))) / 2
            for v0, p in zip(source_v, phase_power_w, strict=True)
        ]
        self.phase_power_w = list(phase_power_w)
        # Import and export are registered per phase sum (a "balancing" meter, as in most of
        # Europe), so a phase exporting while another imports nets out.
        net_wh = self.power_w * dt_s / 3600
        if net_wh >= 0:
            self.import_wh += net_wh
        else:
            self.export_wh -= net_wh

    def values(self) -> dict[str, float]:
        out = {
            "power_w": self.power_w,
            "import_wh": self.import_wh,
            "export_wh": self.export_wh,
            "frequency_hz": self.frequency_hz,
        }
        for name, p, v in zip(PHASES, self.phase_power_w, self.phase_voltage_v, strict=True):
            out[f"phase_{name}_power_w"] = p
            out[f"phase_{name}_voltage_v"] = v
            out[f"phase_{name}_current_a"] = p / v
        return out

    def writable(self) -> dict[str, tuple[float, float]]:
        return {}

    def _apply(self, name: str, value: float) -> float:
        raise AssertionError("a meter has no writable points")  # write() rejects first
