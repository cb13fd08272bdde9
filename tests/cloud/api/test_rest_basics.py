"""REST plumbing on a live cloud: OpenAPI document, JSON errors, auth, pagination, ETags."""

from __future__ import annotations

from typing import Any

CloudClient = Any

DER = {
    "der_id": "der-1",
    "ven_id": "ven-1",
    "der_type": "battery",
    "location_cell": "NL-1234",
    "capabilities": {"max_up_w": 3000, "max_down_w": 3000, "energy_wh": 10000},
}


async def test_openapi_document_is_public_and_lists_every_route(cloud: CloudClient) -> None:
    cloud.token = None
    status, doc, _ = await cloud.request("GET", "/api/v1/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.1")
    assert {
        "/api/v1/ders",
        "/api/v1/ders/{der_id}",
        "/api/v1/ders/{der_id}/events",
        "/api/v1/timeseries",
    } <= set(doc["paths"])
    assert doc["paths"]["/api/v1/ders"]["get"]["security"] == [{"bearerAuth": ["registry:read"]}]


async def test_register_then_read_with_etag(cloud: CloudClient) -> None:
    status, body, headers = await cloud.request("POST", "/api/v1/ders", json=DER)
    assert status == 201, body
    assert body["status"] == "online" and body["version"] == 1
    assert headers["ETag"] == '"1"'
    status, body, headers = await cloud.request("GET", "/api/v1/ders/der-1")
    assert status == 200 and body["capabilities"]["energy_wh"] == 10000
    assert headers["ETag"] == '"1"'
