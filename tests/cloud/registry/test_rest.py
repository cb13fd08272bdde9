"""Registry REST resources on a live cloud: happy paths, bad input, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

DER = {
    "der_id": "der-1",
    "ven_id": "ven-1",
    "der_type": "battery",
    "location_cell": "NL-1234",
    "capabilities": {"max_up_w": 3000, "max_down_w": 3000, "energy_wh": 10000},
}


async def _register(cloud, **kw) -> dict:
    status, body, _ = await cloud.request("POST", "/api/v1/ders", json=DER | kw)
    assert status == 201, body
    return body


async def _snapshot(cloud) -> list:
    status, page, _ = await cloud.request("GET", "/api/v1/ders?limit=1000")
    assert status == 200
    return page["items"]


async def test_register_read_and_log(cloud) -> None:
    await _register(cloud)
    status, body, headers = await cloud.request("GET", "/api/v1/ders/der-1")
    assert status == 200 and body["capabilities"]["energy_wh"] == 10000
    assert headers["ETag"] == '"1"'
    ev = {"kind": "event_received", "data": {"event_id": "e1"}}
    status, _, _ = await cloud.request("POST", "/api/v1/ders/der-1/events", json=ev)
    assert status == 204
    status, page, _ = await cloud.request("GET", "/api/v1/ders/der-1/events")
    assert [e["kind"] for e in page["items"]] == ["registered", "event_received"]
    assert page["next_cursor"] is None


async def test_filters_and_cursor_pages(cloud) -> None:
    for i in range(5):
        await _register(cloud, der_id=f"d{i}", der_type="pv" if i % 2 else "battery")
    status, page, _ = await cloud.request("GET", "/api/v1/ders?der_type=pv&limit=1")
    assert status == 200 and [d["der_id"] for d in page["items"]] == ["d1"]
    status, page2, _ = await cloud.request(
        "GET", "/api/v1/ders", params={"der_type": "pv", "limit": 1, "cursor": page["next_cursor"]}
    )
    assert [d["der_id"] for d in page2["items"]] == ["d3"] and page2["next_cursor"] is None
    status, page, _ = await cloud.request("GET", "/api/v1/ders?status=online&area=NL-12")
    assert len(page["items"]) == 5


async def test_update_needs_the_current_etag(cloud) -> None:
    await _register(cloud)
    patch = {"contract_id": "c-1"}
    status, body, _ = await cloud.request("PATCH", "/api/v1/ders/der-1", json=patch)
    assert status == 428 and body["detail"][0]["loc"] == "header.If-Match"
    status, body, headers = await cloud.request(
        "PATCH", "/api/v1/ders/der-1", json=patch, headers={"If-Match": '"1"'}
    )
    assert status == 200 and body["contract_id"] == "c-1" and headers["ETag"] == '"2"'
    status, body, _ = await cloud.request(
        "PATCH", "/api/v1/ders/der-1", json={"contract_id": "c-2"}, headers={"If-Match": '"1"'}
    )
    assert status == 412
    status, body, _ = await cloud.request("GET", "/api/v1/ders/der-1")
    assert body["contract_id"] == "c-1" and body["version"] == 2


async def test_concurrent_updates_one_wins_the_rest_get_412(cloud) -> None:
    await _register(cloud)
    results = await asyncio.gather(
        *(
            cloud.request(
                "PATCH",
                "/api/v1/ders/der-1",
                json={"contract_id": f"c-{i}"},
                headers={"If-Match": '"1"'},
            )
            for i in range(6)
        )
    )
    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 412, 412, 412, 412, 412]
    winner = next(r[1]["contract_id"] for r in results if r[0] == 200)
    _status, body, _ = await cloud.request("GET", "/api/v1/ders/der-1")
    assert body["contract_id"] == winner and body["version"] == 2


async def test_concurrent_registrations_of_one_id_one_201_rest_409(cloud) -> None:
    results = await asyncio.gather(
        *(cloud.request("POST", "/api/v1/ders", json=DER | {"ven_id": f"v{i}"}) for i in range(4))
    )
    assert sorted(r[0] for r in results) == [201, 409, 409, 409]
    assert len(await _snapshot(cloud)) == 1


# (method, path, request kwargs, expected status, a detail loc the error must name)
BAD_INPUT: list[tuple[str, str, dict[str, Any], int, str]] = [
    (
        "POST",
        "/api/v1/ders",
        {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
        400,
        "body",
    ),
    (
        "POST",
        "/api/v1/ders",
        {"data": b"x", "headers": {"Content-Type": "text/plain"}},
        415,
        "header.Content-Type",
    ),
    ("POST", "/api/v1/ders", {"json": DER | {"der_type": "reactor"}}, 422, "body.der_type"),
    ("POST", "/api/v1/ders", {"json": DER | {"surprise": 1}}, 422, "body.surprise"),
    (
        "POST",
        "/api/v1/ders",
        {"json": {k: v for k, v in DER.items() if k != "ven_id"}},
        422,
        "body.ven_id",
    ),
    ("POST", "/api/v1/ders", {"json": [DER]}, 422, "body"),
    (
        "POST",
        "/api/v1/ders",
        {"json": DER | {"der_id": "x'; DROP TABLE registry_der;--"}},
        422,
        "body.der_id",
    ),
    ("GET", "/api/v1/ders?limit=1001", {}, 400, "query.limit"),
    ("GET", "/api/v1/ders?limit=0", {}, 400, "query.limit"),
    ("GET", "/api/v1/ders?limit=ten", {}, 400, "query.limit"),
    ("GET", "/api/v1/ders?cursor=%%%%", {}, 400, "query.cursor"),
    ("GET", "/api/v1/ders?area=NL'%20OR%201=1--", {}, 400, "query.area"),
    ("GET", "/api/v1/ders?ven_id=a&ven_id=b", {}, 400, "query.ven_id"),
    ("GET", "/api/v1/ders?colour=red", {}, 400, "query.colour"),
    ("GET", "/api/v1/ders?status=online'--", {}, 400, "query.status"),
    ("GET", "/api/v1/ders/a%20b", {}, 400, "path.der_id"),
    ("GET", "/api/v1/ders/ghost", {}, 404, "path.der_id"),
    (
        "PATCH",
        "/api/v1/ders/der-1",
        {"json": {"capabilities": "big"}, "headers": {"If-Match": '"1"'}},
        422,
        "body.capabilities",
    ),
    ("POST", "/api/v1/ders/der-1/events", {"json": {"kind": "DROP TABLE"}}, 422, "body.kind"),
]


async def test_bad_input_is_a_clean_4xx_and_changes_nothing(cloud) -> None:
    # One live server for all cases: starting one per case would dominate the run time.
    await _register(cloud)
    before = await _snapshot(cloud)
    _, events_before, _ = await cloud.request("GET", "/api/v1/ders/der-1/events")
    for method, path, kwargs, status, loc in BAD_INPUT:
        got, body, _ = await cloud.request(method, path, **kwargs)
        assert got == status, (method, path, body)
        assert body["error"] and loc in [d["loc"] for d in body["detail"]], (method, path, body)
    assert await _snapshot(cloud) == before
    _, events_after, _ = await cloud.request("GET", "/api/v1/ders/der-1/events")
    assert events_after == events_before


async def test_oversize_body_is_413(cloud) -> None:
    big = DER | {"capabilities": {"blob": "x" * (2 << 20)}}
    status, _body, _ = await cloud.request("POST", "/api/v1/ders", json=big)
    assert status == 413
    assert await _snapshot(cloud) == []


async def test_sql_injection_in_filters_matches_nothing_and_breaks_nothing(cloud) -> None:
    await _register(cloud)
    # Legal characters only reach the database as bound parameters.
    status, page, _ = await cloud.request("GET", "/api/v1/ders", params={"ven_id": "ven-1--"})
    assert status == 200 and page["items"] == []
    assert len(await _snapshot(cloud)) == 1


async def test_portal_shows_registry_counts(cloud) -> None:
    await _register(cloud)
    await _register(cloud, der_id="der-2", der_type="pv")
    cloud.token = None
    status, html, _ = await cloud.request("GET", "/")
    assert status == 200
    assert "2 DERs: 2 online, 0 timed out" in html
    assert "der-1" not in html  # counts only, no ids
