"""EV charger (three-phase, IEC 61851 current control) with seeded plug-in sessions.

Every evening a car arrives (around 18:00 local time) needing a seeded amount of energy and
leaves the next morning (around 07:30). While connected and enabled the charger draws
``3 × 230 V × current_limit_a`` (limited by the car's on-board charger) until the session's energy
need is met; the current limit is writable from 6 A (the IEC 61851 minimum) to the charger's
rating. ``charging_enabled`` = 0 pauses charging without unplugging.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.device import WritablePoints
from flexcoop.hardware.virtual.seeding import seeded_rng

DAY_S = 86400
PHASES = 3
NOMINAL_VOLTAGE_V = 230.0
MIN_CURRENT_A = 6.0


class EvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_current_a: float = Field(
        default=16.0, ge=MIN_CURRENT_A, le=32, description="charger rating"
    )
    car_max_power_w: float = Field(
        default=11_000.0, gt=0, le=22_100, description="on-board charger"
    )
    mean_arrival_h: float = Field(default=18.0, ge=0, lt=24, description="local time")
    mean_departure_h: float = Field(default=7.5, ge=0, lt=24, description="local time, next day")
    mean_energy_need_wh: float = Field(default=10_000.0, ge=0, le=100_000)


@dataclass(frozen=True, slots=True)
class Session:
    day: int
    arrival_s: float  # UTC epoch seconds
    departure_s: float
    energy_need_wh: float


class SessionSchedule:
    """Seeded sessions, one per evening; a pure function of the day number."""

    def __init__(self, config: EvConfig, seed: int, longitude_deg: float = 0.0) -> None:
        self.config = config
        self.seed = seed
        self._utc_shift_s = -longitude_deg / 15 * 3600
        self._days: dict[int, Session] = {}

    def session_on(self, day: int) -> Session:
        if day not in self._days:
            if len(self._days) > 64:
                self._days.clear()
            rng = seeded_rng(self.seed, "ev", day)
            c = self.config
            base = day * DAY_S + self._utc_shift_s
            arrive_h = min(max(rng.gauss(c.mean_arrival_h, 1.2), 12.0), 23.5)
            leave_h = 24 + min(max(rng.gauss(c.mean_departure_h, 0.7), 5.0), 11.0)
            need = min(
                max(rng.gauss(c.mean_energy_need_wh, 0.4 * c.mean_energy_need_wh), 0), 60_000
            )
            self._days[day] = Session(day, base + arrive_h * 3600, base + leave_h * 3600, need)
        return self._days[day]

    def active(self, t_s: float) -> Session | None:
        day = int((t_s - self._utc_shift_s) // DAY_S)
        for d in (day - 1, day):
            s = self.session_on(d)
            if s.arrival_s <= t_s < s.departure_s:
                return s
        return None


class EvCharger(WritablePoints):
    kind = DeviceKind.EV_CHARGER.value
    integer_points = frozenset({"charging_enabled"})

    def __init__(self, config: EvConfig, seed: int, longitude_deg: float = 0.0) -> None:
        self.config = config
        self.schedule = SessionSchedule(config, seed, longitude_deg)
        self.current_limit_a = config.max_current_a
        self.charging_enabled = True
        self.session: Session | None = None
        self.session_energy_wh = 0.0
        self.power_w = 0.0
        self.energy_wh = 0.0

    @property
    def connected(self) -> bool:
        return self.session is not None

    @property
    def energy_need_wh(self) -> float:
        """Energy still wanted in the current session (0 when no car)."""
        if self.session is None:
            return 0.0
        return max(self.session.energy_need_wh - self.session_energy_wh, 0.0)

    def step(self, dt_s: float, t_s: float) -> float:
        """Advance from epoch second ``t_s`` by ``dt_s``; returns the power drawn (W)."""
        session = self.schedule.active(t_s)
        if session != self.session:
            self.session = session
            self.session_energy_wh = 0.0
        power = 0.0
        if session is not None and self.charging_enabled:
            offered = PHASES * NOMINAL_VOLTAGE_V * self.current_limit_a
            # The charger tops up the last few Wh within one step rather than overshooting.
            power = min(offered, self.config.car_max_power_w, self.energy_need_wh * 3600 / dt_s)
        self.power_w = power
        self.session_energy_wh += power * dt_s / 3600
        self.energy_wh += power * dt_s / 3600
        return power

    def values(self) -> dict[str, float]:
        departure = self.session.departure_s if self.session else 0.0
        return {
            "power_w": self.power_w,
            "current_a": self.power_w / (PHASES * NOMINAL_VOLTAGE_V),
            "current_limit_a": self.current_limit_a,
            "max_current_a": self.config.max_current_a,
            "connected": float(self.connected),
            "charging": float(self.power_w > 0),
            "charging_enabled": float(self.charging_enabled),
            "session_energy_wh": self.session_energy_wh,
            "energy_need_wh": self.energy_need_wh,
            "departure_epoch_s": departure,
            "energy_wh": self.energy_wh,
        }

    def writable(self) -> dict[str, tuple[float, float]]:
        return {
            "current_limit_a": (MIN_CURRENT_A, self.config.max_current_a),
            "charging_enabled": (0.0, 1.0),
        }

    def _apply(self, name: str, value: float) -> float:
        if name == "current_limit_a":
            self.current_limit_a = value
        else:
            self.charging_enabled = bool(value)
        return value
