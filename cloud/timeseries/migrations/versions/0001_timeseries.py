"""timeseries: raw telemetry, 15-minute aggregates, flexibility offers

Revision ID: timeseries_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from flexcoop.cloud.db import UtcDateTime

revision: str = "timeseries_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("timeseries",)
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "timeseries_raw",
        sa.Column("der_id", sa.String(128), primary_key=True),
        sa.Column("series", sa.String(64), primary_key=True),
        sa.Column("ts", UtcDateTime(), primary_key=True),
        sa.Column("interval_start", UtcDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
    )
    op.create_index("ix_timeseries_raw_ts", "timeseries_raw", ["ts"])
    op.create_table(
        "timeseries_15m",
        sa.Column("der_id", sa.String(128), primary_key=True),
        sa.Column("series", sa.String(64), primary_key=True),
        sa.Column("interval_start", UtcDateTime(), primary_key=True),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_value", sa.Float(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=False),
        sa.Column("max_value", sa.Float(), nullable=False),
    )
    op.create_index("ix_timeseries_15m_interval_start", "timeseries_15m", ["interval_start"])
    op.create_table(
        "timeseries_flex_offer",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("der_id", sa.String(128), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_timeseries_flex_offer_der_id_created", "timeseries_flex_offer", ["der_id", "created"]
    )
    op.create_table(
        "timeseries_flex_offer_interval",
        sa.Column(
            "offer_id",
            BIGINT_PK,
            sa.ForeignKey("timeseries_flex_offer.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("start", UtcDateTime(), primary_key=True),
        sa.Column("up_w", sa.Float(), nullable=False),
        sa.Column("down_w", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_timeseries_flex_offer_interval_start", "timeseries_flex_offer_interval", ["start"]
    )


def downgrade() -> None:
    op.drop_table("timeseries_flex_offer_interval")
    op.drop_table("timeseries_flex_offer")
    op.drop_table("timeseries_15m")
    op.drop_table("timeseries_raw")
