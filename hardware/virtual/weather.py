"""Weather at a location: synthetic (deterministic, seeded) or read from a CSV table.

Synthetic weather is a pure function of ``(seed, location, time)``:

- **Sun**: declination and equation of time after Spencer (1971), hour angle from UTC time and
  longitude, extraterrestrial irradiance with the Earth–Sun distance correction.
- **Global horizontal irradiance (GHI)**: Haurwitz clear-sky model reduced by a seeded cloud
  cover ``c`` (Kasten & Czeplak 1980: ``GHI = GHI_clear × (1 − 0.75 c^3.4)``). Cloud cover has a
  value per hour (a daily regime plus hourly noise, cloudier in winter), interpolated linearly.
- **Beam/diffuse split**: Erbs et al. (1982) from the clearness index, so PV arrays can
  transpose irradiance onto their plane (isotropic sky, ``plane_of_array_w_m2``).
- **Outdoor temperature °C**: annual mean − seasonal cosine (coldest around 20 January) + daily
  cosine peaking at 15:00 solar time (damped by clouds) + a seeded day-to-day anomaly,
  interpolated between days so the series has no jumps.

``CsvWeather`` reads measured or forecast series (``timestamp,temp_out_c,ghi_w_m2``) and derives
the sun position and the beam/diffuse split the same way.
"""

from __future__ import annotations

import csv
import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from flexcoop.hardware.virtual.seeding import seeded_rng
from flexcoop.units import ensure_utc

SOLAR_CONSTANT_W_M2 = 1361.0
GROUND_ALBEDO = 0.2
_DAY_S = 86400.0
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Location(BaseModel):
    """Where the home is; default: Brussels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latitude_deg: float = Field(default=50.85, ge=-90, le=90)
    longitude_deg: float = Field(default=4.35, ge=-180, le=180)


class ClimateConfig(BaseModel):
    """Parameters of the synthetic climate (defaults: temperate Western Europe)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    annual_mean_temp_c: float = 10.5
    seasonal_amplitude_k: float = Field(default=8.0, ge=0)
    daily_amplitude_k: float = Field(
        default=4.5, ge=0, description="half the clear-day min-max swing"
    )
    anomaly_sd_k: float = Field(default=2.5, ge=0, description="day-to-day temperature anomaly")
    mean_cloud_cover: float = Field(default=0.6, ge=0, le=1)
    seasonal_cloud_amplitude: float = Field(default=0.12, ge=0, le=0.5)


@dataclass(frozen=True, slots=True)
class SunPosition:
    elevation_deg: float
    azimuth_deg: float  # clockwise from north: 90 east, 180 south
    cos_zenith: float
    extraterrestrial_w_m2: float  # normal incidence, top of atmosphere


@dataclass(frozen=True, slots=True)
class WeatherSample:
    ts: datetime
    temp_out_c: float
    ghi_w_m2: float
    dni_w_m2: float
    dhi_w_m2: float
    sun: SunPosition
    cloud_cover: float | None  # 0 clear … 1 overcast; None when the source does not say


class Weather(Protocol):
    """Anything that tells the weather at an instant."""

    def at(self, ts: datetime) -> WeatherSample: ...


def _day_angle(ts: datetime) -> float:
    """Spencer's day angle Γ (rad), with the fraction of the day so it moves continuously."""
    doy = ts.timetuple().tm_yday
    frac = (ts.hour * 3600 + ts.minute * 60 + ts.second + ts.microsecond / 1e6) / _DAY_S
    return 2 * math.pi * (doy - 1 + frac - 0.5) / 365.0


def sun_position(ts: datetime, location: Location) -> SunPosition:
    """Solar elevation and azimuth (Spencer 1971); accurate to a few tenths of a degree."""
    ts = ensure_utc(ts)
    g = _day_angle(ts)
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )
    eot_min = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    utc_min = ts.hour * 60 + ts.minute + (ts.second + ts.microsecond / 1e6) / 60
    solar_min = utc_min + eot_min + 4 * location.longitude_deg
    hour_angle = math.radians(solar_min / 4 - 180)
    lat = math.radians(location.latitude_deg)
    cos_z = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle)
    cos_z = max(-1.0, min(1.0, cos_z))
    elevation = 90 - math.degrees(math.acos(cos_z))
    azimuth = (
        math.degrees(
            math.atan2(
                math.sin(hour_angle),
                math.cos(hour_angle) * math.sin(lat) - math.tan(decl) * math.cos(lat),
            )
        )
        + 180.0
    ) % 360.0
    distance_factor = (
        1.00011
        + 0.034221 * math.cos(g)
        + 0.00128 * math.sin(g)
        + 0.000719 * math.cos(2 * g)
        + 0.000077 * math.sin(2 * g)
    )
    return SunPosition(elevation, azimuth, cos_z, SOLAR_CONSTANT_W_M2 * distance_factor)


def solar_time_h(ts: datetime, location: Location) -> float:
    """Mean local solar time in hours (0–24), good enough for temperature and load shapes."""
    ts = ensure_utc(ts)
    hours = ts.hour + ts.minute / 60 + (ts.second + ts.microsecond / 1e6) / 3600
    return (hours + location.longitude_deg / 15.0) % 24.0


def clear_sky_ghi_w_m2(sun: SunPosition) -> float:
    """Haurwitz (1945) clear-sky global horizontal irradiance."""
    if sun.cos_zenith <= 0:
        return 0.0
    return 1098.0 * sun.cos_zenith * math.exp(-0.059 / sun.cos_zenith)


def split_beam_diffuse(ghi_w_m2: float, sun: SunPosition) -> tuple[float, float]:
    """(DNI, DHI) from GHI with the Erbs correlation; all diffuse when the sun is very low."""
    if ghi_w_m2 <= 0 or sun.cos_zenith <= 0:
        return 0.0, 0.0
    if sun.elevation_deg < 1.0:
        return 0.0, ghi_w_m2
    kt = min(ghi_w_m2 / (sun.extraterrestrial_w_m2 * sun.cos_zenith), 1.0)
    if kt <= 0.22:
        kd = 1 - 0.09 * kt
    elif kt <= 0.8:
        kd = 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4
    else:
        kd = 0.165
    dhi = kd * ghi_w_m2
    return (ghi_w_m2 - dhi) / sun.cos_zenith, dhi


def plane_of_array_w_m2(sample: WeatherSample, tilt_deg: float, azimuth_deg: float) -> float:
    """Irradiance on a tilted plane (isotropic sky + ground reflection); azimuth 180 = south."""
    if sample.ghi_w_m2 <= 0:
        return 0.0
    beta = math.radians(tilt_deg)
    sin_z = math.sqrt(max(0.0, 1 - sample.sun.cos_zenith**2))
    cos_aoi = sample.sun.cos_zenith * math.cos(beta) + sin_z * math.sin(beta) * math.cos(
        math.radians(sample.sun.azimuth_deg - azimuth_deg)
    )
    beam = sample.dni_w_m2 * max(cos_aoi, 0.0)
    sky = sample.dhi_w_m2 * (1 + math.cos(beta)) / 2
    ground = sample.ghi_w_m2 * GROUND_ALBEDO * (1 - math.cos(beta)) / 2
    return beam + sky + ground


def _lerp(a: float, b: float, f: float) -> float:
    return a + (b - a) * f


class SyntheticWeather:
    """Deterministic synthetic weather for one location and seed."""

    def __init__(
        self, location: Location | None = None, seed: int = 0, climate: ClimateConfig | None = None
    ) -> None:
        self.location = location or Location()
        self.seed = seed
        self.climate = climate or ClimateConfig()
        # Hourly and daily draws are pure functions of the key; caching keeps stepping cheap.
        self._hour_cloud: dict[int, float] = {}
        self._day_draws: dict[int, tuple[float, float]] = {}

    def _day(self, day: int) -> tuple[float, float]:
        """(mean cloud cover, temperature anomaly K) of day number ``day`` since 2000-01-01."""
        if day not in self._day_draws:
            if len(self._day_draws) > 4096:
                self._day_draws.clear()
            rng = seeded_rng(self.seed, "weather-day", day)
            c = self.climate
            doy = (_EPOCH + timedelta(days=day)).timetuple().tm_yday
            # Northern-hemisphere winters are cloudier; mirror the season south of the equator.
            season = math.cos(2 * math.pi * (doy - 15) / 365.0)
            if self.location.latitude_deg < 0:
                season = -season
            mean = min(max(c.mean_cloud_cover + c.seasonal_cloud_amplitude * season, 0.05), 0.95)
            concentration = 2.0  # low: days are mostly either clear or overcast, as observed
            cloud = rng.betavariate(mean * concentration, (1 - mean) * concentration)
            anomaly = rng.gauss(0.0, c.anomaly_sd_k)
            self._day_draws[day] = (cloud, anomaly)
        return self._day_draws[day]

    def _hour_cloud_cover(self, hour: int) -> float:
        if hour not in self._hour_cloud:
            if len(self._hour_cloud) > 8192:
                self._hour_cloud.clear()
            day_cloud, _ = self._day(hour // 24)
            noise = seeded_rng(self.seed, "weather-hour", hour).gauss(0.0, 0.15)
            self._hour_cloud[hour] = min(max(day_cloud + noise, 0.0), 1.0)
        return self._hour_cloud[hour]

    def cloud_cover(self, ts: datetime) -> float:
        hours = (ensure_utc(ts) - _EPOCH).total_seconds() / 3600
        h = math.floor(hours)
        return _lerp(self._hour_cloud_cover(h), self._hour_cloud_cover(h + 1), hours - h)

    def temp_out_c(self, ts: datetime, cloud_cover: float | None = None) -> float:
        ts = ensure_utc(ts)
        c = self.climate
        doy = ts.timetuple().tm_yday + ts.hour / 24
        season = math.cos(2 * math.pi * (doy - 20) / 365.0)
        if self.location.latitude_deg < 0:
            season = -season
        days = (ts - _EPOCH).total_seconds() / _DAY_S - 0.5  # anomalies sit at midday
        d = math.floor(days)
        (cloud0, anom0), (cloud1, anom1) = self._day(d), self._day(d + 1)
        day_cloud = _lerp(cloud0, cloud1, days - d)
        anomaly = _lerp(anom0, anom1, days - d)
        # Clouds damp the daily swing: less sunshine by day, less radiative cooling by night.
        amplitude = c.daily_amplitude_k * (1 - 0.6 * day_cloud)
        daily = amplitude * math.cos(2 * math.pi * (solar_time_h(ts, self.location) - 15) / 24)
        return c.annual_mean_temp_c - c.seasonal_amplitude_k * season + daily + anomaly

    def at(self, ts: datetime) -> WeatherSample:
        ts = ensure_utc(ts)
        sun = sun_position(ts, self.location)
        cloud = self.cloud_cover(ts)
        ghi = clear_sky_ghi_w_m2(sun) * (1 - 0.75 * cloud**3.4)
        dni, dhi = split_beam_diffuse(ghi, sun)
        return WeatherSample(ts, self.temp_out_c(ts), ghi, dni, dhi, sun, cloud)


class CsvWeather:
    """Weather from a table with columns ``timestamp`` (ISO 8601 with offset), ``temp_out_c``
    and ``ghi_w_m2``; values between rows are interpolated linearly."""

    COLUMNS = ("timestamp", "temp_out_c", "ghi_w_m2")

    def __init__(
        self, rows: Iterable[tuple[datetime, float, float]], location: Location | None = None
    ) -> None:
        self.location = location or Location()
        data = sorted((ensure_utc(ts), float(t), float(g)) for ts, t, g in rows)
        if len(data) < 2:
            raise ValueError("weather table needs at least two rows")
        for (a, *_), (b, *_) in pairwise(data):
            if a == b:
                raise ValueError(f"weather table has two rows for {a.isoformat()}")
        self._ts = [row[0].timestamp() for row in data]
        self._temp = [row[1] for row in data]
        self._ghi = [row[2] for row in data]

    @classmethod
    def from_lines(cls, lines: Iterable[str], location: Location | None = None) -> CsvWeather:
        """Parse CSV text (header first); errors name the line and the column."""
        reader = csv.DictReader(lines)
        missing = [c for c in cls.COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"weather CSV: missing column(s) {', '.join(missing)}")
        rows = []
        for record in reader:
            line = reader.line_num
            try:
                ts = ensure_utc(datetime.fromisoformat(record["timestamp"].strip()))
                temp, ghi = float(record["temp_out_c"]), float(record["ghi_w_m2"])
            except (ValueError, AttributeError) as exc:
                raise ValueError(f"weather CSV line {line}: {exc}") from None
            if not (math.isfinite(temp) and -60 <= temp <= 60):
                raise ValueError(f"weather CSV line {line}: temp_out_c {temp} outside -60…60 °C")
            if not (math.isfinite(ghi) and 0 <= ghi <= 1500):
                raise ValueError(f"weather CSV line {line}: ghi_w_m2 {ghi} outside 0…1500 W/m²")
            rows.append((ts, temp, ghi))
        return cls(rows, location)

    @classmethod
    def from_path(cls, path: Path | str, location: Location | None = None) -> CsvWeather:
        with open(path, newline="", encoding="utf-8") as fh:
            return cls.from_lines(fh, location)

    def at(self, ts: datetime) -> WeatherSample:
        ts = ensure_utc(ts)
        t = ts.timestamp()
        if not self._ts[0] <= t <= self._ts[-1]:
            first = datetime.fromtimestamp(self._ts[0], UTC).isoformat()
            last = datetime.fromtimestamp(self._ts[-1], UTC).isoformat()
            raise ValueError(f"weather table covers {first} … {last}, not {ts.isoformat()}")
        i = min(bisect_right(self._ts, t), len(self._ts) - 1)
        f = (t - self._ts[i - 1]) / (self._ts[i] - self._ts[i - 1])
        sun = sun_position(ts, self.location)
        ghi = _lerp(self._ghi[i - 1], self._ghi[i], f) if sun.cos_zenith > 0 else 0.0
        dni, dhi = split_beam_diffuse(ghi, sun)
        return WeatherSample(
            ts, _lerp(self._temp[i - 1], self._temp[i], f), ghi, dni, dhi, sun, None
        )
