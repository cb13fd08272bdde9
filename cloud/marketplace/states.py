"""The contract lifecycle: every legal transition in one table."""

from __future__ import annotations

from enum import StrEnum


class ContractState(StrEnum):
    DRAFT = "draft"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


S = ContractState

TRANSITIONS: dict[ContractState, frozenset[ContractState]] = {
    S.DRAFT: frozenset({S.NEGOTIATING, S.CANCELLED}),
    S.NEGOTIATING: frozenset({S.AGREED, S.CANCELLED}),
    S.AGREED: frozenset({S.ACTIVE, S.CANCELLED}),
    # An active contract is ended (by term or notice), never cancelled: activations happened.
    S.ACTIVE: frozenset({S.ENDED}),
    S.ENDED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Terms may only change here; everywhere else they are either not yet offered or pinned.
TERMS_EDITABLE = frozenset({S.NEGOTIATING})


def allowed_transitions(state: ContractState) -> list[ContractState]:
    """In lifecycle order, for messages and the API."""
    return [s for s in ContractState if s in TRANSITIONS[state]]


def is_legal(src: ContractState, dst: ContractState) -> bool:
    return dst in TRANSITIONS[src]
