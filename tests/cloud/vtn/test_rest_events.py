"""REST ``/api/v1/events`` on the full cloud app (auth, validation, ETags) driving real VENs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flexcoop.cloud.app import VTN_PREFIX, CloudSettings
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from ..conftest import CloudClient, mint_token, test_auth_settings  # type: ignore[misc]
from .conftest import Ven


@pytest.fixture
def db_url(sqlite_db_url: str) -> str:
    return sqlite_db_url  # storage is covered by the service tests on both back-ends


@pytest.fixture
def cloud_settings(db_url: str) -> CloudSettings:
    return CloudSettings(db_url=db_url, auth=test_auth_settings(), open_registration=True)


def body(ven_id: str, level: int = 2) -> dict[str, object]:
    return {
        "start": (utcnow() + timedelta(hours=1)).isoformat(),
        "duration_s": 1800,
        "signals": [
            {"name": "SIMPLE", "type": "level", "intervals": [{"duration_s": 1800, "value": level}]}
        ],
        "targets": {"ven_ids": [ven_id]},
    }


async def test_event_lifecycle_over_rest(cloud: CloudClient) -> None:
    cloud.token = mint_token("events:read events:write")
    ven = Ven(cloud.base_url + VTN_PREFIX, cloud.session, "rest-ven")
    await ven.register()
    assert ven.ven_id
    await ven.poll()

    status, created, headers = await cloud.request("POST", "/api/v1/events", json=body(ven.ven_id))
    assert status == 201, created
    event_id = created["event_id"]
    assert created["modification_number"] == 0 and headers["ETag"] == '"0"'
    got = await ven.poll()
    assert isinstance(got, m.OadrDistributeEvent) and got.events[0].event_id == event_id

    status, _, _ = await cloud.request(
        "PUT", f"/api/v1/events/{event_id}", json=body(ven.ven_id, 3), headers={"If-Match": '"7"'}
    )
    assert status == 412
    status, modified, headers = await cloud.request(
        "PUT", f"/api/v1/events/{event_id}", json=body(ven.ven_id, 3), headers={"If-Match": '"0"'}
    )
    assert status == 200 and modified["modification_number"] == 1 and headers["ETag"] == '"1"'
    assert (await ven.poll()).events[0].signals[0].intervals[0].value == 3

    status, cancelled, _ = await cloud.request("DELETE", f"/api/v1/events/{event_id}")
    assert status == 200 and cancelled["status"] == "cancelled"
    status, _, _ = await cloud.request("DELETE", f"/api/v1/events/{event_id}")
    assert status == 409

    status, page, _ = await cloud.request("GET", "/api/v1/events")
    assert status == 200 and [e["event_id"] for e in page["items"]] == [event_id]
    status, responses, _ = await cloud.request("GET", f"/api/v1/events/{event_id}/responses")
    assert status == 200 and responses["items"] == []
    status, _, _ = await cloud.request("GET", "/api/v1/events/nope")
    assert status == 404


async def test_invalid_event_and_missing_rights_change_nothing(cloud: CloudClient) -> None:
    cloud.token = mint_token("events:read events:write")
    status, err, _ = await cloud.request("POST", "/api/v1/events", json=body("v1", level=9))
    assert status == 422 and err["detail"]
    cloud.token = mint_token("events:read")
    status, _, _ = await cloud.request("POST", "/api/v1/events", json=body("v1"))
    assert status == 403
    cloud.token = None
    status, _, _ = await cloud.request("GET", "/api/v1/events")
    assert status == 401
    cloud.token = mint_token("events:read")
    status, page, _ = await cloud.request("GET", "/api/v1/events?include_ended=true")
    assert status == 200 and page["items"] == []


async def test_groups_over_rest(cloud: CloudClient) -> None:
    cloud.token = mint_token("events:read events:write")
    ven = Ven(cloud.base_url + VTN_PREFIX, cloud.session, "grouped")
    await ven.register()
    await ven.poll()
    status, _, _ = await cloud.request(
        "PUT", f"/api/v1/vens/{ven.ven_id}/groups", json={"group_ids": ["coop-north"]}
    )
    assert status == 204
    await ven.poll()
    event = body("nobody") | {"targets": {"group_ids": ["coop-north"]}}
    status, created, _ = await cloud.request("POST", "/api/v1/events", json=event)
    assert status == 201
    got = await ven.poll()
    assert [e.event_id for e in got.events] == [created["event_id"]]
    status, _, _ = await cloud.request(
        "PUT", "/api/v1/vens/unknown/groups", json={"group_ids": ["x"]}
    )
    assert status == 404
