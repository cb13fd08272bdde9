"""Time-series REST resources on a live cloud: ingest, bulk query, flex offers, bad input."""

from __future__ import annotations

from datetime import timedelta

from flexcoop.units import floor_interval, utcnow

START = floor_interval(utcnow()) - timedelta(hours=1)


def _iso(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def _points(der: str, n: int, unit: str = "W") -> list[dict]:
    return [
        {"der_id": der, "series": "power", "ts": _iso(m), "value": float(m), "unit": unit}
        for m in range(n)
    ]


async def _raw(cloud) -> list:
    status, page, _ = await cloud.request(
        "GET",
        "/api/v1/timeseries",
        params={"start": _iso(-600), "end": _iso(600), "resolution": "raw", "limit": 1000},
    )
    assert status == 200, page
    return page["items"]


async def test_ingest_and_query_aggregates_in_pages(cloud) -> None:
    body = {"points": _points("a", 20) + _points("b", 20)}
    status, result, _ = await cloud.request("POST", "/api/v1/timeseries", json=body)
    assert status == 200 and result == {"received": 40, "stored": 40, "duplicates": 0}
    params = {"start": _iso(0), "end": _iso(30), "series": "power", "limit": 3}
    status, page, _ = await cloud.request("GET", "/api/v1/timeseries", params=params)
    assert status == 200
    assert [(s["der_id"], s["n"], s["value"]) for s in page["items"]] == [
        ("a", 15, 7.0),
        ("a", 5, 17.0),
        ("b", 15, 7.0),
    ]
    status, page2, _ = await cloud.request(
        "GET", "/api/v1/timeseries", params=params | {"cursor": page["next_cursor"]}
    )
    assert [(s["der_id"], s["n"]) for s in page2["items"]] == [("b", 5)]
    assert page2["next_cursor"] is None
    status, only_b, _ = await cloud.request(
        "GET", "/api/v1/timeseries", params=[("start", _iso(0)), ("end", _iso(30)), ("der_id", "b")]
    )
    assert {s["der_id"] for s in only_b["items"]} == {"b"}


async def test_bad_ingest_is_refused_whole(cloud) -> None:
    mixed = [*_points("a", 3), {**_points("a", 1)[0], "ts": _iso(5), "unit": "Wh"}]
    cases = [
        ({"points": mixed}, 422, "body.points[3].unit"),
        ({"points": [{**_points("a", 1)[0], "value": "12"}]}, 422, "body.points.0.value"),
        (
            {"points": [{**_points("a", 1)[0], "ts": "2026-11-30T10:00:00"}]},
            422,
            "body.points.0.ts",
        ),
        ({"points": [{**_points("a", 1)[0], "unit": "parsec"}]}, 422, "body.points.0.unit"),
        ({"points": [{**_points("a", 1)[0], "der_id": "x' OR 1=1"}]}, 422, "body.points.0.der_id"),
        ({"points": _points("a", 1) * 10_001}, 422, "body.points"),
    ]
    for body, status, loc in cases:
        got, err, _ = await cloud.request("POST", "/api/v1/timeseries", json=body)
        assert got == status, (loc, err)
        assert loc in [d["loc"] for d in err["detail"]], (loc, err)
    assert await _raw(cloud) == []


async def test_bad_queries_are_400(cloud) -> None:
    cases = [
        ({"start": _iso(10), "end": _iso(0)}, "query"),
        ({"start": "0.5", "end": _iso(0)}, "query.start"),
        ({"start": _iso(0), "end": _iso(10), "limit": 5000}, "query.limit"),
        ({"start": _iso(0), "end": _iso(10), "cursor": "WyJhIl0="}, "query.cursor"),
        ({"start": _iso(0), "end": _iso(10), "series": "power; DROP TABLE x"}, "query.series"),
        ({"start": _iso(0), "end": _iso(10), "resolution": "1h"}, "query.resolution"),
    ]
    for params, loc in cases:
        status, err, _ = await cloud.request("GET", "/api/v1/timeseries", params=params)
        assert status == 400, (params, err)
        assert loc in [d["loc"] for d in err["detail"]], (params, err)


async def test_flex_offers_and_portfolio(cloud) -> None:
    intervals = [{"start": _iso(15 * i), "up_w": 1000.0, "down_w": 250.0 * i} for i in range(4)]
    offer = {"created": _iso(-60), "intervals": intervals}
    status, body, _ = await cloud.request("POST", "/api/v1/ders/d1/flex-offers", json=offer)
    assert status == 201 and body["id"] >= 1
    status, body, _ = await cloud.request("POST", "/api/v1/ders/d2/flex-offers", json=offer)
    assert status == 201
    status, page, _ = await cloud.request("GET", "/api/v1/flex-offers", params={"der_id": "d2"})
    assert [o["der_id"] for o in page["items"]] == ["d2"]
    assert len(page["items"][0]["intervals"]) == 4
    status, portfolio, _ = await cloud.request(
        "GET", "/api/v1/flex-offers/portfolio", params={"start": _iso(0), "end": _iso(60)}
    )
    assert status == 200
    assert [(i["up_w"], i["down_w"], i["ders"]) for i in portfolio["intervals"]] == [
        (2000.0, 0.0, 2),
        (2000.0, 500.0, 2),
        (2000.0, 1000.0, 2),
        (2000.0, 1500.0, 2),
    ]
    too_long = {"start": _iso(0), "end": _iso(60 * 24 * 8)}
    status, err, _ = await cloud.request("GET", "/api/v1/flex-offers/portfolio", params=too_long)
    assert status == 400 and err["detail"][0]["loc"] == "query.end"


async def test_bad_offer_stores_nothing(cloud) -> None:
    unaligned = {"created": _iso(0), "intervals": [{"start": _iso(7), "up_w": 1.0, "down_w": 1.0}]}
    negative = {"created": _iso(0), "intervals": [{"start": _iso(0), "up_w": -1.0, "down_w": 1.0}]}
    for body, loc in ((unaligned, "body.intervals[0].start"), (negative, "body.intervals.0.up_w")):
        status, err, _ = await cloud.request("POST", "/api/v1/ders/d1/flex-offers", json=body)
        assert status == 422 and loc in [d["loc"] for d in err["detail"]], err
    status, page, _ = await cloud.request("GET", "/api/v1/flex-offers")
    assert page["items"] == []


async def test_der_bound_token_reads_and_writes_only_its_ders(cloud, mint) -> None:
    await cloud.request(
        "POST", "/api/v1/timeseries", json={"points": _points("a", 2) + _points("b", 2)}
    )
    cloud.token = mint("timeseries:read timeseries:write", ders=["a"])
    assert {s["der_id"] for s in await _raw(cloud)} == {"a"}
    status, _, _ = await cloud.request(
        "GET", "/api/v1/timeseries", params=[("start", _iso(0)), ("end", _iso(9)), ("der_id", "b")]
    )
    assert status == 403
    status, _, _ = await cloud.request(
        "POST", "/api/v1/timeseries", json={"points": _points("b", 1)}
    )
    assert status == 403
