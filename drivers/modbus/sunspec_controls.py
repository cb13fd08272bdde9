"""What to write to a SunSpec device to get a plain-watt result.

Planners think in watts ("discharge 2 kW", "export at most 60 %"); SunSpec controls are
percentages, enable flags and mode bits. These functions give the ordered ``(point, value)``
writes for ``ModbusDriver.write`` (canonical point names of ``sunspec_models``); values that
enable a control come last, so the device never acts on a half-written command.
"""

from __future__ import annotations

# StorCtl_Mod bits (model 124).
CHARGE = 1
DISCHARGE = 2


def battery_setpoint_writes(
    setpoint_w: float, *, max_charge_w: float, max_discharge_w: float
) -> list[tuple[str, float]]:
    """Writes holding a battery at ``setpoint_w`` (+ discharge, − charge, 0 = idle).

    ``max_charge_w`` is WChaMax (``max_charge_power_w``); ``max_discharge_w`` is the maximum
    discharge rate OutWRte refers to (``max_discharge_rate_w`` from model 120, or WChaMax).
    A setpoint beyond the rating is capped at 100 %.
    """
    if max_charge_w <= 0 or max_discharge_w <= 0:
        raise ValueError("battery ratings must be > 0 W")
    if setpoint_w < 0:
        pct = min(100.0, -100.0 * setpoint_w / max_charge_w)
        return [("charge_rate_pct", round(pct, 2)), ("storage_control_mode", CHARGE)]
    pct = min(100.0, 100.0 * setpoint_w / max_discharge_w)
    return [("discharge_rate_pct", round(pct, 2)), ("storage_control_mode", DISCHARGE)]


def battery_release_writes() -> list[tuple[str, float]]:
    """Hand the battery back to its own control (self-consumption)."""
    return [("storage_control_mode", 0)]


def curtailment_writes(limit_pct: float | None) -> list[tuple[str, float]]:
    """Limit an inverter to ``limit_pct`` % of its rating (model 123); ``None`` lifts the limit."""
    if limit_pct is None:
        return [("power_limit_enabled", 0)]
    if not 0 <= limit_pct <= 100:
        raise ValueError(f"curtailment limit {limit_pct} % outside 0..100")
    return [("power_limit_pct", limit_pct), ("power_limit_enabled", 1)]
