"""Registry tables (migrations: ``cloud/registry/migrations/versions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from flexcoop.cloud.db import Base, UtcDateTime

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BIGINT_PK = BigInteger().with_variant(Integer(), "sqlite")


class DerRow(Base):
    __tablename__ = "registry_der"

    der_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    ven_id: Mapped[str] = mapped_column(String(128), index=True)
    der_type: Mapped[str] = mapped_column(String(32), index=True)
    location_cell: Mapped[str] = mapped_column(String(64), index=True)
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    contract_id: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)

    # The time-out sweep reads exactly this: online DERs silent since before a cut-off. Partial,
    # so that no index on status tempts SQLite's planner into scanning a keep-alive batch once
    # per timed-out DER (quadratic) when reviving DERs.
    __table_args__ = (
        Index(
            "ix_registry_der_online_last_seen",
            "last_seen",
            sqlite_where=text("status = 'online'"),
            postgresql_where=text("status = 'online'"),
        ),
    )


class DerEventRow(Base):
    __tablename__ = "registry_der_event"

    id: Mapped[int] = mapped_column(BIGINT_PK, primary_key=True, autoincrement=True)
    der_id: Mapped[str] = mapped_column(String(128), ForeignKey("registry_der.der_id"))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_registry_der_event_der_id_id", "der_id", "id"),)
