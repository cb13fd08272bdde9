"""Optimistic concurrency: stale If-Match → StaleVersionError, racing writers → one wins."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.marketplace.errors import ConcurrentUpdateError, StaleVersionError
from flexcoop.cloud.marketplace.hooks import ContractChange, HookRegistry
from flexcoop.cloud.marketplace.models import (
    ContractCreate,
    Party,
    TermsProposal,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.service import ContractService
from flexcoop.cloud.marketplace.states import ContractState as S

from .conftest import make_terms

A, P = Party.AGGREGATOR, Party.PROSUMER
NEW = ContractCreate(prosumer_id="prosumer-1", aggregator_id="agg-1")


async def test_stale_if_version(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    c = await svc.create(NEW)
    c2 = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A), if_version={1})
    with pytest.raises(StaleVersionError, match="at version 2, not 1"):
        await svc.propose_terms(
            c.id, TermsProposal(proposed_by=A, terms=make_terms()), if_version={1}
        )
    assert await svc.get(c.id) == c2


async def test_racing_transitions_exactly_one_wins(engine: AsyncEngine) -> None:
    hooks = HookRegistry()
    # Both writers pass their read and their pre hooks before either writes.
    barrier = asyncio.Barrier(2)

    async def wait_for_the_other(change: ContractChange) -> None:
        await barrier.wait()

    hooks.before_transition(wait_for_the_other)
    svc = ContractService(engine, hooks)
    c = await svc.create(NEW)
    results = await asyncio.gather(
        svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A)),
        svc.transition(c.id, TransitionRequest(to=S.CANCELLED, by=P)),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], ConcurrentUpdateError)
    assert "changed concurrently since version 1" in str(lost[0])
    final = await svc.get(c.id)
    assert final == won[0] and final.version == 2
    assert [e.kind for e in await svc.history(c.id)] == ["created", "transition"]


async def test_racing_counter_offers_exactly_one_stored(engine: AsyncEngine) -> None:
    hooks = HookRegistry()
    barrier = asyncio.Barrier(2)

    async def wait_for_the_other(change: ContractChange) -> None:
        await barrier.wait()

    hooks.before_terms(wait_for_the_other)
    svc = ContractService(engine, hooks)
    c = await svc.create(NEW)
    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    results = await asyncio.gather(
        svc.propose_terms(c.id, TermsProposal(proposed_by=A, terms=make_terms(max_up_w=1000))),
        svc.propose_terms(c.id, TermsProposal(proposed_by=P, terms=make_terms(max_up_w=2000))),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConcurrentUpdateError", "Contract"]
    history = await svc.terms_history(c.id)
    assert len(history) == 1 and history[0].version == 1
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert winner.latest_terms == history[0]
