"""Contract lifecycle and versioned terms on a real database (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from flexcoop.cloud.marketplace.errors import (
    AgreementError,
    ContractNotFoundError,
    IllegalTransitionError,
    TermsLockedError,
)
from flexcoop.cloud.marketplace.models import (
    Contract,
    ContractCreate,
    ContractQuery,
    Party,
    TermsProposal,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.service import ContractService
from flexcoop.cloud.marketplace.states import ContractState as S

from .conftest import make_terms

P, A = Party.PROSUMER, Party.AGGREGATOR


def _create(**extra: object) -> ContractCreate:
    return ContractCreate.model_validate(
        {"prosumer_id": "prosumer-7f3a", "aggregator_id": "agg-coop-1", **extra}
    )


async def test_negotiate_agree_activate_end(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    offer = TermsProposal(proposed_by=A, terms=make_terms())
    c = await svc.create(_create(der_ids=["der-hp-1", "der-pv-1"], offer=offer))
    assert c.state is S.DRAFT and c.version == 1
    assert c.der_ids == ["der-hp-1", "der-pv-1"]
    assert c.latest_terms is not None and c.latest_terms.version == 1
    assert c.allowed_transitions == [S.NEGOTIATING, S.CANCELLED]

    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=P))
    counter = make_terms(activation_price_eur_per_kwh=0.32, max_activations_per_month=12)
    c = await svc.propose_terms(c.id, TermsProposal(proposed_by=P, terms=counter))
    assert c.latest_terms is not None and c.latest_terms.version == 2
    c = await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=A, terms_version=2))
    assert c.state is S.AGREED and c.accepted_terms_version == 2
    c = await svc.transition(c.id, TransitionRequest(to=S.ACTIVE, by=A))
    c = await svc.transition(c.id, TransitionRequest(to=S.ENDED, by=P, reason="moved house"))
    assert c.state is S.ENDED and c.allowed_transitions == [] and c.version == 6

    # Versions are immutable: the opening offer is still there as it was.
    history = await svc.terms_history(c.id)
    assert [(v.version, v.proposed_by) for v in history] == [(1, A), (2, P)]
    assert history[0].terms == make_terms() and history[1].terms == counter
    assert history[1].terms.activation_price_eur_per_kwh == 0.32

    events = await svc.history(c.id)
    assert [(e.kind, e.from_state, e.to_state) for e in events] == [
        ("created", None, S.DRAFT),
        ("transition", S.DRAFT, S.NEGOTIATING),
        ("terms", S.NEGOTIATING, S.NEGOTIATING),
        ("transition", S.NEGOTIATING, S.AGREED),
        ("transition", S.AGREED, S.ACTIVE),
        ("transition", S.ACTIVE, S.ENDED),
    ]
    assert events[3].terms_version == 2 and events[-1].reason == "moved house"
    assert all(e.ts.tzinfo is not None for e in events)


async def test_illegal_transition_names_the_allowed_ones(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    c = await svc.create(_create())
    with pytest.raises(IllegalTransitionError) as err:
        await svc.transition(c.id, TransitionRequest(to=S.ACTIVE, by=A))
    assert "from draft to active" in str(err.value)
    assert "allowed from draft: negotiating, cancelled" in str(err.value)
    assert (await svc.get(c.id)).version == c.version
    c = await svc.transition(c.id, TransitionRequest(to=S.CANCELLED, by=A))
    with pytest.raises(IllegalTransitionError, match="none \\(final state\\)"):
        await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))


async def test_terms_change_only_while_negotiating(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    c = await svc.create(_create())
    proposal = TermsProposal(proposed_by=A, terms=make_terms())
    with pytest.raises(TermsLockedError, match=r"only while negotiating.*is draft"):
        await svc.propose_terms(c.id, proposal)
    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    c = await svc.propose_terms(c.id, proposal)
    c = await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=P))
    with pytest.raises(TermsLockedError, match="is agreed"):
        await svc.propose_terms(c.id, TermsProposal(proposed_by=P, terms=make_terms(max_up_w=1)))
    after = await svc.get(c.id)
    assert after.version == c.version and after.accepted_terms_version == 1
    assert len(await svc.terms_history(c.id)) == 1


async def test_agreement_rules(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    c = await svc.create(_create())
    c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
    with pytest.raises(AgreementError, match="no terms to agree on"):
        await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=P))
    c = await svc.propose_terms(c.id, TermsProposal(proposed_by=A, terms=make_terms()))
    with pytest.raises(
        AgreementError, match=r"the aggregator proposed .* the prosumer must accept"
    ):
        await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=A))
    c = await svc.propose_terms(
        c.id, TermsProposal(proposed_by=P, terms=make_terms(max_down_w=500))
    )
    with pytest.raises(AgreementError, match="version 1 is not the latest: version 2"):
        await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=A, terms_version=1))
    assert (await svc.get(c.id)).state is S.NEGOTIATING
    c = await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=A))
    assert c.accepted_terms_version == 2


async def test_unknown_contract(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    with pytest.raises(ContractNotFoundError):
        await svc.get("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ContractNotFoundError):
        await svc.transition("nope", TransitionRequest(to=S.NEGOTIATING, by=A))


async def test_find_filters_and_pages(engine: AsyncEngine) -> None:
    svc = ContractService(engine)
    made = []
    for i in range(7):
        c = await svc.create(
            _create(prosumer_id=f"prosumer-{i % 2}", der_ids=[f"der-{i}", "der-shared"])
        )
        if i % 3 == 0:
            c = await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=A))
        made.append(c)
    seen: list[Contract] = []
    while page := await svc.find(
        ContractQuery(), after=(seen[-1].created_at, seen[-1].id) if seen else None, limit=3
    ):
        seen += page
    assert [c.id for c in seen] == [c.id for c in sorted(made, key=lambda c: (c.created_at, c.id))]
    negotiating = await svc.find(ContractQuery(state=[S.NEGOTIATING]))
    assert {c.id for c in negotiating} == {made[0].id, made[3].id, made[6].id}
    by_der = await svc.find(ContractQuery(der_id="der-4"))
    assert [c.id for c in by_der] == [made[4].id]
    both = await svc.find(ContractQuery(prosumer_id="prosumer-1", state=[S.DRAFT]))
    assert {c.id for c in both} == {made[1].id, made[5].id}
    # Filters are bound parameters: an injection string (past validation) matches nothing.
    injected = await svc.find(ContractQuery.model_construct(der_id="der-1' OR '1'='1"))
    assert injected == []
    mine = await svc.find(ContractQuery(), only_ders={"der-2", "der-3"})
    assert [c.id for c in mine] == [made[2].id, made[3].id]
