"""REST resources of the marketplace under ``/api/v1/contracts``.

``GET/POST /contracts``, ``GET /contracts/{contract_id}``, ``GET/POST …/terms`` (history, offer
or counter-offer), ``POST …/transitions`` (lifecycle step), ``GET …/events`` (audit log).
Responses carry the contract's ``version`` as ETag; changes accept ``If-Match`` (stale → 412)
and racing writers get 409. A token limited to some DERs sees and changes only contracts that
cover one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field

from flexcoop.cloud.api.scopes import CONTRACTS_READ, CONTRACTS_WRITE
from flexcoop.cloud.app import CloudContext
from flexcoop.cloud.marketplace.errors import MarketplaceError
from flexcoop.cloud.marketplace.models import (
    Contract,
    ContractCreate,
    ContractHistory,
    ContractPage,
    ContractQuery,
    TermsHistory,
    TermsProposal,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.registry_links import link_registry
from flexcoop.cloud.marketplace.service import ContractService
from flexcoop.cloud.registry.models import ID_PATTERN
from flexcoop.httpapi import (
    Access,
    ApiError,
    Call,
    Reply,
    RouteTable,
    decode_cursor,
    make_etag,
    paginate,
)

MARKETPLACE = web.AppKey("flexcoop_marketplace", ContractService)

routes = RouteTable(tags=("marketplace",))
READ = Access((CONTRACTS_READ,))
WRITE = Access((CONTRACTS_WRITE,))

R = TypeVar("R")


class ContractPath(BaseModel):
    contract_id: str = Field(pattern=ID_PATTERN)


def setup(app: web.Application, ctx: CloudContext) -> None:
    """Component entry point (``COMPONENTS`` in cloud/app.py). Other components add hooks via
    ``app[MARKETPLACE].hooks``."""
    service = ContractService(ctx.engine)
    link_registry(service.hooks, ctx.registry)
    app[MARKETPLACE] = service
    ctx.api.include(routes)


def _service(call: Call) -> ContractService:
    return call.request.app[MARKETPLACE]


async def _domain(op: Callable[[], Awaitable[R]]) -> R:
    try:
        return await op()
    except MarketplaceError as exc:
        raise ApiError(exc.status, exc.title, [(exc.loc, str(exc))]) from None


def _only_ders(call: Call) -> frozenset[str] | None:
    ders: frozenset[str] | None = call.principal.der_ids
    return ders


def _visible(call: Call, contract: Contract) -> Contract:
    """404, not 403, for a contract outside the caller's DERs: its existence is not theirs."""
    only = _only_ders(call)
    if only is not None and not only.intersection(contract.der_ids):
        raise ApiError(404, "not found", [("path.contract_id", f"no contract {contract.id!r}")])
    return contract


async def _get_visible(call: Call) -> Contract:
    contract_id = call.path.contract_id
    return _visible(call, await _domain(lambda: _service(call).get(contract_id)))


def _if_version(call: Call) -> set[int] | None:
    """Versions the caller's If-Match accepts; a tag we never issued matches none."""
    if call.if_match is None or "*" in call.if_match:
        return None
    return {int(t[1:-1]) for t in call.if_match if t[1:-1].isdigit() and t.startswith('"')}


def _reply(contract: Contract, status: int | None = None) -> Reply:
    return Reply(body=contract, status=status, etag=make_etag(contract.version))


def _cursor_key(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    key: Any = decode_cursor(cursor)
    try:
        ts, contract_id = key
        return datetime.fromisoformat(ts), str(contract_id)
    except (TypeError, ValueError):
        raise ApiError(
            400, "invalid cursor", [("query.cursor", "not a cursor of this list")]
        ) from None


@routes.get("/contracts", query=ContractQuery, response=ContractPage, access=READ)
async def list_contracts(call: Call) -> ContractPage:
    """List contracts by state, prosumer, aggregator or DER, oldest first."""
    q: ContractQuery = call.query
    items = await _service(call).find(
        q, only_ders=_only_ders(call), after=_cursor_key(q.cursor), limit=q.limit + 1
    )
    return paginate(ContractPage, items, q.limit, lambda c: [c.created_at.isoformat(), c.id])


@routes.post(
    "/contracts",
    body=ContractCreate,
    response=Contract,
    status=201,
    etag=True,
    errors=(409,),
    access=WRITE,
)
async def create_contract(call: Call) -> Reply:
    """Create a draft contract, optionally with the opening offer (terms version 1)."""
    req: ContractCreate = call.body
    only = _only_ders(call)
    if only is not None and not set(req.der_ids) <= only:
        outside = sorted(set(req.der_ids) - only)
        raise ApiError(403, "forbidden", [("body.der_ids", f"not yours: {', '.join(outside)}")])
    contract = await _domain(lambda: _service(call).create(req))
    return _reply(contract, 201)


@routes.get(
    "/contracts/{contract_id}",
    path_model=ContractPath,
    response=Contract,
    etag=True,
    errors=(404,),
    access=READ,
)
async def get_contract(call: Call) -> Reply:
    """One contract with its latest terms; the ETag is its version."""
    return _reply(await _get_visible(call))


@routes.get(
    "/contracts/{contract_id}/terms",
    path_model=ContractPath,
    response=TermsHistory,
    errors=(404,),
    access=READ,
)
async def list_terms(call: Call) -> TermsHistory:
    """Every terms version (offers and counter-offers), oldest first; versions never change."""
    contract = await _get_visible(call)
    return TermsHistory(items=await _domain(lambda: _service(call).terms_history(contract.id)))


@routes.post(
    "/contracts/{contract_id}/terms",
    path_model=ContractPath,
    body=TermsProposal,
    response=Contract,
    status=201,
    etag=True,
    if_match="optional",
    errors=(404, 409),
    access=WRITE,
)
async def propose_terms(call: Call) -> Reply:
    """Propose terms (offer or counter-offer); only while negotiating."""
    proposal: TermsProposal = call.body
    updated = await _domain(
        lambda: _service(call).propose_terms(
            call.path.contract_id,
            proposal,
            if_version=_if_version(call),
            guard=lambda c: _visible(call, c),
        )
    )
    return _reply(updated, 201)


@routes.post(
    "/contracts/{contract_id}/transitions",
    path_model=ContractPath,
    body=TransitionRequest,
    response=Contract,
    etag=True,
    if_match="optional",
    errors=(404, 409),
    access=WRITE,
)
async def transition_contract(call: Call) -> Reply:
    """Move the contract along its lifecycle; illegal steps → 409 naming the allowed ones."""
    req: TransitionRequest = call.body
    updated = await _domain(
        lambda: _service(call).transition(
            call.path.contract_id,
            req,
            if_version=_if_version(call),
            guard=lambda c: _visible(call, c),
        )
    )
    return _reply(updated)


@routes.get(
    "/contracts/{contract_id}/events",
    path_model=ContractPath,
    response=ContractHistory,
    errors=(404,),
    access=READ,
)
async def list_contract_events(call: Call) -> ContractHistory:
    """The contract's append-only history: creation, terms proposals, transitions."""
    contract = await _get_visible(call)
    return ContractHistory(items=await _domain(lambda: _service(call).history(contract.id)))
