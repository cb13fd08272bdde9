from datetime import UTC, datetime, timedelta, timezone

import pytest

from flexcoop.units import (
    Unit,
    UnitError,
    convert,
    ensure_utc,
    floor_interval,
    parse_unit,
    to_canonical,
)


def test_scaled_units_convert_to_canonical() -> None:
    assert to_canonical(2.5, "kW") == (2500.0, Unit.W)
    assert convert(1.2, "kWh", Unit.WH) == pytest.approx(1200.0)
    assert parse_unit("°C") is Unit.CELSIUS


def test_incompatible_and_unknown_units_are_rejected() -> None:
    with pytest.raises(UnitError, match="cannot convert"):
        convert(1.0, "kWh", Unit.W)
    with pytest.raises(UnitError, match="unknown unit"):
        parse_unit("furlong")


def test_naive_datetimes_are_rejected_and_aware_normalised() -> None:
    with pytest.raises(ValueError, match="naive"):
        ensure_utc(datetime(2026, 1, 1))
    cet = timezone(timedelta(hours=1))
    assert ensure_utc(datetime(2026, 1, 1, 1, tzinfo=cet)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_floor_interval_aligns_to_quarter_hours() -> None:
    ts = datetime(2026, 3, 1, 10, 29, 59, tzinfo=UTC)
    assert floor_interval(ts) == datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
