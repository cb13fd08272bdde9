"""Pre hooks can veto (nothing changes), post hooks observe, failing post hooks are logged."""

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.marketplace.errors import VetoedError
from flexcoop.cloud.marketplace.hooks import ChangeKind, ContractChange, HookRegistry, HookVeto
from flexcoop.cloud.marketplace.models import (
    ContractCreate,
    ContractQuery,
    Party,
    TermsProposal,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.service import ContractService
from flexcoop.cloud.marketplace.states import ContractState as S

from .conftest import make_terms

A, P = Party.AGGREGATOR, Party.PROSUMER
NEW = ContractCreate(prosumer_id="prosumer-1", aggregator_id="agg-1", der_ids=["der-1"])


async def test_pre_hook_veto_keeps_state_unchanged(engine: AsyncEngine) -> None:
    hooks = HookRegistry()
    seen: list[ContractChange] = []

    async def no_activation_without_registered_ders(change: ContractChange) -> None:
        seen.append(change)
        raise HookVeto("der-1 is not registered")

    hooks.before_transition(no_activation_without_registered_ders, to=S.ACTIVE)
    svc = ContractService(engine, hooks)
    c = await svc.create(
        NEW.model_copy(update={"offer": TermsProposal(proposed_by=A, terms=make_terms())})
    )
    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    c = await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=P))
    assert seen == []  # the hook is only for transitions into active
    with pytest.raises(VetoedError, match="vetoed: der-1 is not registered"):
        await svc.transition(c.id, TransitionRequest(to=S.ACTIVE, by=A))
    assert len(seen) == 1 and seen[0].from_state is S.AGREED and seen[0].to_state is S.ACTIVE
    after = await svc.get(c.id)
    assert after == c
    assert [e.to_state for e in await svc.history(c.id)][-1] is S.AGREED


async def test_terms_veto_stores_nothing(engine: AsyncEngine) -> None:
    hooks = HookRegistry()

    async def price_cap(change: ContractChange) -> None:
        assert change.kind is ChangeKind.TERMS and change.terms is not None
        if change.terms.terms.activation_price_eur_per_kwh > 0.5:
            raise HookVeto("activation price above the co-op's cap of 0.50 EUR/kWh")

    hooks.before_terms(price_cap)
    svc = ContractService(engine, hooks)
    greedy = TermsProposal(proposed_by=P, terms=make_terms(activation_price_eur_per_kwh=0.9))
    with pytest.raises(VetoedError, match="cap"):
        await svc.create(NEW.model_copy(update={"offer": greedy}))
    assert await svc.find(ContractQuery()) == []
    c = await svc.create(NEW)
    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    with pytest.raises(VetoedError):
        await svc.propose_terms(c.id, greedy)
    assert await svc.terms_history(c.id) == [] and (await svc.get(c.id)).version == c.version


async def test_post_hooks_observe_and_failures_never_corrupt(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = HookRegistry()
    observed: list[tuple[ChangeKind, S, int]] = []

    async def broken_notifier(change: ContractChange) -> None:
        raise ConnectionError("mail server down")

    async def observer(change: ContractChange) -> None:
        observed.append((change.kind, change.contract.state, change.contract.version))

    hooks.after_transition(broken_notifier)
    hooks.after_transition(observer)
    hooks.after_terms(observer)
    svc = ContractService(engine, hooks)
    c = await svc.create(NEW)
    with caplog.at_level(logging.ERROR, logger="flexcoop.cloud.marketplace.hooks"):
        c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    assert c.state is S.NEGOTIATING and (await svc.get(c.id)).state is S.NEGOTIATING
    failed = [r for r in caplog.records if r.getMessage() == "contract_post_hook_failed"]
    assert len(failed) == 1
    assert failed[0].fields["error"] == "ConnectionError: mail server down"  # type: ignore[attr-defined]
    await svc.propose_terms(c.id, TermsProposal(proposed_by=A, terms=make_terms()))
    # Post hooks see the committed contract (after the change), in order.
    assert observed == [
        (ChangeKind.TRANSITION, S.NEGOTIATING, 2),
        (ChangeKind.TERMS, S.NEGOTIATING, 3),
    ]
