"""Contracts in the database: lifecycle, versioned terms, hooks and optimistic concurrency.

Every change reads the contract, checks the rules and runs the pre hooks outside any
transaction, then writes with ``UPDATE … WHERE version = :seen``: if another writer got there
first nothing is written and the caller gets ``ConcurrentUpdateError`` (REST 409). A caller that
knows which version it read (REST ``If-Match``) gets ``StaleVersionError`` (412) before any of
that. Post hooks run after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flexcoop.cloud.marketplace.errors import (
    AgreementError,
    ConcurrentUpdateError,
    ContractNotFoundError,
    IllegalTransitionError,
    StaleVersionError,
    TermsLockedError,
    VetoedError,
)
from flexcoop.cloud.marketplace.hooks import ChangeKind, ContractChange, HookRegistry, HookVeto
from flexcoop.cloud.marketplace.models import (
    Contract,
    ContractCreate,
    ContractEvent,
    ContractQuery,
    Party,
    TermsProposal,
    TermsVersion,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.states import (
    TERMS_EDITABLE,
    ContractState,
    allowed_transitions,
    is_legal,
)
from flexcoop.cloud.marketplace.tables import (
    ContractDerRow,
    ContractEventRow,
    ContractRow,
    TermsVersionRow,
)
from flexcoop.cloud.marketplace.terms import Terms
from flexcoop.logs import event, get_logger
from flexcoop.units import utcnow

log = get_logger(__name__)

C = ContractRow.__table__
D = ContractDerRow.__table__
T = TermsVersionRow.__table__
E = ContractEventRow.__table__


def _terms_version(row: Any) -> TermsVersion:
    return TermsVersion(
        version=row.version,
        proposed_by=Party(row.proposed_by),
        proposed_at=row.proposed_at,
        terms=Terms.model_validate(row.terms),
    )


async def _hydrate(conn: AsyncConnection, rows: Sequence[Any]) -> list[Contract]:
    """Contracts for ``rows`` of marketplace_contract, with two batched look-ups, not 2N."""
    ids = [r.id for r in rows]
    ders: dict[str, list[str]] = {i: [] for i in ids}
    latest: dict[str, TermsVersion] = {}
    if ids:
        for d in await conn.execute(
            select(D.c.contract_id, D.c.der_id).where(D.c.contract_id.in_(ids)).order_by(D.c.der_id)
        ):
            ders[d.contract_id].append(d.der_id)
        wanted = [(r.id, r.latest_terms_version) for r in rows if r.latest_terms_version]
        if wanted:
            for t in await conn.execute(
                select(T).where(tuple_(T.c.contract_id, T.c.version).in_(wanted))
            ):
                latest[t.contract_id] = _terms_version(t)
    out = []
    for r in rows:
        state = ContractState(r.state)
        out.append(
            Contract(
                id=r.id,
                prosumer_id=r.prosumer_id,
                aggregator_id=r.aggregator_id,
                der_ids=ders[r.id],
                state=state,
                version=r.version,
                allowed_transitions=allowed_transitions(state),
                latest_terms=latest.get(r.id),
                accepted_terms_version=r.accepted_terms_version,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out


async def _load(conn: AsyncConnection, contract_id: str) -> Contract:
    row = (await conn.execute(select(C).where(C.c.id == contract_id))).first()
    if row is None:
        raise ContractNotFoundError(f"no contract {contract_id!r}")
    return (await _hydrate(conn, [row]))[0]


def _check_if_version(contract: Contract, if_version: Collection[int] | None) -> None:
    if if_version is not None and contract.version not in if_version:
        raise StaleVersionError(
            f"contract {contract.id} is at version {contract.version}, "
            f"not {', '.join(str(v) for v in sorted(if_version)) or 'the one given'}; re-read it"
        )


class ContractService:
    """Use one per process (stateless apart from the hooks); safe for concurrent calls."""

    def __init__(
        self,
        engine: AsyncEngine,
        hooks: HookRegistry | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.hooks = hooks or HookRegistry()
        self._clock = clock

    async def get(self, contract_id: str) -> Contract:
        async with self.engine.connect() as conn:
            return await _load(conn, contract_id)

    async def find(
        self,
        query: ContractQuery,
        *,
        only_ders: Collection[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[Contract]:
        """Contracts matching the filters of ``query``, in creation order, after the
        ``(created_at, id)`` key ``after``. ``only_ders``: just contracts covering one of these
        DERs (a caller limited to its own DERs)."""
        stmt = select(C)
        if query.state:
            stmt = stmt.where(C.c.state.in_([s.value for s in query.state]))
        if query.prosumer_id is not None:
            stmt = stmt.where(C.c.prosumer_id == query.prosumer_id)
        if query.aggregator_id is not None:
            stmt = stmt.where(C.c.aggregator_id == query.aggregator_id)
        for ders in ([query.der_id] if query.der_id is not None else None, only_ders):
            if ders is not None:
                stmt = stmt.where(
                    exists().where(and_(D.c.contract_id == C.c.id, D.c.der_id.in_(sorted(ders))))
                )
        if after is not None:
            ts, last_id = after
            stmt = stmt.where(
                or_(C.c.created_at > ts, and_(C.c.created_at == ts, C.c.id > last_id))
            )
        stmt = stmt.order_by(C.c.created_at, C.c.id).limit(limit)
        async with self.engine.connect() as conn:
            return await _hydrate(conn, (await conn.execute(stmt)).all())

    async def terms_history(self, contract_id: str) -> list[TermsVersion]:
        async with self.engine.connect() as conn:
            await _load(conn, contract_id)
            rows = await conn.execute(
                select(T).where(T.c.contract_id == contract_id).order_by(T.c.version)
            )
            return [_terms_version(r) for r in rows]

    async def history(self, contract_id: str) -> list[ContractEvent]:
        async with self.engine.connect() as conn:
            await _load(conn, contract_id)
            rows = await conn.execute(
                select(E).where(E.c.contract_id == contract_id).order_by(E.c.id)
            )
            return [
                ContractEvent(
                    id=r.id,
                    ts=r.ts,
                    kind=r.kind,
                    actor=Party(r.actor),
                    from_state=None if r.from_state is None else ContractState(r.from_state),
                    to_state=ContractState(r.to_state),
                    terms_version=r.terms_version,
                    reason=r.reason,
                )
                for r in rows
            ]

    async def create(self, req: ContractCreate) -> Contract:
        now = self._clock()
        contract_id = str(uuid.uuid4())
        offer = None
        if req.offer is not None:
            offer = TermsVersion(
                version=1, proposed_by=req.offer.proposed_by, proposed_at=now, terms=req.offer.terms
            )
            draft = Contract(
                id=contract_id,
                prosumer_id=req.prosumer_id,
                aggregator_id=req.aggregator_id,
                der_ids=sorted(req.der_ids),
                state=ContractState.DRAFT,
                version=0,
                allowed_transitions=allowed_transitions(ContractState.DRAFT),
                latest_terms=None,
                accepted_terms_version=None,
                created_at=now,
                updated_at=now,
            )
            await self._pre(self._terms_change(draft, offer))
        actor = req.offer.proposed_by if req.offer is not None else Party.AGGREGATOR
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(C).values(
                    id=contract_id,
                    prosumer_id=req.prosumer_id,
                    aggregator_id=req.aggregator_id,
                    state=ContractState.DRAFT.value,
                    version=1,
                    latest_terms_version=1 if offer else 0,
                    accepted_terms_version=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            if req.der_ids:
                await conn.execute(
                    insert(D), [{"contract_id": contract_id, "der_id": d} for d in req.der_ids]
                )
            if offer is not None:
                await self._insert_terms(conn, contract_id, offer)
            await self._log(
                conn,
                contract_id,
                now,
                "created",
                actor,
                None,
                ContractState.DRAFT,
                offer.version if offer else None,
                "",
            )
            created = await _load(conn, contract_id)
        event(log, "contract_created", contract_id=contract_id, der_count=len(req.der_ids))
        if offer is not None:
            await self.hooks.run_post(self._terms_change(created, offer))
        return created

    async def propose_terms(
        self,
        contract_id: str,
        proposal: TermsProposal,
        *,
        if_version: Collection[int] | None = None,
        guard: Callable[[Contract], object] | None = None,
    ) -> Contract:
        """Store a new immutable terms version (an offer or counter-offer). ``guard`` sees the
        contract as read and may raise to refuse (e.g. the caller may not see it)."""
        current = await self.get(contract_id)
        if guard is not None:
            guard(current)
        _check_if_version(current, if_version)
        if current.state not in TERMS_EDITABLE:
            raise TermsLockedError(
                f"terms can change only while negotiating; contract {contract_id} is {current.state}"
            )
        now = self._clock()
        latest = current.latest_terms.version if current.latest_terms else 0
        proposed = TermsVersion(
            version=latest + 1,
            proposed_by=proposal.proposed_by,
            proposed_at=now,
            terms=proposal.terms,
        )
        await self._pre(self._terms_change(current, proposed))
        async with self.engine.begin() as conn:
            await self._bump(conn, current, now, latest_terms_version=proposed.version)
            await self._insert_terms(conn, contract_id, proposed)
            await self._log(
                conn,
                contract_id,
                now,
                "terms",
                proposal.proposed_by,
                current.state,
                current.state,
                proposed.version,
                "",
            )
        updated = current.model_copy(
            update={"version": current.version + 1, "updated_at": now, "latest_terms": proposed}
        )
        event(
            log,
            "contract_terms_proposed",
            contract_id=contract_id,
            terms_version=proposed.version,
            proposed_by=proposal.proposed_by.value,
        )
        await self.hooks.run_post(self._terms_change(updated, proposed))
        return updated

    async def transition(
        self,
        contract_id: str,
        req: TransitionRequest,
        *,
        if_version: Collection[int] | None = None,
        guard: Callable[[Contract], object] | None = None,
    ) -> Contract:
        """One lifecycle step; ``guard`` as for ``propose_terms``."""
        current = await self.get(contract_id)
        if guard is not None:
            guard(current)
        _check_if_version(current, if_version)
        if not is_legal(current.state, req.to):
            allowed = ", ".join(allowed_transitions(current.state)) or "none (final state)"
            raise IllegalTransitionError(
                f"cannot go from {current.state} to {req.to}; allowed from {current.state}: {allowed}"
            )
        accepted = self._accepted_terms(current, req) if req.to is ContractState.AGREED else None
        change = ContractChange(
            kind=ChangeKind.TRANSITION,
            contract=current,
            actor=req.by,
            from_state=current.state,
            to_state=req.to,
            terms=accepted,
            reason=req.reason,
        )
        await self._pre(change)
        now = self._clock()
        async with self.engine.begin() as conn:
            pinned = {"accepted_terms_version": accepted.version} if accepted else {}
            await self._bump(conn, current, now, state=req.to.value, **pinned)
            await self._log(
                conn,
                contract_id,
                now,
                "transition",
                req.by,
                current.state,
                req.to,
                accepted.version if accepted else None,
                req.reason,
            )
        # Exactly what was written: no need to read it back.
        updated = current.model_copy(
            update={
                "state": req.to,
                "version": current.version + 1,
                "updated_at": now,
                "allowed_transitions": allowed_transitions(req.to),
                "accepted_terms_version": (
                    accepted.version if accepted else current.accepted_terms_version
                ),
            }
        )
        event(
            log,
            "contract_transition",
            contract_id=contract_id,
            from_state=current.state.value,
            to_state=req.to.value,
            by=req.by.value,
        )
        await self.hooks.run_post(replace(change, contract=updated))
        return updated

    @staticmethod
    def _accepted_terms(current: Contract, req: TransitionRequest) -> TermsVersion:
        latest = current.latest_terms
        if latest is None:
            raise AgreementError(
                f"contract {current.id} has no terms to agree on; propose terms first"
            )
        if req.terms_version is not None and req.terms_version != latest.version:
            raise AgreementError(
                f"terms version {req.terms_version} is not the latest: version {latest.version} "
                "superseded it; only the latest offer can be accepted"
            )
        if latest.proposed_by is req.by:
            raise AgreementError(
                f"the {req.by} proposed terms version {latest.version}; "
                f"the {req.by.other} must accept it"
            )
        return latest

    async def _pre(self, change: ContractChange) -> None:
        try:
            await self.hooks.run_pre(change)
        except HookVeto as veto:
            raise VetoedError(f"vetoed: {veto.reason}") from None

    @staticmethod
    def _terms_change(contract: Contract, terms: TermsVersion) -> ContractChange:
        return ContractChange(
            kind=ChangeKind.TERMS,
            contract=contract,
            actor=terms.proposed_by,
            from_state=contract.state,
            to_state=contract.state,
            terms=terms,
        )

    @staticmethod
    async def _bump(conn: AsyncConnection, seen: Contract, now: datetime, **values: Any) -> None:
        result = await conn.execute(
            update(C)
            .where(C.c.id == seen.id, C.c.version == seen.version)
            .values(version=C.c.version + 1, updated_at=now, **values)
        )
        if result.rowcount != 1:
            raise ConcurrentUpdateError(
                f"contract {seen.id} changed concurrently since version {seen.version}; "
                "re-read it and try again"
            )

    @staticmethod
    async def _insert_terms(conn: AsyncConnection, contract_id: str, terms: TermsVersion) -> None:
        await conn.execute(
            insert(T).values(
                contract_id=contract_id,
                version=terms.version,
                proposed_by=terms.proposed_by.value,
                proposed_at=terms.proposed_at,
                terms=terms.terms.model_dump(mode="json"),
            )
        )

    @staticmethod
    async def _log(
        conn: AsyncConnection,
        contract_id: str,
        ts: datetime,
        kind: str,
        actor: Party,
        from_state: ContractState | None,
        to_state: ContractState,
        terms_version: int | None,
        reason: str,
    ) -> None:
        await conn.execute(
            insert(E).values(
                contract_id=contract_id,
                ts=ts,
                kind=kind,
                actor=actor.value,
                from_state=None if from_state is None else from_state.value,
                to_state=to_state.value,
                terms_version=terms_version,
                reason=reason,
            )
        )
