"""The marketplace REST API on a live cloud (real HTTP on 127.0.0.1, SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from flexcoop.cloud.marketplace.api import MARKETPLACE
from flexcoop.cloud.marketplace.hooks import ContractChange

# mypy checks this folder on its own, without the parent conftest as a package.
from ..conftest import CloudClient, mint_token  # type: ignore[misc]
from .conftest import make_terms

URL = "/api/v1/contracts"
TERMS = make_terms().model_dump(mode="json")
DER = {
    "der_id": "der-hp-1",
    "ven_id": "ven-1",
    "der_type": "heat_pump",
    "location_cell": "ES-28001",
    "capabilities": {"max_up_w": 3000, "max_down_w": 1500},
}


def new_contract(**extra: Any) -> dict[str, Any]:
    return {
        "prosumer_id": "prosumer-7f3a",
        "aggregator_id": "agg-coop-1",
        "der_ids": ["der-hp-1"],
        "offer": {"proposed_by": "aggregator", "terms": TERMS},
        **extra,
    }


async def _step(
    cloud: CloudClient, cid: str, to: str, by: str, **extra: Any
) -> tuple[int, Any, Any]:
    return await cloud.request(
        "POST", f"{URL}/{cid}/transitions", json={"to": to, "by": by, **extra}
    )


async def test_full_lifecycle_over_http_links_the_registry(cloud: CloudClient) -> None:
    status, body, _ = await cloud.request("POST", "/api/v1/ders", json=DER)
    assert status == 201, body
    status, c, headers = await cloud.request("POST", URL, json=new_contract())
    assert status == 201, c
    cid = c["id"]
    assert c["state"] == "draft" and headers["ETag"] == '"1"'
    assert c["latest_terms"]["terms"]["max_up_w"] == 3000

    status, c, _ = await _step(cloud, cid, "negotiating", "prosumer")
    assert status == 200 and c["state"] == "negotiating"
    counter = {**TERMS, "activation_price_eur_per_kwh": 0.3}
    status, c, headers = await cloud.request(
        "POST", f"{URL}/{cid}/terms", json={"proposed_by": "prosumer", "terms": counter}
    )
    assert status == 201 and c["latest_terms"]["version"] == 2 and headers["ETag"] == '"3"'
    status, c, _ = await _step(cloud, cid, "agreed", "aggregator", terms_version=2)
    assert status == 200 and c["accepted_terms_version"] == 2
    status, c, _ = await _step(cloud, cid, "active", "aggregator")
    assert status == 200, c

    # Post hook: the DER now points at its contract, and its event log says so.
    status, der, _ = await cloud.request("GET", "/api/v1/ders/der-hp-1")
    assert der["contract_id"] == cid
    status, events, _ = await cloud.request("GET", "/api/v1/ders/der-hp-1/events")
    assert "contract_activated" in [e["kind"] for e in events["items"]]

    status, history, _ = await cloud.request("GET", f"{URL}/{cid}/terms")
    assert [v["version"] for v in history["items"]] == [1, 2]
    status, log, _ = await cloud.request("GET", f"{URL}/{cid}/events")
    assert [e["to_state"] for e in log["items"]][-1] == "active"

    status, c, _ = await _step(cloud, cid, "ended", "prosumer")
    assert status == 200
    status, der, _ = await cloud.request("GET", "/api/v1/ders/der-hp-1")
    assert der["contract_id"] is None


async def test_activation_vetoed_for_unregistered_der(cloud: CloudClient) -> None:
    _, c, _ = await cloud.request("POST", URL, json=new_contract(der_ids=["der-ghost"]))
    cid = c["id"]
    await _step(cloud, cid, "negotiating", "aggregator")
    await _step(cloud, cid, "agreed", "prosumer")
    status, body, _ = await _step(cloud, cid, "active", "aggregator")
    assert status == 409 and body["error"] == "vetoed"
    assert "DER der-ghost is not registered" in body["detail"][0]["msg"]
    _, after, _ = await cloud.request("GET", f"{URL}/{cid}")
    assert after["state"] == "agreed" and after["version"] == 3


async def test_illegal_transition_is_409_with_allowed_list(cloud: CloudClient) -> None:
    _, c, _ = await cloud.request("POST", URL, json=new_contract())
    status, body, _ = await _step(cloud, c["id"], "active", "aggregator")
    assert status == 409 and body["error"] == "illegal transition"
    assert body["detail"] == [
        {
            "loc": "body.to",
            "msg": "cannot go from draft to active; allowed from draft: negotiating, cancelled",
        }
    ]
    _, after, _ = await cloud.request("GET", f"{URL}/{c['id']}")
    assert after == c


async def test_terms_locked_and_invalid_terms_name_the_field(cloud: CloudClient) -> None:
    _, c, _ = await cloud.request("POST", URL, json=new_contract())
    status, body, _ = await cloud.request(
        "POST", f"{URL}/{c['id']}/terms", json={"proposed_by": "prosumer", "terms": TERMS}
    )
    assert status == 409 and body["error"] == "terms locked"
    await _step(cloud, c["id"], "negotiating", "aggregator")
    bad = {**TERMS, "notice_period_s": -1, "timezone": "Nowhere/Land"}
    status, body, _ = await cloud.request(
        "POST", f"{URL}/{c['id']}/terms", json={"proposed_by": "prosumer", "terms": bad}
    )
    assert status == 422
    assert {d["loc"] for d in body["detail"]} == {
        "body.terms.notice_period_s",
        "body.terms.timezone",
    }
    status, body, _ = await cloud.request(
        "POST", URL, json=new_contract(prosumer_id="Maria Garcia Lopez")
    )
    assert status == 422 and [d["loc"] for d in body["detail"]] == ["body.prosumer_id"]
    status, body, _ = await cloud.request(
        "POST", URL, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 400
    _, history, _ = await cloud.request("GET", f"{URL}/{c['id']}/terms")
    assert [v["version"] for v in history["items"]] == [1]


async def test_if_match_412_and_etag_flow(cloud: CloudClient) -> None:
    _, c, headers = await cloud.request("POST", URL, json=new_contract())
    etag = headers["ETag"]
    body = {"to": "negotiating", "by": "prosumer"}
    status, c2, headers = await cloud.request(
        "POST", f"{URL}/{c['id']}/transitions", json=body, headers={"If-Match": etag}
    )
    assert status == 200 and headers["ETag"] == '"2"'
    status, err, _ = await cloud.request(
        "POST",
        f"{URL}/{c['id']}/transitions",
        json={"to": "cancelled", "by": "prosumer"},
        headers={"If-Match": etag},
    )
    assert status == 412 and err["detail"][0]["loc"] == "header.If-Match"
    assert "at version 2, not 1" in err["detail"][0]["msg"]
    _, now, _ = await cloud.request("GET", f"{URL}/{c['id']}")
    assert now == c2


async def test_list_filters_pagination_and_bad_input(cloud: CloudClient) -> None:
    ids = []
    for i in range(5):
        _, c, _ = await cloud.request(
            "POST", URL, json=new_contract(der_ids=[f"der-{i}"], prosumer_id=f"p-{i % 2}")
        )
        ids.append(c["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        status, page, _ = await cloud.request("GET", URL, params=params)
        assert status == 200
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    _, page, _ = await cloud.request("GET", URL, params={"prosumer_id": "p-1"})
    assert {c["id"] for c in page["items"]} == {ids[1], ids[3]}
    _, page, _ = await cloud.request("GET", URL, params={"der_id": "der-4", "state": "draft"})
    assert [c["id"] for c in page["items"]] == [ids[4]]
    for params, loc in (
        ({"limit": "100000"}, "query.limit"),
        ({"state": "signed"}, "query.state.0"),
        ({"der_id": "x' OR '1'='1"}, "query.der_id"),
        ({"cursor": "garbage!"}, "query.cursor"),
        ({"cursor": "WzFd"}, "query.cursor"),  # valid base64 JSON, not our key
    ):
        status, body, _ = await cloud.request("GET", URL, params=params)
        assert status == 400, (params, body)
        assert [d["loc"] for d in body["detail"]] == [loc], body
    _, page, _ = await cloud.request("GET", URL, params={"limit": "1000"})
    assert len(page["items"]) == 5


async def test_scopes_and_der_limited_tokens(cloud: CloudClient) -> None:
    _, mine, _ = await cloud.request("POST", URL, json=new_contract(der_ids=["der-mine"]))
    _, theirs, _ = await cloud.request("POST", URL, json=new_contract(der_ids=["der-theirs"]))
    cloud.token = None
    status, _, _ = await cloud.request("GET", URL)
    assert status == 401
    cloud.token = mint_token("contracts:read")
    status, body, _ = await cloud.request("POST", URL, json=new_contract())
    assert status == 403 and "contracts:write" in body["detail"][0]["msg"]
    cloud.token = mint_token("contracts:read contracts:write", ders=["der-mine"])
    _, page, _ = await cloud.request("GET", URL)
    assert [c["id"] for c in page["items"]] == [mine["id"]]
    status, _, _ = await cloud.request("GET", f"{URL}/{theirs['id']}")
    assert status == 404
    status, _, _ = await _step(cloud, theirs["id"], "cancelled", "prosumer")
    assert status == 404
    status, body, _ = await cloud.request("POST", URL, json=new_contract(der_ids=["der-theirs"]))
    assert status == 403 and body["detail"][0]["loc"] == "body.der_ids"


async def test_openapi_and_hooks_reachable_by_other_components(cloud: CloudClient) -> None:
    _, doc, _ = await cloud.request("GET", "/api/v1/openapi.json")
    paths = doc["paths"]
    assert {URL, f"{URL}/{{contract_id}}", f"{URL}/{{contract_id}}/transitions"} <= set(paths)
    assert paths[URL]["post"]["security"] == [{"bearerAuth": ["contracts:write"]}]
    assert "409" in paths[f"{URL}/{{contract_id}}/transitions"]["post"]["responses"]
    seen: list[str] = []

    async def notify(change: ContractChange) -> None:
        seen.append(change.to_state.value)

    cloud.app[MARKETPLACE].hooks.after_transition(notify)
    _, c, _ = await cloud.request("POST", URL, json=new_contract())
    await _step(cloud, c["id"], "cancelled", "prosumer")
    assert seen == ["cancelled"]
