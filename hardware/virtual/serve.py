"""Serve a ``VirtualHome`` over Modbus TCP: one server per device, as a real installation has.

    async with serve_home(home) as served:
        served["pv"]            # Endpoint(host, port, unit_id, template)
        served.devices_toml()   # the [[devices]] tables an OSB config needs

PV inverter, battery and grid meter speak SunSpec (models 1+120+103+123, 1+120+103+124 and
1+203); the heat pump and EV charger are served from the shipped templates
``heat_pump_generic`` and ``ev_charger_generic``, whose point names are the physics' own.
SunSpec controls are translated to the physics here: WMaxLimPct/WMaxLim_Ena/Conn become the
inverter's curtailment limit, and storage control mode with charge/discharge rates becomes a
battery setpoint.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, NamedTuple

from flexcoop.drivers.modbus.templates import resolve_template
from flexcoop.hardware.virtual.device import VirtualDevice
from flexcoop.hardware.virtual.home import VirtualHome
from flexcoop.hardware.virtual.sunspec_server import (
    CommonInfo,
    ServedUnit,
    SunSpecUnit,
    TemplateUnit,
    VirtualModbusServer,
)

# SunSpec ChaSt values (model 124).
CHA_ST_EMPTY, CHA_ST_DISCHARGING, CHA_ST_CHARGING, CHA_ST_FULL, CHA_ST_HOLDING = 2, 3, 4, 5, 6
IDLE_W = 1.0  # below this a battery is holding, not charging or discharging
DER_TYPE_PV, DER_TYPE_PV_STORAGE = 4, 82  # SunSpec model 120 DERTyp
ST_SLEEPING, ST_MPPT = 2, 4  # SunSpec inverter operating states (St)


class Endpoint(NamedTuple):
    host: str
    port: int
    unit_id: int
    template: str | None


_PHASE_UNITS = {"power": "w", "voltage": "v", "current": "a"}


def _phases(values: Mapping[str, float], quantity: str) -> dict[str, float]:
    """The physics' ``phase_a_power_w``… as SunSpec meter names ``power_l1_w``…"""
    unit = _PHASE_UNITS[quantity]
    return {
        f"{quantity}_l{i}_{unit}": values[f"phase_{ph}_{quantity}_{unit}"]
        for i, ph in enumerate("abc", start=1)
    }


class _PvControls:
    """Model 123 → the inverter's single curtailment limit."""

    def __init__(self, pv: VirtualDevice) -> None:
        self.pv = pv
        self.state = {"connected": 1.0, "power_limit_pct": 100.0, "power_limit_enabled": 0.0}

    def values(self) -> dict[str, float]:
        v = self.pv.values()
        amps = v["current_a"]
        return {
            "der_type": DER_TYPE_PV,
            "rated_power_w": v["rated_power_w"],
            "power_w": v["power_w"],
            "operating_state": ST_MPPT if v["power_w"] > 0 else ST_SLEEPING,
            "energy_wh": v["energy_wh"],
            "dc_power_w": v["dc_power_w"],
            "frequency_hz": v["frequency_hz"],
            "current_a": 3 * amps,
            **{f"current_l{i}_a": amps for i in (1, 2, 3)},
            **{f"voltage_l{i}_v": v["voltage_v"] for i in (1, 2, 3)},
        }

    def write(self, name: str, value: float) -> None:
        proposed = {**self.state, name: value}
        if not proposed["connected"]:
            limit = 0.0
        elif proposed["power_limit_enabled"]:
            limit = proposed["power_limit_pct"]
        else:
            limit = 100.0
        self.pv.write("w_max_lim_pct", limit)  # ValueError refuses the Modbus write
        self.state = proposed


class _StorageControls:
    """Model 124 → the battery's mode and setpoint (+ discharge, − charge, in W).

    StorCtl_Mod bit 0 charges at InWRte % of WChaMax, bit 1 discharges at OutWRte % of the
    maximum discharge rate (both set: the sum); 0 hands the battery back to self-consumption.
    """

    def __init__(self, battery: VirtualDevice) -> None:
        self.battery = battery
        self.state = {
            "storage_control_mode": 0.0,
            "charge_rate_pct": 100.0,
            "discharge_rate_pct": 100.0,
            "grid_charging": 0.0,
        }

    def values(self) -> dict[str, float]:
        v = self.battery.values()
        if v["power_w"] > IDLE_W:
            status = CHA_ST_DISCHARGING
        elif v["power_w"] < -IDLE_W:
            status = CHA_ST_CHARGING
        elif v["soc_pct"] >= v["max_soc_pct"] - 0.5:
            status = CHA_ST_FULL
        elif v["soc_pct"] <= v["min_soc_pct"] + 0.5:
            status = CHA_ST_EMPTY
        else:
            status = CHA_ST_HOLDING
        return {
            "der_type": DER_TYPE_PV_STORAGE,
            "rated_power_w": v["max_discharge_w"],
            "rated_energy_wh": v["capacity_wh"],
            "max_charge_rate_w": v["max_charge_w"],
            "max_discharge_rate_w": v["max_discharge_w"],
            "power_w": v["power_w"],
            "energy_wh": v["discharged_wh"],
            "soc_pct": v["soc_pct"],
            "max_charge_power_w": v["max_charge_w"],
            "min_reserve_pct": v["min_soc_pct"],
            "charge_status": status,
        }

    def write(self, name: str, value: float) -> None:
        if name == "min_reserve_pct":
            self.battery.write("min_soc_pct", value)
            return
        if name == "max_charge_power_w":
            raise ValueError("the battery's charge rating is fixed")
        proposed = {**self.state, name: value}
        mode = int(proposed["storage_control_mode"])
        if mode == 0:
            self.battery.write("mode", 0)
        else:
            v = self.battery.values()
            setpoint = 0.0
            if mode & 2:
                setpoint += proposed["discharge_rate_pct"] / 100 * v["max_discharge_w"]
            if mode & 1:
                setpoint -= proposed["charge_rate_pct"] / 100 * v["max_charge_w"]
            setpoint = min(max(setpoint, -v["max_charge_w"]), v["max_discharge_w"])
            self.battery.write("setpoint_w", setpoint)
            self.battery.write("mode", 1)
        self.state = proposed


def _meter_values(meter: VirtualDevice) -> Callable[[], dict[str, float]]:
    def values() -> dict[str, float]:
        v = meter.values()
        volts = [v[f"phase_{ph}_voltage_v"] for ph in "abc"]
        return {
            "power_w": v["power_w"],
            "import_energy_wh": v["import_wh"],
            "export_energy_wh": v["export_wh"],
            "frequency_hz": v["frequency_hz"],
            "current_a": sum(v[f"phase_{ph}_current_a"] for ph in "abc"),
            "voltage_v": sum(volts) / 3,
            **_phases(v, "power"),
            **_phases(v, "voltage"),
            **_phases(v, "current"),
        }

    return values


def _unit_for(device_id: str, device: VirtualDevice, seed: int) -> tuple[ServedUnit, str | None]:
    def common(model: str) -> CommonInfo:
        return CommonInfo("flexcoop virtual", model, f"VH{seed:04d}-{device_id}")

    def template(name: str) -> TemplateUnit:
        def write(point: str, value: float) -> None:
            device.write(point, value)

        return TemplateUnit(resolve_template(name), device.values, write)

    if device.kind == "pv_inverter":
        pv = _PvControls(device)
        return SunSpecUnit([120, 103, 123], pv.values, pv.write, common=common("PV inverter")), None
    if device.kind == "battery":
        storage = _StorageControls(device)
        unit = SunSpecUnit(
            [120, 103, 124],
            storage.values,
            storage.write,
            common=common("Battery"),
            scale_factors={"InOutWRte_SF": -2},  # rates in 0.01 %: setpoints to a few watts
        )
        return unit, None
    if device.kind == "meter":
        return SunSpecUnit([203], _meter_values(device), common=common("Grid meter")), None
    if device.kind == "heat_pump":
        return template("heat_pump_generic"), "heat_pump_generic"
    if device.kind == "ev_charger":
        return template("ev_charger_generic"), "ev_charger_generic"
    raise ValueError(f"{device_id}: no Modbus profile for a virtual {device.kind!r}")


class ServedHome(Mapping[str, Endpoint]):
    """Device id → where its Modbus server listens; ``servers`` lets a test stop one."""

    def __init__(self, endpoints: dict[str, Endpoint], servers: dict[str, VirtualModbusServer]):
        self._endpoints = endpoints
        self.servers = servers

    def __getitem__(self, device_id: str) -> Endpoint:
        return self._endpoints[device_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._endpoints)

    def __len__(self) -> int:
        return len(self._endpoints)

    def device_tables(self, poll_interval_s: float = 5.0) -> list[dict[str, Any]]:
        """One ``[[devices]]`` table per device (``driver = "modbus"``), ready to validate."""
        tables = []
        for device_id, ep in self._endpoints.items():
            table: dict[str, Any] = {
                "id": device_id,
                "driver": "modbus",
                "host": ep.host,
                "port": ep.port,
                "unit_id": ep.unit_id,
            }
            if ep.template is not None:
                table["template"] = ep.template
            table["poll_interval_s"] = poll_interval_s
            tables.append(table)
        return tables

    def devices_toml(self, poll_interval_s: float = 5.0) -> str:
        """The ``[[devices]]`` part of an OSB config file for this home."""
        blocks = []
        for table in self.device_tables(poll_interval_s):
            lines = ["[[devices]]"]
            # JSON strings and numbers are valid TOML basic strings and numbers.
            lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n"


@asynccontextmanager
async def serve_home(
    home: VirtualHome, *, host: str = "127.0.0.1", ports: Mapping[str, int] | None = None
) -> AsyncIterator[ServedHome]:
    """Start one Modbus TCP server per device of ``home``; ``ports`` pins some (default: free)."""
    ports = ports or {}
    async with AsyncExitStack() as stack:
        endpoints: dict[str, Endpoint] = {}
        servers: dict[str, VirtualModbusServer] = {}
        for device_id, device in home.devices.items():
            unit, template = _unit_for(device_id, device, home.seed)
            server = VirtualModbusServer([unit], host=host, port=ports.get(device_id, 0))
            await stack.enter_async_context(server)
            servers[device_id] = server
            endpoints[device_id] = Endpoint(host, server.port, unit.unit_id, template)
        yield ServedHome(endpoints, servers)
