"""Open-Meteo forecast client (https://open-meteo.com/en/docs, no API key).

We ask for ``timeformat=unixtime`` so timestamps are unambiguous whatever the time zone and DST,
and check ``hourly_units`` so a server configured for °F or a changed API fails loudly instead of
feeding wrong numbers to the optimiser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ValidationError

from flexcoop.cloud.adapters.feed import WeatherAdapter
from flexcoop.cloud.adapters.series import WeatherPoint, WeatherSeries
from flexcoop.logs import event, get_logger
from flexcoop.units import utcnow

log = get_logger(__name__)

_VARIABLES = ("temperature_2m", "shortwave_radiation", "cloud_cover")
_EXPECTED_UNITS = {
    "time": "unixtime",
    "temperature_2m": "°C",
    "shortwave_radiation": "W/m²",
    "cloud_cover": "%",
}


class _Hourly(BaseModel):
    time: list[int]
    temperature_2m: list[float | None]
    shortwave_radiation: list[float | None]
    cloud_cover: list[float | None]


class _Response(BaseModel):
    hourly_units: dict[str, str]
    hourly: _Hourly


def _hour_param(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


class OpenMeteoWeather(WeatherAdapter):
    feed = "open-meteo"
    default_base_url = "https://api.open-meteo.com"

    async def _fetch_forecast(
        self, latitude: float, longitude: float, start: datetime, end: datetime
    ) -> WeatherSeries:
        first_hour = start.replace(minute=0, second=0, microsecond=0)
        last_hour = (end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)
        body = await self._get(
            "/v1/forecast",
            {
                "latitude": f"{latitude:.5f}",
                "longitude": f"{longitude:.5f}",
                "hourly": ",".join(_VARIABLES),
                "timeformat": "unixtime",
                "timezone": "GMT",
                "start_hour": _hour_param(first_hour),
                "end_hour": _hour_param(last_hour),
            },
        )
        return self._parse(body, latitude, longitude, start, end)

    def _parse(
        self, body: bytes, latitude: float, longitude: float, start: datetime, end: datetime
    ) -> WeatherSeries:
        try:
            doc = _Response.model_validate_json(body)
        except ValidationError as exc:
            raise self.malformed(exc) from None
        for key, unit in _EXPECTED_UNITS.items():
            got = doc.hourly_units.get(key)
            if got != unit:
                raise self.unavailable(f"wrong unit for {key}: expected {unit!r}, got {got!r}")
        h = doc.hourly
        columns = (h.temperature_2m, h.shortwave_radiation, h.cloud_cover)
        if any(len(c) != len(h.time) for c in columns):
            raise self.unavailable("malformed response: hourly arrays differ in length")
        points: list[WeatherPoint] = []
        missing = 0
        for epoch, temp, ghi, cloud in zip(h.time, *columns, strict=True):
            ts = datetime.fromtimestamp(epoch, UTC)
            if not start <= ts < end:
                continue
            if temp is None or ghi is None or cloud is None:
                # Open-Meteo sends null beyond a model's horizon; a gap is honest, a zero is not.
                missing += 1
                continue
            try:
                points.append(
                    WeatherPoint(ts=ts, temperature_c=temp, ghi_w_m2=ghi, cloud_cover_pct=cloud)
                )
            except ValidationError as exc:
                field = exc.errors()[0]["loc"][0]
                raise self.unavailable(f"implausible {field} at {ts.isoformat()}") from None
        if missing:
            event(log, "weather_points_missing", feed=self.feed, missing=missing)
        points.sort(key=lambda p: p.ts)
        return WeatherSeries(
            feed=self.feed,
            fetched_at=utcnow(),
            latitude=latitude,
            longitude=longitude,
            points=tuple(points),
        )
