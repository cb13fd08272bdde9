import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from flexcoop.cloud.adapters import FeedUnavailableError, OpenMeteoWeather, local_day

from .conftest import FeedServer, Reply, fixture_bytes

NOV30 = "openmeteo_berlin_2026-11-30.json"
DAY = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


async def test_forecast_is_typed_utc_and_drops_null_hours(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(fixture_bytes(NOV30)))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        series = await weather.forecast(52.52, 13.42, *DAY)
    raw = json.loads(fixture_bytes(NOV30))["hourly"]
    # The fixture ends with three hours of nulls (beyond the model horizon): gaps, not zeros.
    assert len(series.points) == 24 - 3
    first = series.points[0]
    assert first.ts == DAY[0] and first.ts.tzinfo is UTC
    assert first.temperature_c == raw["temperature_2m"][0]
    assert first.ghi_w_m2 == raw["shortwave_radiation"][0]
    assert first.cloud_cover_pct == raw["cloud_cover"][0]
    assert max(p.ghi_w_m2 for p in series.points) > 0
    assert series.feed == "open-meteo" and not series.stale
    query = feed_server.queries[-1]
    assert query["hourly"] == "temperature_2m,shortwave_radiation,cloud_cover"
    assert query["timeformat"] == "unixtime"
    assert query["start_hour"] == "2026-11-30T00:00" and query["end_hour"] == "2026-11-30T23:00"


async def test_window_filters_points(feed_server: FeedServer) -> None:
    feed_server.serve("/v1/forecast", Reply(fixture_bytes(NOV30)))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        series = await weather.forecast(
            52.52,
            13.42,
            datetime(2026, 11, 30, 6, tzinfo=UTC),
            datetime(2026, 11, 30, 9, 30, tzinfo=UTC),
        )
    assert [p.ts.hour for p in series.points] == [6, 7, 8, 9]


@pytest.mark.parametrize(
    ("fixture", "day", "hours"),
    [
        ("openmeteo_berlin_2026-03-28_2026-03-30.json", date(2026, 3, 29), 23),
        ("openmeteo_berlin_2026-10-24_2026-10-26.json", date(2026, 10, 25), 25),
    ],
)
async def test_dst_local_days_have_23_or_25_hours(
    feed_server: FeedServer, fixture: str, day: date, hours: int
) -> None:
    feed_server.serve("/v1/forecast", Reply(fixture_bytes(fixture)))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        series = await weather.forecast(52.52, 13.42, *local_day(day, "Europe/Berlin"))
    assert len(series.points) == hours
    stamps = [p.ts for p in series.points]
    assert all((b - a).total_seconds() == 3600 for a, b in itertools.pairwise(stamps))


def _doc_with(mutate: Callable[[dict[str, Any]], object]) -> bytes:
    doc = json.loads(fixture_bytes(NOV30))
    mutate(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["hourly_units"].update(temperature_2m="°F"), "wrong unit for temperature_2m"),
        (lambda d: d["hourly_units"].update(time="iso8601"), "wrong unit for time"),
        (lambda d: d["hourly"].pop("cloud_cover"), "hourly.cloud_cover"),
        (lambda d: d["hourly"]["temperature_2m"].pop(), "differ in length"),
        (lambda d: d["hourly"]["cloud_cover"].__setitem__(0, 180), "implausible cloud_cover_pct"),
        (lambda d: d["hourly"]["time"].__setitem__(0, "yesterday"), "hourly.time.0"),
    ],
)
async def test_malformed_or_wrong_units_name_the_feed(
    feed_server: FeedServer, mutate: Callable[[dict[str, Any]], object], expected: str
) -> None:
    feed_server.serve("/v1/forecast", Reply(_doc_with(mutate)))
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        with pytest.raises(FeedUnavailableError) as err:
            await weather.forecast(52.52, 13.42, *DAY)
    assert err.value.feed == "open-meteo"
    assert expected in str(err.value) and "open-meteo" in str(err.value)


async def test_not_json_and_api_error_are_reported(feed_server: FeedServer) -> None:
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        feed_server.serve(
            "/v1/forecast", Reply(b"<html>maintenance</html>", content_type="text/html")
        )
        with pytest.raises(FeedUnavailableError, match="malformed"):
            await weather.forecast(52.52, 13.42, *DAY)
        error = b'{"error":true,"reason":"Parameter \'hourly\' is invalid"}'
        feed_server.serve("/v1/forecast", Reply(error, status=400))
        with pytest.raises(FeedUnavailableError, match=r"HTTP 400.*hourly"):
            await weather.forecast(52.52, 13.43, *DAY)


async def test_bad_requests_are_rejected_before_any_call(feed_server: FeedServer) -> None:
    async with OpenMeteoWeather(feed_server.base_url) as weather:
        with pytest.raises(ValueError, match="latitude"):
            await weather.forecast(91, 0, *DAY)
        with pytest.raises(ValueError, match="naive"):
            await weather.forecast(52.5, 13.4, datetime(2026, 11, 30), DAY[1])
        with pytest.raises(ValueError, match="after start"):
            await weather.forecast(52.5, 13.4, DAY[1], DAY[0])
    assert sum(feed_server.hits.values()) == 0
