from __future__ import annotations

import io
import itertools
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

import pytest

from flexcoop.hardware.virtual.weather import (
    CsvWeather,
    Location,
    SyntheticWeather,
    clear_sky_ghi_w_m2,
    plane_of_array_w_m2,
    sun_position,
)

BRUSSELS = Location(latitude_deg=50.85, longitude_deg=4.35)


def _solar_noon_utc(day: datetime, loc: Location) -> datetime:
    """The instant of highest sun, found by scanning (independent of the model's hour angle)."""
    times = [day + timedelta(minutes=m) for m in range(24 * 60)]
    return max(times, key=lambda t: sun_position(t, loc).elevation_deg)


@pytest.mark.parametrize(
    ("day", "declination_deg"),
    [(datetime(2026, 6, 21, tzinfo=UTC), 23.44), (datetime(2026, 12, 21, tzinfo=UTC), -23.44)],
)
def test_noon_elevation_is_90_minus_latitude_plus_declination(
    day: datetime, declination_deg: float
) -> None:
    noon = _solar_noon_utc(day, BRUSSELS)
    sun = sun_position(noon, BRUSSELS)
    assert sun.elevation_deg == pytest.approx(90 - 50.85 + declination_deg, abs=0.5)
    assert sun.azimuth_deg == pytest.approx(180, abs=3)
    # Brussels is 4.35° east: local solar noon comes ~17 min before 12:00 UTC (± equation of time).
    assert datetime(2026, 1, 1, 11, 20).time() <= noon.time() <= datetime(2026, 1, 1, 12, 0).time()


def test_sun_rises_in_the_east_and_sets_in_the_west() -> None:
    morning = sun_position(datetime(2026, 3, 20, 7, 0, tzinfo=UTC), BRUSSELS)
    evening = sun_position(datetime(2026, 3, 20, 17, 0, tzinfo=UTC), BRUSSELS)
    midnight = sun_position(datetime(2026, 3, 20, 23, 40, tzinfo=UTC), BRUSSELS)
    assert 60 < morning.azimuth_deg < 120 and 240 < evening.azimuth_deg < 300
    assert midnight.elevation_deg < -30


def test_southern_hemisphere_sun_culminates_in_the_north() -> None:
    sydney = Location(latitude_deg=-33.87, longitude_deg=151.21)
    noon = _solar_noon_utc(datetime(2026, 6, 21, tzinfo=UTC), sydney)
    sun = sun_position(noon, sydney)
    assert sun.azimuth_deg < 10 or sun.azimuth_deg > 350
    assert sun.elevation_deg == pytest.approx(90 - 33.87 - 23.44, abs=0.6)


def test_irradiance_is_zero_at_night_and_never_above_clear_sky() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=3)
    t = datetime(2026, 5, 1, tzinfo=UTC)
    saw_day = False
    for _ in range(24 * 14):
        sample = weather.at(t)
        clear = clear_sky_ghi_w_m2(sample.sun)
        if sample.sun.elevation_deg <= 0:
            assert sample.ghi_w_m2 == 0 and sample.dni_w_m2 == 0 and sample.dhi_w_m2 == 0
        else:
            saw_day = saw_day or sample.ghi_w_m2 > 300
            assert 0 <= sample.ghi_w_m2 <= clear + 1e-9
            # Components recombine into the global value.
            assert sample.dni_w_m2 * sample.sun.cos_zenith + sample.dhi_w_m2 == pytest.approx(
                sample.ghi_w_m2
            )
        t += timedelta(hours=1)
    assert saw_day


def test_clouds_reduce_irradiance() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=11)
    t0 = datetime(2026, 6, 1, 11, 45, tzinfo=UTC)
    samples = [weather.at(t0 + timedelta(days=d)) for d in range(60)]
    clear = sorted(samples, key=lambda s: s.cloud_cover or 0)[:10]
    cloudy = sorted(samples, key=lambda s: s.cloud_cover or 0)[-10:]
    assert mean(s.ghi_w_m2 for s in clear) > 1.5 * mean(s.ghi_w_m2 for s in cloudy)


def test_weather_is_deterministic_per_seed() -> None:
    t = datetime(2026, 2, 3, 13, 17, tzinfo=UTC)
    a, b, c = (
        SyntheticWeather(BRUSSELS, 5),
        SyntheticWeather(BRUSSELS, 5),
        SyntheticWeather(BRUSSELS, 6),
    )
    series = [t + timedelta(hours=h) for h in range(0, 240, 7)]
    assert [a.at(x).temp_out_c for x in series] == [b.at(x).temp_out_c for x in series]
    assert [a.at(x).temp_out_c for x in series] != [c.at(x).temp_out_c for x in series]
    # Order of queries does not matter: values are a function of time.
    assert [a.at(x).ghi_w_m2 for x in reversed(series)] == [
        b.at(x).ghi_w_m2 for x in reversed(series)
    ]


def test_temperature_has_seasons_and_afternoon_peaks() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=2)

    def month_mean(month: int, hour: int) -> float:
        return mean(
            weather.temp_out_c(datetime(2026, month, d, hour, tzinfo=UTC)) for d in range(1, 29)
        )

    assert month_mean(7, 14) - month_mean(1, 14) > 10
    assert month_mean(7, 14) > month_mean(7, 4) + 3  # afternoon warmer than before dawn
    assert -5 < month_mean(1, 4) < 8 and 15 < month_mean(7, 14) < 30


def test_temperature_series_has_no_jumps() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=8)
    t = datetime(2026, 10, 1, tzinfo=UTC)
    temps = [weather.temp_out_c(t + timedelta(minutes=10 * i)) for i in range(6 * 24 * 10)]
    assert max(abs(b - a) for a, b in itertools.pairwise(temps)) < 0.5


def test_tilted_south_array_beats_horizontal_in_winter() -> None:
    weather = SyntheticWeather(BRUSSELS, seed=4)
    sample = weather.at(datetime(2026, 12, 15, 11, 45, tzinfo=UTC))
    assert plane_of_array_w_m2(sample, 0, 180) == pytest.approx(sample.ghi_w_m2)
    if sample.dni_w_m2 > 50:
        assert plane_of_array_w_m2(sample, 50, 180) > sample.ghi_w_m2
    assert plane_of_array_w_m2(sample, 50, 180) > plane_of_array_w_m2(sample, 50, 0)


CSV_TEXT = """timestamp,temp_out_c,ghi_w_m2
2026-06-21T10:00:00+00:00,18.0,600
2026-06-21T11:00:00+00:00,20.0,800
2026-06-21T12:00:00+00:00,21.0,700
"""


def test_csv_weather_interpolates_and_derives_the_sun() -> None:
    weather = CsvWeather.from_lines(io.StringIO(CSV_TEXT), BRUSSELS)
    mid = weather.at(datetime(2026, 6, 21, 10, 30, tzinfo=UTC))
    assert mid.temp_out_c == pytest.approx(19.0)
    assert mid.ghi_w_m2 == pytest.approx(700.0)
    assert mid.cloud_cover is None
    assert mid.dni_w_m2 > 0 and mid.sun.elevation_deg > 50
    with pytest.raises(ValueError, match="covers"):
        weather.at(datetime(2026, 6, 21, 13, 0, tzinfo=UTC))


def test_csv_weather_from_file(tmp_path: Path) -> None:
    path = tmp_path / "weather.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    weather = CsvWeather.from_path(path)
    assert weather.at(datetime(2026, 6, 21, 11, 0, tzinfo=UTC)).temp_out_c == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,temp_out_c,ghi_w_m2\n", "missing column"),
        (CSV_TEXT + "2026-06-21T13:00:00,21.0,700\n", "line 5"),
        (CSV_TEXT + "2026-06-21T13:00:00+00:00,abc,700\n", "line 5"),
        (CSV_TEXT + "2026-06-21T13:00:00+00:00,20,-5\n", "ghi_w_m2"),
        (CSV_TEXT + "2026-06-21T13:00:00+00:00,99,5\n", "temp_out_c"),
        ("timestamp,temp_out_c,ghi_w_m2\n2026-06-21T13:00:00+00:00,20,5\n", "two rows"),
    ],
)
def test_bad_csv_is_rejected_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CsvWeather.from_lines(io.StringIO(text))


def test_location_is_validated() -> None:
    with pytest.raises(ValueError):
        Location(latitude_deg=91, longitude_deg=0)
    assert math.isfinite(sun_position(datetime(2026, 1, 1, tzinfo=UTC), Location()).azimuth_deg)
