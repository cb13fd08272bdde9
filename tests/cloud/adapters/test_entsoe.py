from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import etree

from flexcoop.cloud.adapters import EntsoeDayAheadPrices, FeedUnavailableError, local_day

from .conftest import FeedServer, Reply, fixture_bytes

NOV30 = "entsoe_a44_nl_2026-11-30.xml"
DAY = (datetime(2026, 11, 29, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC))
TOKEN = "0123-secret-token"
NS = {"m": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"}


def xml(body: bytes = b"", status: int = 200) -> Reply:
    return Reply(body, status=status, content_type="text/xml")


def fixture_prices(name: str, series: int) -> dict[int, float]:
    """position → EUR/MWh as written in the fixture's ``series``-th TimeSeries."""
    root = etree.fromstring(fixture_bytes(name))
    ts = root.findall("m:TimeSeries", NS)[series]
    return {
        int(p.findtext("m:position", namespaces=NS)): float(
            p.findtext("m:price.amount", namespaces=NS)
        )
        for p in ts.iterfind(".//m:Point", NS)
    }


def adapter(server: FeedServer) -> EntsoeDayAheadPrices:
    return EntsoeDayAheadPrices(server.base_url, security_token=TOKEN)


async def test_hourly_prices_converted_from_eur_per_mwh(feed_server: FeedServer) -> None:
    feed_server.serve("/api", xml(fixture_bytes(NOV30)))
    async with adapter(feed_server) as prices:
        series = await prices.day_ahead("NL", *DAY, resolution_s=3600)
    expected = fixture_prices(NOV30, 0)
    assert series.resolution_s == 3600 and len(series.points) == 24
    for pos, point in enumerate(series.points, start=1):
        assert point.start == DAY[0] + timedelta(hours=pos - 1)
        assert point.price_eur_per_kwh == pytest.approx(expected[pos] / 1000)
    query = feed_server.queries[-1]
    assert query["documentType"] == "A44"
    assert query["in_Domain"] == query["out_Domain"] == "10YNL----------L"
    assert query["periodStart"] == "202611292300" and query["periodEnd"] == "202611302300"
    assert query["securityToken"] == TOKEN


async def test_quarter_hour_a03_fills_omitted_positions_forward(feed_server: FeedServer) -> None:
    feed_server.serve("/api", xml(fixture_bytes(NOV30)))
    async with adapter(feed_server) as prices:
        series = await prices.day_ahead("10YNL----------L", *DAY)  # finest by default
    given = fixture_prices(NOV30, 1)
    assert series.resolution_s == 900 and len(series.points) == 96
    omitted = sorted(set(range(1, 97)) - set(given))
    assert omitted, "fixture must omit A03 positions"
    for pos in omitted:
        previous = max(p for p in given if p < pos)
        assert series.points[pos - 1].price_eur_per_kwh == pytest.approx(given[previous] / 1000)
    assert series.points[-1].start == DAY[1] - timedelta(minutes=15)


@pytest.mark.parametrize(
    ("fixture", "day", "hours"),
    [
        ("entsoe_a44_nl_2026-03-29.xml", date(2026, 3, 29), 23),
        ("entsoe_a44_nl_2026-10-25.xml", date(2026, 10, 25), 25),
    ],
)
async def test_dst_days(feed_server: FeedServer, fixture: str, day: date, hours: int) -> None:
    feed_server.serve("/api", xml(fixture_bytes(fixture)))
    async with adapter(feed_server) as prices:
        series = await prices.day_ahead("NL", *local_day(day, "Europe/Amsterdam"))
    assert len(series.points) == hours
    assert [p.price_eur_per_kwh * 1000 for p in series.points] == pytest.approx(
        [fixture_prices(fixture, 0)[i] for i in range(1, hours + 1)]
    )


async def test_a01_gap_stays_a_gap(feed_server: FeedServer) -> None:
    body = fixture_bytes("entsoe_a44_nl_2026-03-29.xml")
    root = etree.fromstring(body)
    point = root.find(".//m:Point[m:position='5']", NS)
    point.getparent().remove(point)
    feed_server.serve("/api", xml(etree.tostring(root)))
    async with adapter(feed_server) as prices:
        series = await prices.day_ahead("NL", *local_day(date(2026, 3, 29), "Europe/Amsterdam"))
    assert len(series.points) == 22
    assert local_day(date(2026, 3, 29), "Europe/Amsterdam")[0] + timedelta(hours=4) not in {
        p.start for p in series.points
    }


async def test_no_data_acknowledgement(feed_server: FeedServer) -> None:
    feed_server.serve("/api", xml(fixture_bytes("entsoe_ack_no_data.xml")))
    async with adapter(feed_server) as prices:
        with pytest.raises(FeedUnavailableError, match="no data: No matching data found"):
            await prices.day_ahead("NL", *DAY)


def _edit(xpath: str, text: str) -> bytes:
    root = etree.fromstring(fixture_bytes(NOV30))
    for el in root.iterfind(xpath, NS):
        el.text = text
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_edit(".//m:currency_Unit.name", "SEK"), "wrong units"),
        (_edit(".//m:price_Measure_Unit.name", "KWH"), "wrong units"),
        (_edit(".//m:resolution", "P1Y"), "unsupported resolution"),
        (_edit(".//m:position", "97"), "outside 1..24"),
        (_edit(".//m:price.amount", "n/a"), "bad Point"),
        (_edit("m:type", "A25"), "document type 'A25'"),
        (_edit(".//m:Period/m:timeInterval/m:start", "yesterday"), "not an ISO 8601"),
        (b"<Publication_MarketDocument", "not XML"),
        (b"<html><body>Bad Gateway</body></html>", "unexpected document 'html'"),
    ],
)
async def test_malformed_documents(feed_server: FeedServer, body: bytes, expected: str) -> None:
    feed_server.serve("/api", xml(body))
    async with adapter(feed_server) as prices:
        with pytest.raises(FeedUnavailableError) as err:
            await prices.day_ahead("NL", *DAY)
    assert err.value.feed == "entsoe" and expected in err.value.reason


async def test_missing_resolution_and_unknown_zone(feed_server: FeedServer) -> None:
    feed_server.serve("/api", xml(fixture_bytes("entsoe_a44_nl_2026-03-29.xml")))
    async with adapter(feed_server) as prices:
        with pytest.raises(FeedUnavailableError, match="no 900 s prices"):
            await prices.day_ahead("NL", *local_day(date(2026, 3, 29), "Europe/Amsterdam"), 900)
        with pytest.raises(ValueError, match="unknown bidding zone 'Atlantis'"):
            await prices.day_ahead("Atlantis", *DAY)


async def test_token_never_in_errors(feed_server: FeedServer) -> None:
    feed_server.serve("/api", xml(b"Unauthorized", status=401))
    async with adapter(feed_server) as prices:
        with pytest.raises(FeedUnavailableError, match="HTTP 401") as err:
            await prices.day_ahead("NL", *DAY)
    assert TOKEN not in str(err.value)
