"""Small, explicit REST helpers on aiohttp, shared by the cloud API and the OSB's local API.

A route declares what it takes and gives (pydantic models for path, query, body and response),
who may call it (``Access``: scopes and an optional resource path parameter, checked by a
pluggable ``Authorizer``) and whether it needs ``If-Match``. ``Api`` wraps every handler so that
input is parsed and validated before the handler runs, errors come back as one JSON shape
(``{"error": ..., "detail": [{"loc": ..., "msg": ...}]}``) and an OpenAPI 3.1 document is built
from the same declarations and served at ``<prefix>/openapi.json`` (public).

Request bodies are validated strictly against their JSON schema. Status codes: malformed JSON, bad path or query parameters (including ``limit`` above the maximum
and bad cursors) → 400; missing/invalid credentials → 401; not allowed → 403; wrong content type →
415; body too large → 413; body fails its schema → 422; ``If-Match`` required but missing → 428;
stale ``If-Match`` → 412 (``check_etag``).

Handlers are ``async def handler(call: Call) -> BaseModel | Reply | None``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from aiohttp import web
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import models_json_schema

from flexcoop.logs import get_logger

log = get_logger(__name__)

MAX_PAGE_LIMIT = 1000
DEFAULT_PAGE_LIMIT = 100
MAX_BODY_BYTES = 1 << 20

T = TypeVar("T")


class ErrorDetail(BaseModel):
    loc: str = Field(description="where the problem is, e.g. body.capabilities or query.limit")
    msg: str


class ErrorBody(BaseModel):
    error: str
    detail: list[ErrorDetail] = Field(default_factory=list)


class ApiError(Exception):
    """Raised anywhere below a handler: becomes a JSON error response with this status."""

    def __init__(
        self, status: int, error: str, detail: Sequence[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = [ErrorDetail(loc=loc, msg=msg) for loc, msg in detail or ()]

    def response(self) -> web.Response:
        body = ErrorBody(error=self.error, detail=self.detail)
        return web.json_response(body.model_dump(mode="json"), status=self.status)


def _iso_only(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO 8601 date-time") from None
    return value


# A query-string timestamp: ISO 8601 with a zone only (pydantic alone would also take "0.5"
# as seconds since the epoch).
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


class PageQuery(BaseModel):
    """Query parameters of every paginated list; subclass it to add filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT, description="page size")
    cursor: str | None = Field(
        None, max_length=512, description="opaque next_cursor from the previous page"
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


P = TypeVar("P", bound=Page[Any])


def encode_cursor(key: Any) -> str:
    """An opaque cursor for any JSON-serialisable sort key (the last item of a page)."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


@functools.lru_cache(maxsize=64)
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def decode_cursor(cursor: str | None, kind: Any = Any) -> Any:
    """The sort key in a cursor from ``encode_cursor``, validated as ``kind`` (e.g. ``int`` or
    ``tuple[str, AwareDatetime]``); None without a cursor; 400 for anything else."""
    if cursor is None:
        return None
    try:
        return _adapter(kind).validate_python(
            json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        )
    except (ValueError, binascii.Error, UnicodeError):  # ValidationError is a ValueError
        raise ApiError(
            400, "invalid cursor", [("query.cursor", "not a cursor from this list")]
        ) from None


def paginate(page: type[P], items: Sequence[Any], limit: int, key: Callable[[Any], Any]) -> P:
    """A ``page`` (a ``Page`` subclass) from up to ``limit + 1`` items: fetch one more than you
    show to know whether more exist. ``key`` gives an item's sort key, encoded into the cursor."""
    shown = list(items[:limit])
    more = len(items) > limit and bool(shown)
    return page(items=shown, next_cursor=encode_cursor(key(shown[-1])) if more else None)


def make_etag(version: int | str) -> str:
    return f'"{version}"'


def check_etag(call: Call, current: str) -> None:
    """412 unless the request's ``If-Match`` names ``current`` (or is ``*``)."""
    if call.if_match is None or "*" in call.if_match or current in call.if_match:
        return
    raise ApiError(412, "precondition failed", [("header.If-Match", f"resource is now {current}")])


@dataclass(frozen=True)
class Access:
    """Who may call a route: every scope in ``scopes``; with ``resource_param``, also access to
    the resource named by that path parameter (e.g. one DER)."""

    scopes: tuple[str, ...]
    resource_param: str | None = None


class Authorizer(Protocol):
    """Checks a request against a route's ``Access``; returns the principal or raises ApiError
    (401 unauthenticated, 403 forbidden)."""

    async def __call__(
        self, request: web.Request, access: Access, path: Mapping[str, str]
    ) -> Any: ...


@dataclass
class Call:
    """One validated request as a handler sees it."""

    request: web.Request
    path: Any  # the route's path model instance, or a dict of the raw path parameters
    query: Any  # the route's query model instance, or None
    body: Any  # the route's body model instance, or None
    principal: Any  # whatever the Authorizer returned, None on routes without Access
    if_match: frozenset[str] | None


@dataclass
class Reply:
    body: BaseModel | None = None
    status: int | None = None
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[BaseModel | Reply | None]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tags: tuple[str, ...] = ()
    path_model: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    access: Access | None = None
    if_match: Literal["required", "optional"] | None = None
    etag: bool = False
    errors: tuple[int, ...] = ()
    max_body_bytes: int | None = None  # None: the Api's limit

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


class RouteTable:
    """Routes declared with decorators in a component's module, added to an ``Api`` later."""

    def __init__(self, tags: tuple[str, ...] = ()) -> None:
        self.tags = tags
        self.routes: list[Route] = []

    def route(self, method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            summary = options.pop("summary", None) or (handler.__doc__ or "").strip().split("\n")[0]
            self.routes.append(
                Route(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    tags=options.pop("tags", self.tags),
                    **options,
                )
            )
            return handler

        return decorate

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)


def _errors(exc: ValidationError, where: str) -> list[tuple[str, str]]:
    out = []
    for e in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (where, *e["loc"]))
        out.append((loc, "unknown field" if e["type"] == "extra_forbidden" else e["msg"]))
    return out


def _is_list_field(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list_field(a) for a in typing.get_args(annotation) if a is not type(None))


def _parse_params(model: type[BaseModel], values: Any, where: str, multi: bool) -> BaseModel:
    raw: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in set(values.keys()):
        info = model.model_fields.get(name)
        if multi and info is not None and _is_list_field(info.annotation):
            raw[name] = values.getall(name)
            continue
        got = values.getall(name) if multi else [values[name]]
        if len(got) > 1:
            problems.append((f"{where}.{name}", "given more than once"))
        raw[name] = got[-1]
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_errors(exc, where))
    if problems:
        raise ApiError(400, f"invalid {where} parameters", problems)
    return parsed


def _parse_if_match(request: web.Request) -> frozenset[str] | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        tags.add(tag[2:] if tag.startswith("W/") else tag)
    return frozenset(tags)


class Api:
    """A set of routes under one prefix, with an authorizer and one OpenAPI document."""

    def __init__(
        self,
        prefix: str,
        *,
        title: str,
        version: str,
        authorizer: Authorizer | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.title = title
        self.version = version
        self.authorizer = authorizer
        self.max_body_bytes = max_body_bytes
        self.routes: list[Route] = []

    def include(self, table: RouteTable) -> None:
        self.routes.extend(table.routes)

    def install(self, app: web.Application) -> None:
        """Register every route and ``<prefix>/openapi.json`` on ``app``."""
        seen: set[tuple[str, str] | str] = set()
        for route in self.routes:
            for key in ((route.method, route.path), route.operation_id):
                if key in seen:
                    raise ValueError(f"{key} declared twice (routes and handler names are unique)")
                seen.add(key)
            if route.access is not None and self.authorizer is None:
                raise ValueError(f"route {route.path} needs access checks but the Api has none")
            app.router.add_route(route.method, self.prefix + route.path, self._wrap(route))
        document = self.openapi()

        async def openapi_json(_request: web.Request) -> web.Response:
            return web.json_response(document)

        app.router.add_get(self.prefix + "/openapi.json", openapi_json)

    def _wrap(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                return await self._handle(route, request)
            except ApiError as exc:
                return exc.response()
            except web.HTTPException:
                raise
            except Exception:
                log.exception(
                    "api_handler_failed",
                    extra={"fields": {"route": route.path, "method": route.method}},
                )
                return ApiError(500, "internal error").response()

        handle.__name__ = route.operation_id
        return handle

    async def _handle(self, route: Route, request: web.Request) -> web.StreamResponse:
        principal = None
        if route.access is not None:
            assert self.authorizer is not None
            principal = await self.authorizer(request, route.access, request.match_info)
        path: Any = dict(request.match_info)
        if route.path_model is not None:
            path = _parse_params(route.path_model, request.match_info, "path", multi=False)
        query = None
        if route.query is not None:
            query = _parse_params(route.query, request.query, "query", multi=True)
        elif request.query:
            names = sorted(request.query.keys())
            raise ApiError(
                400,
                "invalid query parameters",
                [(f"query.{n}", "unknown parameter") for n in names],
            )
        body = await self._body(route, request) if route.body is not None else None
        if_match = _parse_if_match(request)
        if route.if_match == "required" and if_match is None:
            raise ApiError(
                428, "precondition required", [("header.If-Match", "send the ETag you read")]
            )
        result = await route.handler(
            Call(
                request=request,
                path=path,
                query=query,
                body=body,
                principal=principal,
                if_match=if_match,
            )
        )
        reply = result if isinstance(result, Reply) else Reply(body=result)
        status = reply.status or route.status
        headers = dict(reply.headers)
        if reply.etag is not None:
            headers["ETag"] = reply.etag
        if reply.body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(reply.body.model_dump(mode="json"), status=status, headers=headers)

    async def _body(self, route: Route, request: web.Request) -> BaseModel:
        assert route.body is not None
        if request.content_type != "application/json":
            raise ApiError(
                415, "unsupported media type", [("header.Content-Type", "send application/json")]
            )
        limit = route.max_body_bytes or self.max_body_bytes
        too_large = ApiError(413, "request body too large", [("body", f"at most {limit} bytes")])
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        # read(n) returns what has arrived, not n bytes: loop to the end, stop once over limit.
        while chunk := await request.content.read(65_536):
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            # Strict: JSON types must match the schema (no "1" → 1, no false → 0.0); JSON mode
            # still reads ISO timestamps and enum values from strings.
            return route.body.model_validate_json(raw, strict=True)
        except ValidationError as exc:
            broken = [e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"]
            if broken:
                raise ApiError(400, "invalid JSON", [("body", broken[0]["msg"])]) from None
            raise ApiError(422, "invalid request body", _errors(exc, "body")) from None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document for every route added so far."""
        wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
            (ErrorBody, "serialization")
        ]
        for r in self.routes:
            wanted += [(m, "validation") for m in (r.path_model, r.query, r.body) if m is not None]
            if r.response is not None:
                wanted.append((r.response, "serialization"))
        keys, defs = models_json_schema(
            list(dict.fromkeys(wanted)), ref_template="#/components/schemas/{model}"
        )
        schemas = defs.get("$defs", {})

        def resolved(model: type[BaseModel], mode: str) -> dict[str, Any]:
            ref = keys[(model, mode)]["$ref"]  # type: ignore[index]
            return schemas[ref.rsplit("/", 1)[1]]

        def parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
            schema = resolved(model, "validation")
            required = set(schema.get("required", ()))
            out = []
            for name, prop in schema.get("properties", {}).items():
                prop = _without_null(prop)
                param: dict[str, Any] = {
                    "name": name,
                    "in": where,
                    "required": where == "path" or name in required,
                    "schema": prop,
                }
                if "description" in prop:
                    param["description"] = prop["description"]
                if _is_list_field(model.model_fields[name].annotation):
                    param |= {"style": "form", "explode": True}
                out.append(param)
            return out

        def error(description: str) -> dict[str, Any]:
            ref = keys[(ErrorBody, "serialization")]
            return {"description": description, "content": {"application/json": {"schema": ref}}}

        paths: dict[str, dict[str, Any]] = {}
        for r in self.routes:
            op: dict[str, Any] = {"operationId": r.operation_id, "summary": r.summary}
            if r.tags:
                op["tags"] = list(r.tags)
            params: list[dict[str, Any]] = []
            if r.path_model is not None:
                params += parameters(r.path_model, "path")
            else:
                params += [
                    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                    for n in _path_names(r.path)
                ]
            if r.query is not None:
                params += parameters(r.query, "query")
            if r.if_match is not None:
                params.append(
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": r.if_match == "required",
                        "schema": {"type": "string"},
                        "description": "the ETag of the version you are changing",
                    }
                )
            if params:
                op["parameters"] = params
            if r.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": keys[(r.body, "validation")]}},
                }
            ok: dict[str, Any] = {"description": "success"}
            if r.response is not None:
                ok["content"] = {
                    "application/json": {"schema": keys[(r.response, "serialization")]}
                }
            if r.etag:
                ok["headers"] = {
                    "ETag": {"schema": {"type": "string"}, "description": "version tag"}
                }
            responses: dict[str, Any] = {str(r.status): ok}
            codes = {400: "invalid parameters", **{c: "see error" for c in r.errors}}
            if r.access is not None:
                codes |= {401: "missing or invalid token", 403: "not allowed"}
            if r.body is not None:
                codes |= {413: "body too large", 415: "not JSON", 422: "body fails its schema"}
            if r.if_match is not None:
                codes |= {412: "stale If-Match"}
            if r.if_match == "required":
                codes |= {428: "If-Match required"}
            for code, text in sorted(codes.items()):
                responses[str(code)] = error(text)
            op["responses"] = responses
            if r.access is not None:
                op["security"] = [{"bearerAuth": list(r.access.scopes)}]
            paths.setdefault(self.prefix + r.path, {})[r.method.lower()] = op
        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {"schemas": schemas},
        }
        if any(r.access is not None for r in self.routes):
            doc["components"]["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        return doc


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without its ``null`` branch: absent means None, and a
    query string cannot carry a JSON null."""
    branches = schema.get("anyOf")
    if not branches or {"type": "null"} not in branches:
        return schema
    rest = [b for b in branches if b != {"type": "null"}]
    out = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**out, **rest[0]} if len(rest) == 1 else {**out, "anyOf": rest}


def _path_names(path: str) -> list[str]:
    names = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1].split(":")[0])
    return names


__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
    "Access",
    "Api",
    "ApiError",
    "Authorizer",
    "Call",
    "ErrorBody",
    "ErrorDetail",
    "IsoDatetime",
    "Page",
    "PageQuery",
    "Reply",
    "Route",
    "RouteTable",
    "check_etag",
    "decode_cursor",
    "encode_cursor",
    "make_etag",
    "paginate",
]
