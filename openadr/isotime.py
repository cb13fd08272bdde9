"""ISO 8601 / xCal text forms of timestamps and durations as OpenADR 2.0b writes them.

The 2.0b XSD restricts both more than ISO 8601 does: timestamps match
``\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d*)?Z?`` (so always UTC with ``Z``) and durations
match ``[+-]?P(nY)?(nM)?(nD)?T?(nH)?(nM)?(nS)?`` or ``nW`` with whole seconds only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_DURATION = re.compile(
    r"^(?P<sign>[+-])?P(?:(?P<weeks>\d+)W|"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?)$"
)


# Signals and reports repeat the same few durations (PT15M, PT1H…) thousands of times.
@lru_cache(maxsize=512)
def format_duration(value: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` → ``"PT1H30M"``; raises ValueError below 1 s resolution.

    Days are written as ``D`` (not folded into hours) because xCal and openleadr both do so.
    """
    total_us = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if total_us % 1_000_000:
        raise ValueError(
            f"duration {value} has a fraction of a second; OpenADR 2.0b allows whole seconds only"
        )
    total = total_us // 1_000_000
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if seconds or not (days or hours or minutes):
        time_part += f"{seconds}S"
    if time_part:
        out += "T" + time_part
    return out


@lru_cache(maxsize=512)
def parse_duration(text: str) -> timedelta:
    """Parse an xCal duration; years and months are rejected (their length depends on the date)."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "+P", "-P", "PT"):
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    parts = match.groupdict()
    if parts["years"] or parts["months"]:
        if int(parts["years"] or 0) or int(parts["months"] or 0):
            raise ValueError(f"duration {text!r} uses years or months, whose length is ambiguous")
    seconds = float((parts["seconds"] or "0").replace(",", "."))
    value = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=seconds,
    )
    return -value if parts["sign"] == "-" else value


def format_datetime(value: datetime) -> str:
    """Aware datetime → ``2026-11-30T09:00:00Z`` (microseconds kept only when non-zero)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} (timestamps must carry a time zone)")
    # isoformat (unlike strftime("%Y")) always writes four year digits, as the XSD pattern needs.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_datetime(text: str) -> datetime:
    """Parse an xCal date-time. ``Z`` or an offset is expected; a bare time is read as UTC
    because the 2.0b pattern makes ``Z`` optional and every peer we know means UTC by it."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    # Python < 3.11 style inputs with more than 6 fractional digits would fail fromisoformat.
    frac = re.match(r"^(.*\.\d{6})\d+(.*)$", raw)
    if frac:
        raw = frac.group(1) + frac.group(2)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"invalid ISO 8601 date-time {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
