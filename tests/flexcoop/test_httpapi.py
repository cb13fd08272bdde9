"""flexcoop.httpapi on its own (no cloud imports, as the OSB's local API uses it): parsing,
errors, pagination, ETags, access hooks and the OpenAPI document, over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from flexcoop.httpapi import (
    Access,
    Api,
    ApiError,
    Call,
    IsoDatetime,
    Page,
    PageQuery,
    Reply,
    RouteTable,
    check_etag,
    decode_cursor,
    encode_cursor,
    make_etag,
    paginate,
)

routes = RouteTable(tags=("things",))
THINGS: dict[str, dict[str, Any]] = {}


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z]{1,10}$")
    power_w: float = Field(ge=0)


class ThingOut(Thing):
    version: int


class ThingPage(Page[ThingOut]):
    pass


class ThingQuery(PageQuery):
    min_power_w: float | None = None
    since: IsoDatetime | None = None


class NamePath(BaseModel):
    name: str = Field(pattern=r"^[a-z]{1,10}$")


@routes.get("/things", query=ThingQuery, response=ThingPage)
async def list_things(call: Call) -> ThingPage:
    """List things."""
    q: ThingQuery = call.query
    after = decode_cursor(q.cursor, str) or ""
    items = [ThingOut(**t) for n, t in sorted(THINGS.items()) if n > after]
    return paginate(ThingPage, items[: q.limit + 1], q.limit, lambda t: t.name)


@routes.post("/things", body=Thing, response=ThingOut, status=201, errors=(409,))
async def create_thing(call: Call) -> Reply:
    """Create a thing."""
    if call.body.name in THINGS:
        raise ApiError(409, "conflict", [("body.name", "exists")])
    THINGS[call.body.name] = {**call.body.model_dump(), "version": 1}
    return Reply(body=ThingOut(**THINGS[call.body.name]), etag=make_etag(1))


@routes.put(
    "/things/{name}",
    path_model=NamePath,
    body=Thing,
    response=ThingOut,
    if_match="required",
    access=Access(("things:write",), resource_param="name"),
)
async def replace_thing(call: Call) -> ThingOut:
    """Replace a thing."""
    current = THINGS[call.path.name]
    check_etag(call, make_etag(current["version"]))
    THINGS[call.path.name] = {**call.body.model_dump(), "version": current["version"] + 1}
    return ThingOut(**THINGS[call.path.name])


async def authorizer(request: web.Request, access: Access, path: Mapping[str, str]) -> str:
    who = request.headers.get("X-User")
    if who is None:
        raise ApiError(401, "unauthenticated")
    if access.resource_param and path[access.resource_param] != who:
        raise ApiError(403, "forbidden")
    return who


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    THINGS.clear()
    api = Api("/api/v1", title="things", version="1", authorizer=authorizer, max_body_bytes=4096)
    api.include(routes)
    app = web.Application()
    api.install(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/api/v1"
    await runner.cleanup()


async def _call(method: str, url: str, **kw: Any) -> tuple[int, Any, Mapping[str, str]]:
    async with aiohttp.ClientSession() as s, s.request(method, url, **kw) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body, r.headers


def test_importing_it_pulls_in_nothing_of_the_cloud() -> None:
    code = "import sys, flexcoop.httpapi; print([m for m in sys.modules if 'cloud' in m])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_create_list_and_page(base_url: str) -> None:
    for name in ("b", "a", "c"):
        status, _body, headers = await _call(
            "POST", f"{base_url}/things", json={"name": name, "power_w": 1}
        )
        assert status == 201 and headers["ETag"] == '"1"'
    status, page, _ = await _call("GET", f"{base_url}/things?limit=2")
    assert [t["name"] for t in page["items"]] == ["a", "b"]
    status, page, _ = await _call(
        "GET", f"{base_url}/things", params={"cursor": page["next_cursor"]}
    )
    assert [t["name"] for t in page["items"]] == ["c"] and page["next_cursor"] is None


async def test_errors_name_the_field(base_url: str) -> None:
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("POST", "/things", {"json": {"name": "A", "power_w": 1}}, 422, "body.name"),
        ("POST", "/things", {"json": {"name": "a", "power_w": "1"}}, 422, "body.power_w"),
        (
            "POST",
            "/things",
            {"data": "{", "headers": {"Content-Type": "application/json"}},
            400,
            "body",
        ),
        ("POST", "/things", {"json": {"name": "a", "power_w": 1, "x": "y" * 5000}}, 413, "body"),
        ("GET", "/things?limit=1001", {}, 400, "query.limit"),
        ("GET", "/things?since=12", {}, 400, "query.since"),
        ("GET", "/things?since=2026-01-01T00:00:00", {}, 400, "query.since"),
        ("GET", "/things?bogus=1", {}, 400, "query.bogus"),
        ("GET", f"/things?cursor={encode_cursor('a')}x", {}, 400, "query.cursor"),
    ]
    for method, path, kw, status, loc in cases:
        got, body, _ = await _call(method, base_url + path, **kw)
        assert got == status, (path, body)
        assert body["error"] and loc in [d["loc"] for d in body["detail"]], (path, body)
    assert THINGS == {}


async def test_if_match_and_access(base_url: str) -> None:
    await _call("POST", f"{base_url}/things", json={"name": "a", "power_w": 1})
    url, new = f"{base_url}/things/a", {"name": "a", "power_w": 2}
    assert (await _call("PUT", url, json=new))[0] == 401
    assert (await _call("PUT", url, json=new, headers={"X-User": "b"}))[0] == 403
    status, body, _ = await _call("PUT", url, json=new, headers={"X-User": "a"})
    assert status == 428 and body["detail"][0]["loc"] == "header.If-Match"
    status, _, _ = await _call("PUT", url, json=new, headers={"X-User": "a", "If-Match": '"7"'})
    assert status == 412 and THINGS["a"]["power_w"] == 1
    status, body, _ = await _call("PUT", url, json=new, headers={"X-User": "a", "If-Match": '"1"'})
    assert status == 200 and body["version"] == 2


async def test_openapi_document(base_url: str) -> None:
    status, doc, _ = await _call("GET", f"{base_url}/openapi.json")
    assert status == 200 and doc["openapi"] == "3.1.0"
    put = doc["paths"]["/api/v1/things/{name}"]["put"]
    assert put["security"] == [{"bearerAuth": ["things:write"]}]
    assert {"401", "403", "412", "422", "428"} <= set(put["responses"])
    params = {p["name"]: p for p in put["parameters"]}
    assert params["name"]["in"] == "path" and params["If-Match"]["required"] is True
    listing = doc["paths"]["/api/v1/things"]["get"]
    since = next(p for p in listing["parameters"] if p["name"] == "since")
    assert since["schema"]["format"] == "date-time" and "anyOf" not in since["schema"]
    assert doc["components"]["schemas"]["ThingOut"]["properties"]["version"]["type"] == "integer"


def test_duplicate_routes_or_handler_names_fail_at_start_up() -> None:
    table = RouteTable()

    @table.get("/a")
    async def same(call: Call) -> None:
        """First."""

    twice = Api("/x", title="t", version="1")
    twice.include(table)
    twice.include(table)
    with pytest.raises(ValueError, match="twice"):
        twice.install(web.Application())
