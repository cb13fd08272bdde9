"""Units and time helpers shared by every layer.

Internally everything is SI-ish and explicit: W, Wh, °C, %, lx, s, EUR; timestamps are tz-aware
UTC and 15-minute intervals are aligned to the hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

INTERVAL_S = 900
INTERVAL = timedelta(seconds=INTERVAL_S)


class Unit(StrEnum):
    """Canonical units. Values are the symbols used in config, templates, the API and the store."""

    W = "W"
    WH = "Wh"
    VAR = "var"
    VA = "VA"
    V = "V"
    A = "A"
    HZ = "Hz"
    CELSIUS = "°C"
    PERCENT = "%"
    LUX = "lx"
    SECOND = "s"
    EUR = "EUR"
    EUR_PER_KWH = "EUR/kWh"
    PPM = "ppm"
    NONE = ""  # dimensionless: counts, states, enumerations


class UnitError(ValueError):
    """A unit that is unknown or cannot be converted to the one required."""


# Accepted spellings and scaled units → (canonical unit, factor to canonical).
_ALIASES: dict[str, tuple[Unit, float]] = {
    "W": (Unit.W, 1.0),
    "kW": (Unit.W, 1e3),
    "MW": (Unit.W, 1e6),
    "Wh": (Unit.WH, 1.0),
    "kWh": (Unit.WH, 1e3),
    "MWh": (Unit.WH, 1e6),
    "var": (Unit.VAR, 1.0),
    "VAr": (Unit.VAR, 1.0),
    "kvar": (Unit.VAR, 1e3),
    "VA": (Unit.VA, 1.0),
    "kVA": (Unit.VA, 1e3),
    "V": (Unit.V, 1.0),
    "A": (Unit.A, 1.0),
    "Hz": (Unit.HZ, 1.0),
    "°C": (Unit.CELSIUS, 1.0),
    "degC": (Unit.CELSIUS, 1.0),
    "C": (Unit.CELSIUS, 1.0),
    "%": (Unit.PERCENT, 1.0),
    "lx": (Unit.LUX, 1.0),
    "s": (Unit.SECOND, 1.0),
    "min": (Unit.SECOND, 60.0),
    "h": (Unit.SECOND, 3600.0),
    "EUR": (Unit.EUR, 1.0),
    "EUR/kWh": (Unit.EUR_PER_KWH, 1.0),
    "EUR/MWh": (Unit.EUR_PER_KWH, 1e-3),
    "ppm": (Unit.PPM, 1.0),
    "": (Unit.NONE, 1.0),
}


def parse_unit(symbol: str) -> Unit:
    """The canonical unit for a symbol (``"kW"`` → ``Unit.W``); raises UnitError if unknown."""
    try:
        return _ALIASES[symbol.strip()][0]
    except KeyError:
        known = ", ".join(repr(k) for k in _ALIASES if k)
        raise UnitError(f"unknown unit {symbol!r} (known: {known})") from None


def to_canonical(value: float, symbol: str) -> tuple[float, Unit]:
    """Convert ``value`` given in ``symbol`` to its canonical unit: ``(2.5, "kW")`` → ``(2500.0, W)``."""
    try:
        unit, factor = _ALIASES[symbol.strip()]
    except KeyError:
        raise UnitError(f"unknown unit {symbol!r}") from None
    return value * factor, unit


def convert(value: float, from_symbol: str, to: Unit) -> float:
    """Convert between compatible units; raises UnitError naming both when they are not."""
    canonical, unit = to_canonical(value, from_symbol)
    if unit is not to:
        raise UnitError(f"cannot convert {from_symbol!r} to {to.value!r}")
    return canonical


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(ts: datetime) -> datetime:
    """Reject naive datetimes (their meaning is ambiguous) and normalise aware ones to UTC."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()} (timestamps must carry a time zone)")
    return ts.astimezone(UTC)


def floor_interval(ts: datetime, seconds: int = INTERVAL_S) -> datetime:
    """Start of the interval (aligned to the hour / epoch) that contains ``ts``."""
    epoch = int(ensure_utc(ts).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
