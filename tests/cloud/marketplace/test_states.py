import itertools

from flexcoop.cloud.marketplace.states import (
    TERMS_EDITABLE,
    TRANSITIONS,
    ContractState,
    allowed_transitions,
    is_legal,
)

S = ContractState


def test_table_covers_every_state_and_final_states_are_final() -> None:
    assert set(TRANSITIONS) == set(ContractState)
    assert {s for s, nxt in TRANSITIONS.items() if not nxt} == {S.ENDED, S.CANCELLED}
    assert TERMS_EDITABLE == {S.NEGOTIATING}


def test_lifecycle_path_and_shortcuts() -> None:
    path = [S.DRAFT, S.NEGOTIATING, S.AGREED, S.ACTIVE, S.ENDED]
    assert all(is_legal(a, b) for a, b in itertools.pairwise(path))
    assert not is_legal(S.DRAFT, S.AGREED)
    assert not is_legal(S.ACTIVE, S.CANCELLED)
    assert not is_legal(S.AGREED, S.NEGOTIATING)
    assert allowed_transitions(S.AGREED) == [S.ACTIVE, S.CANCELLED]
