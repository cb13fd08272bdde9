import json
from datetime import UTC, date, datetime, timedelta

import pytest

from flexcoop.cloud.adapters import EsiosPrices, FeedUnavailableError, local_day

from .conftest import FeedServer, Reply, fixture_bytes

FIXTURE = "esios_600_2026-11-30.json"
DAY = (datetime(2026, 11, 29, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))


async def test_spanish_zone_prices_in_eur_per_kwh(feed_server: FeedServer) -> None:
    feed_server.serve("/indicators/600", Reply(fixture_bytes(FIXTURE)))
    async with EsiosPrices(feed_server.base_url, api_key="k3y") as prices:
        series = await prices.day_ahead("ES", *DAY)
    raw = [v for v in json.loads(fixture_bytes(FIXTURE))["indicator"]["values"] if v["geo_id"] == 3]
    assert series.resolution_s == 3600 and len(series.points) == 24
    assert [p.price_eur_per_kwh for p in series.points] == pytest.approx(
        [v["value"] / 1000 for v in raw]
    )
    assert series.points[0].start == DAY[0]
    assert feed_server.queries[-1]["geo_ids[]"] == "3"
    assert feed_server.headers[-1]["x-api-key"] == "k3y"


async def test_wrong_magnitude_is_a_unit_error(feed_server: FeedServer) -> None:
    doc = json.loads(fixture_bytes(FIXTURE))
    doc["indicator"]["magnitud"] = [{"name": "MWh", "id": 13}]
    feed_server.serve("/indicators/600", Reply(json.dumps(doc).encode()))
    async with EsiosPrices(feed_server.base_url, api_key="k") as prices:
        with pytest.raises(FeedUnavailableError, match=r"wrong units.*MWh \(13\)"):
            await prices.day_ahead("PT", *DAY)


async def test_malformed_value_names_the_field(feed_server: FeedServer) -> None:
    doc = json.loads(fixture_bytes(FIXTURE))
    del doc["indicator"]["values"][5]["datetime_utc"]
    feed_server.serve("/indicators/600", Reply(json.dumps(doc).encode()))
    async with EsiosPrices(feed_server.base_url, api_key="k") as prices:
        with pytest.raises(FeedUnavailableError, match=r"indicator\.values\.5\.datetime_utc"):
            await prices.day_ahead("ES", *DAY)


async def test_autumn_dst_day_has_25_hourly_prices(feed_server: FeedServer) -> None:
    doc = json.loads(fixture_bytes(FIXTURE))
    start, end = local_day(date(2026, 10, 25), "Europe/Madrid")
    hours = int((end - start).total_seconds() // 3600)
    doc["indicator"]["values"] = [
        {
            "value": 80.0 + h,
            "datetime_utc": (start + timedelta(hours=h)).isoformat().replace("+00:00", "Z"),
            "geo_id": 3,
        }
        for h in range(hours)
    ]
    feed_server.serve("/indicators/600", Reply(json.dumps(doc).encode()))
    async with EsiosPrices(feed_server.base_url, api_key="k") as prices:
        series = await prices.day_ahead("ES", start, end)
    assert hours == 25 and len(series.points) == 25
    assert series.points[-1].price_eur_per_kwh == pytest.approx(0.104)
