"""Pluggable pre/post hooks on contract changes (transitions and terms proposals).

A *pre* hook runs before anything is written and may veto by raising ``HookVeto(reason)``: the
change is refused with that reason and the contract stays exactly as it was. A *post* hook runs
after the change is committed (notifications, registry links); it cannot undo it, and if it
fails the failure is logged and the remaining post hooks still run.

    hooks = HookRegistry()
    hooks.before_transition(check_ders_registered, to=ContractState.ACTIVE)
    hooks.after_terms(notify_counterparty)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from flexcoop.cloud.marketplace.models import Contract, Party, TermsVersion
from flexcoop.cloud.marketplace.states import ContractState
from flexcoop.logs import event, get_logger

log = get_logger(__name__)


class ChangeKind(StrEnum):
    TRANSITION = "transition"
    TERMS = "terms"


class HookVeto(Exception):
    """Raised by a pre hook to refuse a change; ``reason`` is shown to the caller."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ContractChange:
    """What a hook sees. ``contract`` is the state before the change for pre hooks and after it
    for post hooks; ``terms`` is the proposed (pre) or stored (post) version for terms changes
    and the accepted version when a contract becomes agreed."""

    kind: ChangeKind
    contract: Contract
    actor: Party
    from_state: ContractState
    to_state: ContractState
    terms: TermsVersion | None = None
    reason: str = ""


Hook = Callable[[ContractChange], Awaitable[None]]


@dataclass(frozen=True)
class _Entry:
    hook: Hook
    kind: ChangeKind
    to: ContractState | None

    def matches(self, change: ContractChange) -> bool:
        return self.kind is change.kind and (self.to is None or self.to is change.to_state)


def _name(hook: Hook) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)


class HookRegistry:
    def __init__(self) -> None:
        self._pre: list[_Entry] = []
        self._post: list[_Entry] = []

    def before_transition(self, hook: Hook, *, to: ContractState | None = None) -> Hook:
        """Run ``hook`` before transitions (into ``to`` only, if given); it may veto."""
        self._pre.append(_Entry(hook, ChangeKind.TRANSITION, to))
        return hook

    def after_transition(self, hook: Hook, *, to: ContractState | None = None) -> Hook:
        self._post.append(_Entry(hook, ChangeKind.TRANSITION, to))
        return hook

    def before_terms(self, hook: Hook) -> Hook:
        """Run ``hook`` before a terms proposal is stored; it may veto."""
        self._pre.append(_Entry(hook, ChangeKind.TERMS, None))
        return hook

    def after_terms(self, hook: Hook) -> Hook:
        self._post.append(_Entry(hook, ChangeKind.TERMS, None))
        return hook

    async def run_pre(self, change: ContractChange) -> None:
        """Raises HookVeto from the first hook that vetoes (in registration order)."""
        for entry in self._pre:
            if entry.matches(change):
                try:
                    await entry.hook(change)
                except HookVeto as veto:
                    event(
                        log,
                        "contract_change_vetoed",
                        contract_id=change.contract.id,
                        kind=change.kind.value,
                        to_state=change.to_state.value,
                        hook=_name(entry.hook),
                        reason=veto.reason,
                    )
                    raise

    async def run_post(self, change: ContractChange) -> None:
        for entry in self._post:
            if not entry.matches(change):
                continue
            try:
                await entry.hook(change)
            except Exception as exc:
                # The change is committed; a broken notifier must not turn it into an error.
                event(
                    log,
                    "contract_post_hook_failed",
                    level=logging.ERROR,
                    contract_id=change.contract.id,
                    kind=change.kind.value,
                    hook=_name(entry.hook),
                    error=f"{type(exc).__name__}: {exc}",
                )
