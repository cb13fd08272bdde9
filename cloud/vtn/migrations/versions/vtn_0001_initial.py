"""VTN: registrations, groups/resources, events and responses, poll queue, reports, opts.

Revision ID: vtn_0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vtn_0001"
down_revision = None
branch_labels = ("vtn",)
depends_on = None

ID = sa.String(128)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vtn_vens",
        sa.Column("ven_id", ID, primary_key=True),
        sa.Column("registration_id", ID, unique=True),
        sa.Column("ven_name", ID, nullable=False, index=True),
        sa.Column("profile", sa.String(16), nullable=False),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("transport_address", sa.String(512)),
        sa.Column("http_pull_model", sa.Boolean, nullable=False),
        sa.Column("report_only", sa.Boolean, nullable=False),
        sa.Column("xml_signature", sa.Boolean, nullable=False),
        sa.Column("poll_freq_s", sa.Float, nullable=False),
        sa.Column("cert_fingerprint", sa.String(64)),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("event_seq", sa.Integer, nullable=False),
        sa.Column("event_seq_delivered", sa.Integer, nullable=False),
        sa.Column("pending", sa.Boolean, nullable=False, index=True),
    )
    op.create_table(
        "vtn_ven_groups",
        sa.Column(
            "ven_id", ID, sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("group_id", ID, primary_key=True, index=True),
    )
    op.create_table(
        "vtn_ven_resources",
        sa.Column(
            "ven_id", ID, sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("resource_id", ID, primary_key=True, index=True),
    )
    op.create_table(
        "vtn_events",
        sa.Column("event_id", ID, primary_key=True),
        sa.Column("modification_number", sa.Integer, nullable=False),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, index=True),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("modified", TS, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
    )
    op.create_table(
        "vtn_event_responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", ID, nullable=False, index=True),
        sa.Column("modification_number", sa.Integer, nullable=False),
        sa.Column("ven_id", ID, nullable=False),
        sa.Column("opt_type", sa.String(8), nullable=False),
        sa.Column("response_code", sa.Integer, nullable=False),
        sa.Column("request_id", ID),
        sa.Column("received", TS, nullable=False),
    )
    op.create_table(
        "vtn_queue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "ven_id", ID, sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created", TS, nullable=False),
    )
    op.create_index("ix_vtn_queue_ven", "vtn_queue", ["ven_id", "id"])
    op.create_table(
        "vtn_request_ids",
        sa.Column("ven_id", ID, primary_key=True),
        sa.Column("request_id", ID, primary_key=True),
        sa.Column("message_type", sa.String(40), nullable=False),
        sa.Column("received", TS, nullable=False),
    )
    op.create_table(
        "vtn_report_capabilities",
        sa.Column(
            "ven_id", ID, sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("report_specifier_id", ID, primary_key=True),
        sa.Column("report_name", sa.String(64), nullable=False),
        sa.Column("descriptions", sa.JSON, nullable=False),
        sa.Column("registered", TS, nullable=False),
    )
    op.create_table(
        "vtn_report_requests",
        sa.Column("report_request_id", ID, primary_key=True),
        sa.Column(
            "ven_id",
            ID,
            sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("report_specifier_id", ID, nullable=False),
        sa.Column("r_ids", sa.JSON, nullable=False),
        sa.Column("granularity_s", sa.Float, nullable=False),
        sa.Column("report_back_s", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created", TS, nullable=False),
    )
    op.create_table(
        "vtn_opts",
        sa.Column("opt_id", ID, primary_key=True),
        sa.Column(
            "ven_id",
            ID,
            sa.ForeignKey("vtn_vens.ven_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("opt_type", sa.String(8), nullable=False),
        sa.Column("opt_reason", sa.String(64), nullable=False),
        sa.Column("market_context", sa.String(512)),
        sa.Column("event_id", ID),
        sa.Column("modification_number", sa.Integer),
        sa.Column("availability", sa.JSON, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "vtn_state",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(
        sa.table("vtn_state", sa.column("key", sa.String), sa.column("value", sa.Integer)),
        [{"key": "generation", "value": 0}],
    )


def downgrade() -> None:
    for table in (
        "vtn_state",
        "vtn_opts",
        "vtn_report_requests",
        "vtn_report_capabilities",
        "vtn_request_ids",
        "vtn_queue",
        "vtn_event_responses",
        "vtn_events",
        "vtn_ven_resources",
        "vtn_ven_groups",
        "vtn_vens",
    ):
        op.drop_table(table)
