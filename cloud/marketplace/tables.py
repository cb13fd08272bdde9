"""Marketplace tables (migrations: ``cloud/marketplace/migrations/versions``).

Terms versions and the event log are append-only; the contract row carries the state and the
``version`` counter used for optimistic concurrency (every UPDATE is ``WHERE version = :seen``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from flexcoop.cloud.db import Base, UtcDateTime

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BIGINT_PK = BigInteger().with_variant(Integer(), "sqlite")


class ContractRow(Base):
    __tablename__ = "marketplace_contract"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    prosumer_id: Mapped[str] = mapped_column(String(128), index=True)
    aggregator_id: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    latest_terms_version: Mapped[int] = mapped_column(Integer)
    accepted_terms_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # Keyset pagination walks (created_at, id).
    __table_args__ = (Index("ix_marketplace_contract_created_at_id", "created_at", "id"),)


class ContractDerRow(Base):
    """Link to the DER registry by der_id (no foreign key: a draft may name a DER that
    registers later; activation hooks check the registry)."""

    __tablename__ = "marketplace_contract_der"

    contract_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_contract.id"), primary_key=True
    )
    der_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


class TermsVersionRow(Base):
    __tablename__ = "marketplace_terms"

    contract_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("marketplace_contract.id"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed_by: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)


class ContractEventRow(Base):
    __tablename__ = "marketplace_contract_event"

    id: Mapped[int] = mapped_column(BIGINT_PK, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(36), ForeignKey("marketplace_contract.id"))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    terms_version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index("ix_marketplace_contract_event_contract_id_id", "contract_id", "id"),)
