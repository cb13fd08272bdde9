"""ISO 8601 text forms as the 2.0b XSD restricts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flexcoop.openadr.isotime import (
    format_datetime,
    format_duration,
    parse_datetime,
    parse_duration,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(minutes=15), "PT15M"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (timedelta(days=1), "P1D"),
        (timedelta(days=2, seconds=5), "P2DT5S"),
        (-timedelta(minutes=5), "-PT5M"),
        (timedelta(seconds=86_399), "PT23H59M59S"),
    ],
)
def test_durations_format_and_parse_back(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("P1W", timedelta(weeks=1)),
        ("+PT10S", timedelta(seconds=10)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("P0Y0M1D", timedelta(days=1)),
        (" PT1H ", timedelta(hours=1)),
    ],
)
def test_other_valid_spellings_parse(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["", "P", "PT", "1H", "PT1X", "P1Y", "P2M", "-P1M", "P1H"])
def test_invalid_or_calendar_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_sub_second_durations_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        format_duration(timedelta(milliseconds=1500))


def test_datetimes_are_written_in_utc_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 11, 30, 10, 0, tzinfo=cet)) == "2026-11-30T09:00:00Z"
    assert (
        format_datetime(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC))
        == "2026-01-02T03:04:05.006000Z"
    )
    assert format_datetime(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T09:00:00Z",
        "2026-11-30T10:00:00+01:00",
        "2026-11-30T09:00:00",  # the XSD makes Z optional; every peer means UTC by it
        "2026-11-30T09:00:00.000000000Z",
    ],
)
def test_datetimes_parse_to_aware_utc(text: str) -> None:
    value = parse_datetime(text)
    assert value == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert value.tzinfo is UTC


def test_garbage_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid ISO 8601"):
        parse_datetime("30/11/2026")
