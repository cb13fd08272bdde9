"""The REST API's ``Authorizer``: bearer token → Principal → scope and per-resource checks."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from flexcoop.cloud.auth.tokens import Principal, TokenError, TokenVerifier
from flexcoop.httpapi import Access, ApiError
from flexcoop.logs import event, get_logger

log = get_logger(__name__)


class BearerAuthorizer:
    """401 without a valid bearer token, 403 without every scope (and the DER, if the route
    names one in its ``Access.resource_param``)."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def __call__(
        self, request: web.Request, access: Access, path: Mapping[str, str]
    ) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "unauthenticated", [("header.Authorization", "send a Bearer token")]
            )
        try:
            principal = self.verifier.verify(token.strip())
        except TokenError as exc:
            event(log, "api_token_rejected", path=request.path, reason=str(exc))
            raise ApiError(401, "unauthenticated", [("header.Authorization", str(exc))]) from None
        missing = sorted(set(access.scopes) - principal.scopes)
        if missing:
            raise ApiError(403, "forbidden", [("scope", f"missing scope {s}") for s in missing])
        if access.resource_param is not None:
            resource = path.get(access.resource_param, "")
            if not principal.may_access_der(resource):
                raise ApiError(403, "forbidden", [(f"path.{access.resource_param}", "not yours")])
        return principal
