"""registry: DERs and their event log

Revision ID: registry_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from flexcoop.cloud.db import UtcDateTime

revision: str = "registry_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("registry",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_der",
        sa.Column("der_id", sa.String(128), primary_key=True),
        sa.Column("ven_id", sa.String(128), nullable=False),
        sa.Column("der_type", sa.String(32), nullable=False),
        sa.Column("location_cell", sa.String(64), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("contract_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_registry_der_ven_id", "registry_der", ["ven_id"])
    op.create_index("ix_registry_der_der_type", "registry_der", ["der_type"])
    op.create_index("ix_registry_der_location_cell", "registry_der", ["location_cell"])
    op.create_index("ix_registry_der_contract_id", "registry_der", ["contract_id"])
    op.create_index("ix_registry_der_status_last_seen", "registry_der", ["status", "last_seen"])
    op.create_table(
        "registry_der_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("der_id", sa.String(128), sa.ForeignKey("registry_der.der_id"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_registry_der_event_der_id_id", "registry_der_event", ["der_id", "id"])


def downgrade() -> None:
    op.drop_table("registry_der_event")
    op.drop_table("registry_der")
