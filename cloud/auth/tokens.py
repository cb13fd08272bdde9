"""Bearer-token verification: ``TokenVerifier`` is the plug point, ``JwtVerifier`` the default.

Claims understood: ``sub``; ``scope`` (space-separated, OAuth2) or ``scp`` (list); ``ders``
(optional list of DER ids: the token is limited to those DERs, absent = all DERs); plus the
standard ``exp``/``nbf``/``iat``/``iss``/``aud`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import jwt
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hs256_secret: SecretStr | None = Field(None, description="shared secret for HS256 tokens")
    es256_public_key_pem: str | None = Field(None, description="PEM public key for ES256 tokens")
    issuer: str | None = None
    audience: str | None = "flexcoop-cloud"
    leeway_s: float = Field(30.0, ge=0, le=600)

    @model_validator(mode="after")
    def _strong_secret(self) -> AuthSettings:
        if self.hs256_secret is not None and len(self.hs256_secret.get_secret_value()) < 32:
            raise ValueError("hs256_secret must be at least 32 characters")
        return self


class TokenError(Exception):
    """A token that cannot be trusted; the message is safe to return to the caller."""


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    der_ids: frozenset[str] | None  # None: not limited to particular DERs

    def may_access_der(self, der_id: str) -> bool:
        return self.der_ids is None or der_id in self.der_ids


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal: ...


class JwtVerifier:
    """Verifies HS256 and/or ES256 JWTs with the keys in ``AuthSettings``."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._keys: dict[str, object] = {}
        if settings.hs256_secret is not None:
            self._keys["HS256"] = settings.hs256_secret.get_secret_value()
        if settings.es256_public_key_pem is not None:
            self._keys["ES256"] = settings.es256_public_key_pem

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        alg = header.get("alg")
        key = self._keys.get(alg) if isinstance(alg, str) else None
        if key is None:
            raise TokenError(f"token algorithm {alg!r} not accepted")
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=[str(alg)],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_s,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {exc}") from None
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = scope.split() if isinstance(scope, str) else scope
        ders = claims.get("ders")
        if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
            raise TokenError("invalid token: scope claim")
        if ders is not None and (
            not isinstance(ders, list) or not all(isinstance(x, str) for x in ders)
        ):
            raise TokenError("invalid token: ders claim")
        return Principal(
            subject=str(claims["sub"]),
            scopes=frozenset(scopes),
            der_ids=None if ders is None else frozenset(ders),
        )
