"""Energy and comfort accumulators of a virtual home, per UTC day or any other period."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass
class EnergySummary:
    """What a period looked like: energies in Wh, temperatures in °C, shares in %."""

    start: datetime
    end: datetime
    pv_wh: float = 0.0
    import_wh: float = 0.0
    export_wh: float = 0.0
    base_load_wh: float = 0.0
    heat_pump_wh: float = 0.0
    heat_pump_heat_wh: float = 0.0
    ev_wh: float = 0.0
    battery_charged_wh: float = 0.0
    battery_discharged_wh: float = 0.0
    min_indoor_temp_c: float = math.inf
    max_indoor_temp_c: float = -math.inf
    _indoor_temp_integral: float = field(default=0.0, repr=False)
    _seconds: float = field(default=0.0, repr=False)

    def record(
        self,
        dt_s: float,
        end: datetime,
        *,
        pv_w: float,
        grid_w: float,
        base_load_w: float,
        heat_pump_w: float,
        heat_pump_heat_w: float,
        ev_w: float,
        battery_w: float,
        indoor_temp_c: float,
    ) -> None:
        h = dt_s / 3600
        self.end = end
        self.pv_wh += pv_w * h
        self.import_wh += max(grid_w, 0.0) * h
        self.export_wh += max(-grid_w, 0.0) * h
        self.base_load_wh += base_load_w * h
        self.heat_pump_wh += heat_pump_w * h
        self.heat_pump_heat_wh += heat_pump_heat_w * h
        self.ev_wh += ev_w * h
        self.battery_charged_wh += max(-battery_w, 0.0) * h
        self.battery_discharged_wh += max(battery_w, 0.0) * h
        self.min_indoor_temp_c = min(self.min_indoor_temp_c, indoor_temp_c)
        self.max_indoor_temp_c = max(self.max_indoor_temp_c, indoor_temp_c)
        self._indoor_temp_integral += indoor_temp_c * dt_s
        self._seconds += dt_s

    @property
    def consumption_wh(self) -> float:
        return self.base_load_wh + self.heat_pump_wh + self.ev_wh

    @property
    def self_consumption_pct(self) -> float:
        """Share of PV energy used in the home (directly or via the battery), not exported."""
        if self.pv_wh <= 0:
            return 0.0
        return min(max(100 * (self.pv_wh - self.export_wh) / self.pv_wh, 0.0), 100.0)

    @property
    def self_sufficiency_pct(self) -> float:
        """Share of consumption not imported from the grid."""
        if self.consumption_wh <= 0:
            return 100.0
        return min(max(100 * (1 - self.import_wh / self.consumption_wh), 0.0), 100.0)

    @property
    def mean_indoor_temp_c(self) -> float:
        return self._indoor_temp_integral / self._seconds if self._seconds else math.nan

    @property
    def seasonal_cop(self) -> float:
        return self.heat_pump_heat_wh / self.heat_pump_wh if self.heat_pump_wh > 0 else 0.0

    def as_dict(self) -> dict[str, float | str]:
        """Flat, JSON-friendly view with the derived figures; what the demo prints."""
        out: dict[str, float | str] = {
            k: v
            for k, v in asdict(self).items()
            if not k.startswith("_") and k not in ("start", "end")
        }
        out.update(
            start=self.start.isoformat(),
            end=self.end.isoformat(),
            consumption_wh=self.consumption_wh,
            self_consumption_pct=self.self_consumption_pct,
            self_sufficiency_pct=self.self_sufficiency_pct,
            mean_indoor_temp_c=self.mean_indoor_temp_c,
            heat_pump_cop=self.seasonal_cop,
        )
        return out
