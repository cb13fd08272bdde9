"""Hooks that tie contracts to the DER registry by der_id.

Before activation every DER of the contract must be registered and not already bound to another
contract; on activation the DERs point at the contract (``contract_id``) and their event logs
record it; when the contract ends the link is cleared again.
"""

from __future__ import annotations

from flexcoop.cloud.marketplace.hooks import ContractChange, HookRegistry, HookVeto
from flexcoop.cloud.marketplace.states import ContractState
from flexcoop.cloud.registry.models import DerUpdate
from flexcoop.cloud.registry.service import RegistryService


def link_registry(hooks: HookRegistry, registry: RegistryService) -> None:
    async def ders_ready(change: ContractChange) -> None:
        contract = change.contract
        if not contract.der_ids:
            raise HookVeto("the contract covers no DERs; add der_ids before activating")
        for der_id in contract.der_ids:
            der = await registry.get(der_id)
            if der is None:
                raise HookVeto(f"DER {der_id} is not registered in the DER registry")
            if der.contract_id not in (None, contract.id):
                raise HookVeto(f"DER {der_id} is already bound to contract {der.contract_id}")

    async def bind(change: ContractChange) -> None:
        for der_id in change.contract.der_ids:
            await registry.update(
                der_id, DerUpdate(contract_id=change.contract.id), expected_version=None
            )
            await registry.log(der_id, "contract_activated", {"contract_id": change.contract.id})

    async def unbind(change: ContractChange) -> None:
        for der_id in change.contract.der_ids:
            der = await registry.get(der_id)
            if der is not None and der.contract_id == change.contract.id:
                await registry.update(der_id, DerUpdate(contract_id=None), expected_version=None)
                await registry.log(der_id, "contract_ended", {"contract_id": change.contract.id})

    hooks.before_transition(ders_ready, to=ContractState.ACTIVE)
    hooks.after_transition(bind, to=ContractState.ACTIVE)
    hooks.after_transition(unbind, to=ContractState.ENDED)
