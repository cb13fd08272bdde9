"""Marketplace boundary models: what the service takes and returns and the REST API shows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flexcoop.cloud.marketplace.states import ContractState
from flexcoop.cloud.marketplace.terms import Terms

# One rule for pseudonymous ids everywhere: no spaces or '@', so names and e-mails bounce.
from flexcoop.cloud.registry.models import ID_PATTERN
from flexcoop.httpapi import Page, PageQuery

MAX_DERS_PER_CONTRACT = 100


class Party(StrEnum):
    PROSUMER = "prosumer"
    AGGREGATOR = "aggregator"

    @property
    def other(self) -> Party:
        return Party.AGGREGATOR if self is Party.PROSUMER else Party.PROSUMER


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TermsProposal(_In):
    """An offer or counter-offer: a complete set of terms, never a patch."""

    proposed_by: Party
    terms: Terms


class ContractCreate(_In):
    """A new draft. Its history records the proposer of the opening offer as the creator, or
    the aggregator (who drafts contracts for its members) when there is no offer yet."""

    prosumer_id: str = Field(pattern=ID_PATTERN, description="pseudonymous prosumer id")
    aggregator_id: str = Field(pattern=ID_PATTERN)
    der_ids: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list,
        max_length=MAX_DERS_PER_CONTRACT,
        description="DERs of the DER registry this contract covers",
    )
    offer: TermsProposal | None = Field(None, description="the opening offer (terms version 1)")

    @field_validator("der_ids")
    @classmethod
    def _ders(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("der_ids repeat an id")
        return ids


class TransitionRequest(_In):
    to: ContractState
    by: Party = Field(description="the party taking this step")
    terms_version: int | None = Field(
        None,
        ge=1,
        description="for 'agreed': the version accepted, which must be the latest (default)",
    )
    reason: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _terms_only_when_agreeing(self) -> TransitionRequest:
        if self.terms_version is not None and self.to is not ContractState.AGREED:
            raise ValueError("terms_version applies only to the transition to 'agreed'")
        return self


class TermsVersion(BaseModel):
    version: int
    proposed_by: Party
    proposed_at: datetime
    terms: Terms


class Contract(BaseModel):
    id: str
    prosumer_id: str
    aggregator_id: str
    der_ids: list[str]
    state: ContractState
    version: int = Field(description="bumped on every change; the ETag")
    allowed_transitions: list[ContractState]
    latest_terms: TermsVersion | None
    accepted_terms_version: int | None = Field(description="pinned when agreed")
    created_at: datetime
    updated_at: datetime


class ContractEvent(BaseModel):
    """One line of a contract's append-only history."""

    id: int
    ts: datetime
    kind: str = Field(description="created, terms or transition")
    actor: Party
    from_state: ContractState | None
    to_state: ContractState
    terms_version: int | None
    reason: str


class ContractQuery(PageQuery):
    state: list[ContractState] | None = None
    prosumer_id: str | None = Field(None, pattern=ID_PATTERN)
    aggregator_id: str | None = Field(None, pattern=ID_PATTERN)
    der_id: str | None = Field(None, pattern=ID_PATTERN)


class TermsHistory(BaseModel):
    items: list[TermsVersion]


class ContractHistory(BaseModel):
    items: list[ContractEvent]


class ContractPage(Page[Contract]):
    pass
