"""Authorization hooks: bearer JWTs (HS256 and ES256), scopes and per-DER access."""

from __future__ import annotations

import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from flexcoop.cloud.auth.tokens import AuthSettings, JwtVerifier, TokenError

SECRET = "s" * 64


def _claims(**kw):
    return {
        "sub": "c1",
        "scope": "registry:read",
        "aud": "flexcoop-cloud",
        "exp": time.time() + 60,
    } | kw


def test_hs256_token_gives_scopes_and_ders() -> None:
    v = JwtVerifier(AuthSettings(hs256_secret=SECRET))
    p = v.verify(jwt.encode(_claims(ders=["d1"]), SECRET, algorithm="HS256"))
    assert p.subject == "c1" and p.scopes == {"registry:read"}
    assert p.may_access_der("d1") and not p.may_access_der("d2")


def test_es256_token_verifies_with_the_public_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    v = JwtVerifier(AuthSettings(es256_public_key_pem=pem))
    assert v.verify(jwt.encode(_claims(), key, algorithm="ES256")).der_ids is None
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(TokenError):
        v.verify(jwt.encode(_claims(), other, algorithm="ES256"))


@pytest.mark.parametrize(
    ("token", "msg"),
    [
        (jwt.encode(_claims(exp=time.time() - 3600), SECRET, algorithm="HS256"), "expired"),
        (jwt.encode(_claims(aud="someone-else"), SECRET, algorithm="HS256"), "(?i)audience"),
        (jwt.encode(_claims(), "t" * 40, algorithm="HS256"), "(?i)signature"),
        (jwt.encode(_claims(), SECRET, algorithm="HS384"), "algorithm"),
        (jwt.encode(_claims(ders="d1"), SECRET, algorithm="HS256"), "ders"),
        ("not.a.jwt", "malformed"),
    ],
)
def test_bad_tokens_are_rejected(token: str, msg: str) -> None:
    with pytest.raises(TokenError, match=msg):
        JwtVerifier(AuthSettings(hs256_secret=SECRET)).verify(token)


def test_unsigned_token_is_rejected() -> None:
    token = jwt.encode(_claims(), "", algorithm="none")
    with pytest.raises(TokenError):
        JwtVerifier(AuthSettings(hs256_secret=SECRET)).verify(token)


def test_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="32"):
        AuthSettings(hs256_secret="short")


async def test_every_api_route_needs_a_token_except_openapi(cloud) -> None:
    cloud.token = None
    status, doc, _ = await cloud.request("GET", "/api/v1/openapi.json")
    assert status == 200
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        for method in ops:
            status, body, _ = await cloud.request(method.upper(), concrete, json={})
            assert status == 401, (method, path, body)
            assert body["error"] == "unauthenticated"


async def test_missing_scope_is_403_and_names_it(cloud, mint) -> None:
    cloud.token = mint("registry:read")
    status, body, _ = await cloud.request("POST", "/api/v1/ders", json={"der_id": "x"})
    assert status == 403
    assert body["detail"] == [{"loc": "scope", "msg": "missing scope registry:write"}]


async def test_der_bound_token_sees_only_its_ders(cloud, mint) -> None:
    for d in ("d1", "d2"):
        reg = {"der_id": d, "ven_id": "v", "der_type": "pv", "location_cell": "c"}
        assert (await cloud.request("POST", "/api/v1/ders", json=reg))[0] == 201
    cloud.token = mint("registry:read registry:write", ders=["d1"])
    assert (await cloud.request("GET", "/api/v1/ders/d1"))[0] == 200
    assert (await cloud.request("GET", "/api/v1/ders/d2"))[0] == 403
    assert (await cloud.request("GET", "/api/v1/ders/d2/events"))[0] == 403
    status, page, _ = await cloud.request("GET", "/api/v1/ders")
    assert status == 200 and [d["der_id"] for d in page["items"]] == ["d1"]
    reg = {"der_id": "d3", "ven_id": "v", "der_type": "pv", "location_cell": "c"}
    assert (await cloud.request("POST", "/api/v1/ders", json=reg))[0] == 403


async def test_wrong_secret_is_401(cloud, mint) -> None:
    cloud.token = mint(secret="w" * 40)
    status, body, _ = await cloud.request("GET", "/api/v1/ders")
    assert status == 401 and "signature" in body["detail"][0]["msg"].lower()
