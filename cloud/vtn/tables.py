"""VTN tables on the shared cloud metadata (revisions in ``migrations/versions``, branch "vtn").

Poll queues are two things per VEN: an event sequence (bumped whenever an event that targets the
VEN changes; a poll that sees ``event_seq > event_seq_delivered`` answers with the VEN's current
events) and ``vtn_queue`` rows (other VTN-initiated messages, one per poll, oldest first). The
``pending`` flag mirrors "either of those is non-empty" so the poll fast path can keep a set of
pending VENs in memory and reload it cheaply; ``vtn_state.generation`` is bumped by every change
so other workers notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from flexcoop.cloud.db import Base, UtcDateTime

ID_LEN = 128


class VenRow(Base):
    __tablename__ = "vtn_vens"

    ven_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    registration_id: Mapped[str | None] = mapped_column(String(ID_LEN), unique=True)
    ven_name: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    profile: Mapped[str] = mapped_column(String(16))
    transport: Mapped[str] = mapped_column(String(16))
    transport_address: Mapped[str | None] = mapped_column(String(512))
    http_pull_model: Mapped[bool] = mapped_column(Boolean)
    report_only: Mapped[bool] = mapped_column(Boolean)
    xml_signature: Mapped[bool] = mapped_column(Boolean)
    poll_freq_s: Mapped[float] = mapped_column(Float)
    cert_fingerprint: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_seq_delivered: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class VenGroupRow(Base):
    __tablename__ = "vtn_ven_groups"

    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, index=True)


class VenResourceRow(Base):
    __tablename__ = "vtn_ven_resources"

    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, index=True)


class EventRow(Base):
    __tablename__ = "vtn_events"

    event_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    modification_number: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    # NULL = open-ended; events stay deliverable until end (incl. ramp-up/recovery margins).
    end: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    modified: Mapped[datetime] = mapped_column(UtcDateTime)
    # The EventSpec (flexcoop.cloud.vtn.events) as JSON: the single source for the wire event.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)


class EventResponseRow(Base):
    __tablename__ = "vtn_event_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    modification_number: Mapped[int] = mapped_column(Integer)
    ven_id: Mapped[str] = mapped_column(String(ID_LEN))
    opt_type: Mapped[str] = mapped_column(String(8))
    response_code: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    received: Mapped[datetime] = mapped_column(UtcDateTime)


class QueueRow(Base):
    __tablename__ = "vtn_queue"
    __table_args__ = (Index("ix_vtn_queue_ven", "ven_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class RequestIdRow(Base):
    """Request IDs seen per VEN for state-changing messages: a replay is refused, not stored twice."""

    __tablename__ = "vtn_request_ids"

    ven_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    message_type: Mapped[str] = mapped_column(String(40))
    received: Mapped[datetime] = mapped_column(UtcDateTime)
    # SHA-256 of the accepted message: an identical resend is acknowledged, a different
    # message under a used requestID is refused.
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReportCapabilityRow(Base):
    __tablename__ = "vtn_report_capabilities"

    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
    )
    report_specifier_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    report_name: Mapped[str] = mapped_column(String(64))
    # [{"r_id", "resource_id", "report_type", "reading_type", "unit", "min_period_s", ...}]
    descriptions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    registered: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportRequestRow(Base):
    __tablename__ = "vtn_report_requests"

    report_request_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), index=True
    )
    report_specifier_id: Mapped[str] = mapped_column(String(ID_LEN))
    r_ids: Mapped[list[str]] = mapped_column(JSON)
    granularity_s: Mapped[float] = mapped_column(Float)
    report_back_s: Mapped[float] = mapped_column(Float)
    # requested → created (VEN acknowledged) → cancel_requested → cancelled
    status: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class OptRow(Base):
    __tablename__ = "vtn_opts"

    opt_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    ven_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), index=True
    )
    opt_type: Mapped[str] = mapped_column(String(8))
    opt_reason: Mapped[str] = mapped_column(String(64))
    market_context: Mapped[str | None] = mapped_column(String(512))
    event_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    modification_number: Mapped[int | None] = mapped_column(Integer)
    # [{"start": iso, "duration_s": float}]
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class StateRow(Base):
    __tablename__ = "vtn_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
