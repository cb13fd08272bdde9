"""Air-to-water heat pump with room thermostat, weather-compensated flow and DHW priority.

- **COP** is a fixed fraction of the Carnot COP between condensing (flow + 3 K) and evaporating
  (outdoor − 6 K) temperatures: rises with outdoor temperature, falls with flow temperature.
- **Capacity**: rated heat output at A7/W35, derated by 2 %/K below 7 °C outdoors; the compressor
  modulates between ``min_modulation`` × capacity and capacity. Below that it cycles on/off.
- **Space heating**: a PI room thermostat on the indoor temperature sets the heat output; the flow
  temperature follows a heating curve (outdoor temperature → flow temperature). A summer/winter
  switch stops space heating while the outdoor temperature, damped over ~12 h, is above
  ``heating_limit_c``.
- **DHW priority**: when the tank thermostat calls for heat, the compressor heats the tank at
  full capacity (flow = tank + 5 K) and space heating pauses. Tank setpoints above what the
  compressor can reach are topped up by the tank's electric element.
- **Controls**: ``on`` (0/1, the whole unit), ``mode`` (1 heating + DHW, 2 DHW only),
  ``setpoint_c`` (5–30 °C), ``dhw_setpoint_c`` (40–70 °C), ``power_limit_w`` (electric cap for a
  demand response; the element counts too).
"""

from __future__ import annotations

import math
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.edge.model import DeviceKind
from flexcoop.hardware.virtual.device import WritablePoints
from flexcoop.hardware.virtual.dhw import DhwTank

KELVIN = 273.15
CONDENSER_APPROACH_K = 3.0
EVAPORATOR_APPROACH_K = 6.0
DHW_FLOW_MARGIN_K = 5.0
SETPOINT_LIMITS_C = (5.0, 30.0)
DHW_SETPOINT_LIMITS_C = (40.0, 70.0)


class HeatPumpMode(IntEnum):
    HEATING_AND_DHW = 1
    DHW_ONLY = 2


class HeatPumpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rated_heat_w: float = Field(
        default=8000.0, gt=0, le=50_000, description="heat output at A7/W35"
    )
    carnot_efficiency: float = Field(default=0.5, gt=0.1, le=0.7)
    min_modulation: float = Field(default=0.3, gt=0, le=1)
    max_flow_temp_c: float = Field(default=60.0, ge=35, le=75)
    design_outdoor_temp_c: float = Field(default=-8.0, ge=-30, le=5)
    design_flow_temp_c: float = Field(default=45.0, ge=25, le=75)
    setpoint_c: float = Field(default=20.5, ge=SETPOINT_LIMITS_C[0], le=SETPOINT_LIMITS_C[1])
    proportional_w_per_k: float = Field(default=2500.0, gt=0)
    integral_time_s: float = Field(default=2400.0, gt=0)
    cycling_hysteresis_k: float = Field(default=0.3, gt=0, le=2)
    heating_limit_c: float = Field(
        default=16.0, ge=5, le=25, description="no space heating above this damped outdoor temp"
    )
    outdoor_damping_s: float = Field(default=12 * 3600.0, gt=0, description="summer/winter filter")


def cop(temp_out_c: float, flow_temp_c: float, carnot_efficiency: float = 0.5) -> float:
    """Coefficient of performance at an outdoor and a flow temperature (1 ≤ COP ≤ 8)."""
    condensing_k = flow_temp_c + CONDENSER_APPROACH_K + KELVIN
    lift_k = max(flow_temp_c + CONDENSER_APPROACH_K - (temp_out_c - EVAPORATOR_APPROACH_K), 15.0)
    return min(max(carnot_efficiency * condensing_k / lift_k, 1.0), 8.0)


class HeatPump(WritablePoints):
    """The unit and its controller. ``step`` decides where heat goes; the home applies it."""

    kind = DeviceKind.HEAT_PUMP.value
    integer_points = frozenset({"on", "mode"})

    def __init__(self, config: HeatPumpConfig, tank: DhwTank) -> None:
        self.config = config
        self.tank = tank
        self.on = True
        self.mode = HeatPumpMode.HEATING_AND_DHW
        self.setpoint_c = config.setpoint_c
        self.power_limit_w = self.max_electric_w
        self._integral_w = 0.0
        self._cycling_on = False
        self.temp_out_c = 0.0
        self.damped_temp_out_c: float | None = None
        self.indoor_temp_c = config.setpoint_c
        # Outputs of the last step.
        self.space_heat_w = 0.0
        self.dhw_heat_w = 0.0
        self.compressor_w = 0.0
        self.element_w = 0.0
        self.flow_temp_c = 0.0
        self.cop = 0.0
        self.dhw_active = False
        self.energy_wh = 0.0
        self.heat_energy_wh = 0.0

    @property
    def max_electric_w(self) -> float:
        """Worst-case electric draw: full capacity at the design point plus the element."""
        c = self.config
        worst = cop(c.design_outdoor_temp_c, c.max_flow_temp_c, c.carnot_efficiency)
        return c.rated_heat_w / worst + self.tank.config.element_power_w

    def capacity_w(self, temp_out_c: float) -> float:
        derate = min(max(1 + 0.02 * (temp_out_c - 7.0), 0.5), 1.2)
        return self.config.rated_heat_w * derate

    def heating_curve_c(self, temp_out_c: float) -> float:
        """Flow temperature for space heating: 25 °C at 20 °C outdoors up to the design point."""
        c = self.config
        load = (self.setpoint_c - temp_out_c) / (self.setpoint_c - c.design_outdoor_temp_c)
        flow = 25.0 + (c.design_flow_temp_c - 25.0) * min(max(load, 0.0), 1.2)
        return min(flow, c.max_flow_temp_c)

    def prime(self, space_heat_w: float, damped_temp_out_c: float | None = None) -> None:
        """Start the controller in a known state (bumpless start of a simulation): the
        thermostat's integral at a heat load, the summer/winter filter at an outdoor mean."""
        self._integral_w = max(space_heat_w, 0.0)
        if damped_temp_out_c is not None:
            self.damped_temp_out_c = damped_temp_out_c

    def _space_heating_demand_w(self, dt_s: float, indoor_c: float, capacity_w: float) -> float:
        c = self.config
        error = self.setpoint_c - indoor_c
        self._integral_w += c.proportional_w_per_k * error * dt_s / c.integral_time_s
        self._integral_w = min(max(self._integral_w, 0.0), capacity_w)  # anti-windup
        demand = min(max(c.proportional_w_per_k * error + self._integral_w, 0.0), capacity_w)
        minimum = c.min_modulation * capacity_w
        if demand >= minimum:
            self._cycling_on = False
            return demand
        # Below minimum modulation the compressor cycles on the room temperature.
        if indoor_c < self.setpoint_c - c.cycling_hysteresis_k:
            self._cycling_on = True
        elif indoor_c > self.setpoint_c + c.cycling_hysteresis_k:
            self._cycling_on = False
        return minimum if self._cycling_on else 0.0

    @property
    def heating_allowed(self) -> bool:
        """Summer/winter switch on the damped outdoor temperature, as real controllers do, so
        a warm afternoon does not end the heating season but a warm week does."""
        damped = self.temp_out_c if self.damped_temp_out_c is None else self.damped_temp_out_c
        return damped < self.config.heating_limit_c

    def step(self, dt_s: float, temp_out_c: float, indoor_temp_c: float) -> None:
        c = self.config
        self.temp_out_c, self.indoor_temp_c = temp_out_c, indoor_temp_c
        if self.damped_temp_out_c is None:
            self.damped_temp_out_c = temp_out_c
        self.damped_temp_out_c += (temp_out_c - self.damped_temp_out_c) * (
            1 - math.exp(-dt_s / c.outdoor_damping_s)
        )
        self.space_heat_w = self.dhw_heat_w = self.compressor_w = self.element_w = 0.0
        self.dhw_active = False
        capacity = self.capacity_w(temp_out_c)
        self.flow_temp_c = self.heating_curve_c(temp_out_c)
        tank_needs_heat = self.tank.needs_heat()
        if not self.on:
            self.cop = cop(temp_out_c, self.flow_temp_c, c.carnot_efficiency)
            self._integral_w = 0.0
            return
        budget_w = self.power_limit_w
        hp_max_tank_c = c.max_flow_temp_c - DHW_FLOW_MARGIN_K
        if tank_needs_heat and self.tank.temp_c < hp_max_tank_c:
            self.dhw_active = True
            self.flow_temp_c = self.tank.temp_c + DHW_FLOW_MARGIN_K
            self.cop = cop(temp_out_c, self.flow_temp_c, c.carnot_efficiency)
            self.dhw_heat_w = min(capacity, budget_w * self.cop, self.tank.heat_to_setpoint_w(dt_s))
            self.compressor_w = self.dhw_heat_w / self.cop
        else:
            self.cop = cop(temp_out_c, self.flow_temp_c, c.carnot_efficiency)
            if tank_needs_heat:
                # Setpoint beyond the compressor's reach: the element finishes the job.
                self.element_w = min(
                    self.tank.config.element_power_w, budget_w, self.tank.heat_to_setpoint_w(dt_s)
                )
                self.dhw_heat_w = self.element_w
                self.dhw_active = True
            if self.mode is HeatPumpMode.HEATING_AND_DHW and self.heating_allowed:
                demand = self._space_heating_demand_w(dt_s, indoor_temp_c, capacity)
                self.space_heat_w = min(demand, (budget_w - self.element_w) * self.cop)
                self.compressor_w = self.space_heat_w / self.cop
        self.energy_wh += self.power_w * dt_s / 3600
        self.heat_energy_wh += (self.space_heat_w + self.dhw_heat_w) * dt_s / 3600

    @property
    def power_w(self) -> float:
        return self.compressor_w + self.element_w

    def values(self) -> dict[str, float]:
        return {
            "power_w": self.power_w,
            "compressor_power_w": self.compressor_w,
            "element_power_w": self.element_w,
            "heat_w": self.space_heat_w + self.dhw_heat_w,
            "space_heat_w": self.space_heat_w,
            "dhw_heat_w": self.dhw_heat_w,
            "cop": self.cop,
            "flow_temp_c": self.flow_temp_c,
            "outdoor_temp_c": self.temp_out_c,
            "heating_allowed": float(self.heating_allowed),
            "indoor_temp_c": self.indoor_temp_c,
            "setpoint_c": self.setpoint_c,
            "on": float(self.on),
            "mode": float(self.mode),
            "power_limit_w": self.power_limit_w,
            "rated_heat_w": self.config.rated_heat_w,
            "dhw_temp_c": self.tank.temp_c,
            "dhw_setpoint_c": self.tank.setpoint_c,
            "dhw_active": float(self.dhw_active),
            "dhw_draw_l_per_min": self.tank.last_draw_l_per_min,
            "energy_wh": self.energy_wh,
            "heat_energy_wh": self.heat_energy_wh,
        }

    def writable(self) -> dict[str, tuple[float, float]]:
        return {
            "on": (0.0, 1.0),
            "mode": (float(min(HeatPumpMode)), float(max(HeatPumpMode))),
            "setpoint_c": SETPOINT_LIMITS_C,
            "dhw_setpoint_c": DHW_SETPOINT_LIMITS_C,
            "power_limit_w": (0.0, self.max_electric_w),
        }

    def _apply(self, name: str, value: float) -> float:
        if name == "on":
            self.on = bool(value)
        elif name == "mode":
            self.mode = HeatPumpMode(int(value))
        elif name == "setpoint_c":
            self.setpoint_c = value
        elif name == "dhw_setpoint_c":
            self.tank.setpoint_c = value
        else:
            self.power_limit_w = value
        return value
