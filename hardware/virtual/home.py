"""A virtual home: weather, house, heat pump + DHW tank, PV, battery, EV charger, base load, meter.

``VirtualHome(config, clock, seed)`` composes the simulators; ``step(dt_s)`` advances the
physics (in sub-steps of at most ``config.max_substep_s``, split at UTC midnight), ``sync()``
steps up to the clock's time and ``await run(stop, tick_s)`` keeps doing so every ``tick_s`` wall
seconds. ``home.time`` is the simulated instant the state belongs to; device values describe the
last sub-step (instantaneous powers are zero until the first step). ``home.summary`` accumulates
energies since the start (or ``reset_summary()``), ``home.today`` the UTC day in progress and
``home.days`` the closed days.

Energy balance at the meter, every sub-step::

    meter.power_w = base load + heat pump + EV − PV − battery.power_w
                  (= base + HP + EV + battery charge − PV − battery discharge)

Devices (``home.devices[id]``, each a ``VirtualDevice``: ``kind``, ``values()``, ``write()``,
``writable()``). Powers in W, energies in Wh (cumulative, never decreasing unless noted),
temperatures in °C; flags are 0/1. **W** marks writable points with their limits.

``pv`` (kind ``pv_inverter``; three-phase inverter; SunSpec 1/103/123):
    power_w               AC output, ≥ 0 (after clipping and curtailment)
    available_power_w     AC output the array could give without curtailment
    dc_power_w            DC input
    energy_wh             lifetime AC energy
    rated_power_w         inverter AC rating (WMax)
    w_max_lim_pct     W   curtailment limit, 0–100 % of rated_power_w (WMaxLimPct)
    poa_irradiance_w_m2   irradiance on the array plane
    cell_temp_c           module temperature
    voltage_v, current_a, frequency_hz   per-phase AC quantities

``battery`` (kind ``battery``; SunSpec 124 storage):
    power_w               AC power, **+ discharging, − charging**
    soc_pct               state of charge, 0–100 % of capacity_wh
    energy_stored_wh, capacity_wh, max_charge_w, max_discharge_w
    setpoint_w        W   −max_charge_w … +max_discharge_w (+ discharge), used in mode 1
    mode              W   0 self-consumption (default), 1 remote setpoint
    min_soc_pct       W   0–50 (≤ max_soc_pct); max_soc_pct  W  50–100 (≥ min_soc_pct)
    charged_wh, discharged_wh   AC energy into / out of the battery

``meter`` (kind ``meter``; SunSpec 201–204):
    power_w               net grid power, **+ import, − export**
    import_wh, export_wh  registers (both only grow)
    frequency_hz
    phase_{a,b,c}_power_w, phase_{a,b,c}_voltage_v, phase_{a,b,c}_current_a (signed like power)

``heat_pump`` (kind ``heat_pump``; also the DHW tank and the room thermostat):
    power_w               electric input (compressor + tank element)
    compressor_power_w, element_power_w
    heat_w                heat delivered (space_heat_w + dhw_heat_w)
    cop                   COP of the current operation (or at the heating curve when idle)
    flow_temp_c, outdoor_temp_c, indoor_temp_c, rated_heat_w
    heating_allowed       0/1 summer/winter switch (damped outdoor temperature < limit)
    setpoint_c        W   room thermostat, 5–30 °C
    on                W   0/1, the whole unit (compressor and element)
    mode              W   1 heating + DHW, 2 DHW only
    power_limit_w     W   0 … worst-case electric input; caps compressor + element
    dhw_temp_c            tank temperature
    dhw_setpoint_c    W   40–70 °C (above 55 °C the element finishes heating)
    dhw_active            1 while heating the tank (space heating pauses: DHW priority)
    dhw_draw_l_per_min    hot water drawn at the taps (mixed, 40 °C)
    energy_wh, heat_energy_wh   electric input / heat output

``ev_charger`` (kind ``ev_charger``; three-phase 230 V):
    power_w, current_a (per phase)
    current_limit_a   W   6 A … max_current_a (the charger's rating, ≤ 32 A)
    charging_enabled  W   0/1 (0 pauses charging)
    connected, charging   0/1
    session_energy_wh     energy of the current plug-in session
    energy_need_wh        energy the car still wants this session
    departure_epoch_s     planned departure (UTC epoch s), 0 when no car
    energy_wh             lifetime energy
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.hardware.virtual.base_load import BaseLoad, BaseLoadConfig
from flexcoop.hardware.virtual.battery import Battery, BatteryConfig
from flexcoop.hardware.virtual.building import Building, BuildingConfig
from flexcoop.hardware.virtual.clock import SimClock
from flexcoop.hardware.virtual.device import VirtualDevice
from flexcoop.hardware.virtual.dhw import DhwConfig, DhwTank, DrawProfile
from flexcoop.hardware.virtual.ev import EvCharger, EvConfig
from flexcoop.hardware.virtual.heat_pump import HeatPump, HeatPumpConfig
from flexcoop.hardware.virtual.meter import GridMeter, MeterConfig
from flexcoop.hardware.virtual.pv import PvConfig, PvInverter
from flexcoop.hardware.virtual.seeding import seeded_rng
from flexcoop.hardware.virtual.summary import EnergySummary
from flexcoop.hardware.virtual.weather import ClimateConfig, Location, SyntheticWeather, Weather
from flexcoop.logs import event, get_logger
from flexcoop.units import from_epoch, utcnow

log = get_logger(__name__)

OCCUPANT_GAIN_W = 80.0  # sensible heat of a person at rest
APPLIANCE_HEAT_SHARE = 0.8  # the rest leaves the envelope (drain water, ventilation, outdoors)
# Single-phase appliances are spread unevenly in real installations; the rest is three-phase.
BASE_LOAD_PHASE_SHARE = (0.5, 0.3, 0.2)
DAY_S = 86400
DAYS_KEPT = 400
CATCH_UP_CHUNK_S = 3600.0  # simulated seconds stepped between yields to the event loop
HEAT_PUMP_SIZES_W = (4000.0, 6000.0, 8000.0, 10_000.0, 12_000.0, 16_000.0)


class HomeConfig(BaseModel):
    """Everything that makes one home; defaults: 120 m², 6 kWp PV, 10 kWh battery, 8 kW heat
    pump, 200 L tank, 11 kW charger, 3 MWh/yr base load, three occupants, Brussels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: Location = Field(default_factory=Location)
    climate: ClimateConfig = Field(default_factory=ClimateConfig)
    building: BuildingConfig = Field(default_factory=BuildingConfig)
    heat_pump: HeatPumpConfig = Field(default_factory=HeatPumpConfig)
    dhw: DhwConfig = Field(default_factory=DhwConfig)
    pv: PvConfig = Field(default_factory=PvConfig)
    battery: BatteryConfig = Field(default_factory=BatteryConfig)
    ev: EvConfig = Field(default_factory=EvConfig)
    base_load: BaseLoadConfig = Field(default_factory=BaseLoadConfig)
    meter: MeterConfig = Field(default_factory=MeterConfig)
    max_substep_s: float = Field(default=60.0, gt=0, le=900, description="longest physics sub-step")
    initial_indoor_temp_c: float | None = Field(
        default=None, description="default: thermostat setpoint"
    )

    def scaled(self, seed: int) -> HomeConfig:
        """A plausible variation of this home for multi-home demos (deterministic per seed)."""
        rng = seeded_rng(seed, "home-config")

        def vary(model: BaseModel, **changes: Any) -> Any:
            return type(model).model_validate({**model.model_dump(), **changes})

        building = vary(
            self.building,
            floor_area_m2=self.building.floor_area_m2 * rng.uniform(0.75, 1.35),
            heat_loss_w_per_m2k=self.building.heat_loss_w_per_m2k * rng.uniform(0.7, 1.4),
        )
        # Installers size the heat pump on the design heat load with some margin.
        design_load_w = building.heat_loss_w_per_k * (20 - self.heat_pump.design_outdoor_temp_c)
        hp_w = next(
            (s for s in HEAT_PUMP_SIZES_W if s >= 1.3 * design_load_w), HEAT_PUMP_SIZES_W[-1]
        )
        kwp = round(self.pv.kwp * rng.uniform(0.5, 1.6), 1)
        battery_wh = rng.choice((5000.0, 7500.0, 10_000.0, 13_500.0))
        return HomeConfig(
            location=vary(
                self.location,
                latitude_deg=min(max(self.location.latitude_deg + rng.uniform(-0.3, 0.3), -90), 90),
                longitude_deg=min(
                    max(self.location.longitude_deg + rng.uniform(-0.3, 0.3), -180), 180
                ),
            ),
            climate=self.climate,
            building=building,
            heat_pump=vary(
                self.heat_pump, rated_heat_w=hp_w, setpoint_c=round(rng.uniform(19.5, 21.5), 1)
            ),
            dhw=vary(
                self.dhw, volume_l=rng.choice((150.0, 200.0, 300.0)), persons=rng.randint(1, 5)
            ),
            pv=vary(
                self.pv,
                kwp=kwp,
                inverter_ac_w=max(round(kwp * 1000 / 1.2, -2), 100.0),
                tilt_deg=rng.uniform(15, 45),
                azimuth_deg=rng.uniform(100, 260),
            ),
            battery=vary(
                self.battery,
                capacity_wh=battery_wh,
                max_charge_w=battery_wh / 2,
                max_discharge_w=battery_wh / 2,
                initial_soc_pct=rng.uniform(20, 80),
            ),
            ev=vary(
                self.ev,
                max_current_a=rng.choice((16.0, 32.0)),
                mean_energy_need_wh=self.ev.mean_energy_need_wh * rng.uniform(0.5, 1.5),
            ),
            base_load=vary(
                self.base_load,
                annual_energy_wh=self.base_load.annual_energy_wh * rng.uniform(0.6, 1.6),
            ),
            meter=self.meter,
            max_substep_s=self.max_substep_s,
            initial_indoor_temp_c=self.initial_indoor_temp_c,
        )


class VirtualHome:
    """The composed home. Not thread-safe: step it from one task (``run``) or from a test."""

    def __init__(
        self,
        config: HomeConfig | None = None,
        clock: SimClock | None = None,
        seed: int = 0,
        *,
        weather: Weather | None = None,
    ) -> None:
        self.config = c = config or HomeConfig()
        self.seed = seed
        self.clock = clock or SimClock.manual(utcnow())
        self.weather: Weather = weather or SyntheticWeather(c.location, seed, c.climate)
        self._t_s = self.clock.now().timestamp()
        lon = c.location.longitude_deg
        first = self.weather.at(self.time)
        indoor = (
            c.initial_indoor_temp_c
            if c.initial_indoor_temp_c is not None
            else c.heat_pump.setpoint_c
        )
        self.building = Building(c.building, indoor, first.temp_out_c)
        self.tank = DhwTank(c.dhw)
        self.draws = DrawProfile(seed, c.dhw.persons, lon)
        self.heat_pump = HeatPump(c.heat_pump, self.tank)
        self.pv = PvInverter(c.pv)
        self.battery = Battery(c.battery)
        self.ev_charger = EvCharger(c.ev, seed, lon)
        self.base_load = BaseLoad(c.base_load, seed, lon)
        self.meter = GridMeter(c.meter, seed)
        self.devices: dict[str, VirtualDevice] = {
            "pv": self.pv,
            "battery": self.battery,
            "meter": self.meter,
            "heat_pump": self.heat_pump,
            "ev_charger": self.ev_charger,
        }
        self.base_load_w = 0.0
        self.base_load_wh = 0.0
        self.substeps = 0
        # Start the thermostat at the load that holds the start temperature: no warm-up dip.
        gains_w = APPLIANCE_HEAT_SHARE * self.base_load.power_w(self.time) + self._occupant_gains_w
        loss_w = c.building.heat_loss_w_per_k * (indoor - first.temp_out_c)
        self.heat_pump.prime(loss_w - gains_w, self._past_day_mean_temp_c())
        self.heat_pump.indoor_temp_c = indoor
        self.heat_pump.temp_out_c = first.temp_out_c
        self.summary = EnergySummary(self.time, self.time)
        # Closed UTC days, oldest first; bounded so a long-running demo keeps constant memory.
        self.days: deque[EnergySummary] = deque(maxlen=DAYS_KEPT)
        self.today = EnergySummary(self.time, self.time)  # the UTC day in progress

    @property
    def time(self) -> datetime:
        """The simulated instant the current state belongs to."""
        return from_epoch(self._t_s)

    def _past_day_mean_temp_c(self) -> float | None:
        """Mean outdoor temperature of the 24 h before now, where the weather source has it."""
        temps = []
        for hours_ago in range(24):
            try:
                temps.append(self.weather.at(from_epoch(self._t_s - hours_ago * 3600)).temp_out_c)
            except ValueError:  # a weather table that starts now
                break
        return sum(temps) / len(temps) if temps else None

    @property
    def _occupant_gains_w(self) -> float:
        return OCCUPANT_GAIN_W * self.config.dhw.persons

    def reset_summary(self) -> EnergySummary:
        """Close the running summary period, return it and start a new one."""
        done, self.summary = self.summary, EnergySummary(self.time, self.time)
        return done

    def step(self, dt_s: float) -> None:
        """Advance the physics by ``dt_s`` simulated seconds."""
        if not (math.isfinite(dt_s) and dt_s > 0):
            raise ValueError(f"step must be a finite number of seconds > 0, got {dt_s!r}")
        end = self._t_s + dt_s
        while end - self._t_s > 1e-6:
            remaining = end - self._t_s
            h = remaining / max(1, math.ceil(remaining / self.config.max_substep_s - 1e-9))
            # Sub-steps stop at UTC midnight so daily summaries split exactly there.
            self._substep(min(h, (self._day_index(self._t_s) + 1) * DAY_S - self._t_s))
        self._t_s = end

    @staticmethod
    def _day_index(t_s: float) -> int:
        """UTC day number of epoch second ``t_s``, tolerant of float rounding at midnight."""
        return math.floor(t_s / DAY_S + 1e-9)

    def sync(self) -> float:
        """Step up to the clock's current time; returns the simulated seconds stepped."""
        behind_s = self.clock.now().timestamp() - self._t_s
        if behind_s > 1e-6:
            self.step(behind_s)
            return behind_s
        return 0.0

    async def run(self, stop: asyncio.Event, tick_s: float = 1.0) -> None:
        """Keep stepping to the clock every ``tick_s`` wall seconds until ``stop`` is set."""
        if not (math.isfinite(tick_s) and tick_s > 0):
            raise ValueError(f"tick_s must be > 0, got {tick_s!r}")
        event(
            log,
            "virtual_home_started",
            seed=self.seed,
            sim_time=self.time.isoformat(),
            speed=self.clock.speed,
        )
        while not stop.is_set():
            # Catch up in bounded chunks so a clock jump never blocks the event loop for long.
            behind_s = self.clock.now().timestamp() - self._t_s
            while behind_s > 1e-6 and not stop.is_set():
                chunk_s = min(behind_s, CATCH_UP_CHUNK_S)
                self.step(chunk_s)
                behind_s -= chunk_s
                if behind_s > 1e-6:
                    await asyncio.sleep(0)
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
            except TimeoutError:
                pass
        event(log, "virtual_home_stopped", seed=self.seed, sim_time=self.time.isoformat())

    def _substep(self, h: float) -> None:
        t0 = self._t_s
        mid = from_epoch(t0 + h / 2)
        weather = self.weather.at(mid)
        base_w = self.base_load.power_w(mid)
        volts = sum(self.meter.phase_voltage_v) / 3
        pv_w = self.pv.step(h, weather, volts, self.meter.frequency_hz)
        self.heat_pump.step(h, weather.temp_out_c, self.building.indoor_temp_c)
        # The tank stands inside the heated envelope: its standing losses warm the house.
        tank_loss_w = self.tank.config.loss_w_per_k * (
            self.tank.temp_c - self.building.indoor_temp_c
        )
        internal_w = APPLIANCE_HEAT_SHARE * base_w + self._occupant_gains_w + tank_loss_w
        self.building.step(
            h, weather.temp_out_c, weather.ghi_w_m2, internal_w, self.heat_pump.space_heat_w
        )
        draw_l = self.draws.mixed_litres_between(t0, t0 + h)
        self.tank.step(h, self.heat_pump.dhw_heat_w, self.building.indoor_temp_c, draw_l)
        ev_w = self.ev_charger.step(h, t0)
        hp_w = self.heat_pump.power_w
        net_without_battery_w = base_w + hp_w + ev_w - pv_w
        battery_w = self.battery.step(h, net_without_battery_w)
        three_phase_w = (hp_w + ev_w - pv_w - battery_w) / 3
        phases = tuple(base_w * share + three_phase_w for share in BASE_LOAD_PHASE_SHARE)
        self.meter.step(h, t0 + h / 2, (phases[0], phases[1], phases[2]))
        self.base_load_w = base_w
        self.base_load_wh += base_w * h / 3600
        self._t_s = t0 + h
        self.substeps += 1
        end = self.time
        if self._day_index(t0) != self._day_index(self.today.start.timestamp()):
            self.days.append(self.today)
            self.today = EnergySummary(self.today.end, self.today.end)
        for acc in (self.summary, self.today):
            acc.record(
                h,
                end,
                pv_w=pv_w,
                grid_w=self.meter.power_w,
                base_load_w=base_w,
                heat_pump_w=hp_w,
                heat_pump_heat_w=self.heat_pump.space_heat_w + self.heat_pump.dhw_heat_w,
                ev_w=ev_w,
                battery_w=battery_w,
                indoor_temp_c=self.building.indoor_temp_c,
            )
