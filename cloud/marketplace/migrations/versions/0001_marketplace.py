"""marketplace: contracts, DER links, terms versions, event log

Revision ID: marketplace_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from flexcoop.cloud.db import UtcDateTime

revision: str = "marketplace_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("marketplace",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "marketplace_contract",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("prosumer_id", sa.String(128), nullable=False),
        sa.Column("aggregator_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("latest_terms_version", sa.Integer(), nullable=False),
        sa.Column("accepted_terms_version", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_marketplace_contract_prosumer_id", "marketplace_contract", ["prosumer_id"])
    op.create_index(
        "ix_marketplace_contract_aggregator_id", "marketplace_contract", ["aggregator_id"]
    )
    op.create_index("ix_marketplace_contract_state", "marketplace_contract", ["state"])
    op.create_index(
        "ix_marketplace_contract_created_at_id", "marketplace_contract", ["created_at", "id"]
    )
    op.create_table(
        "marketplace_contract_der",
        sa.Column(
            "contract_id",
            sa.String(36),
            sa.ForeignKey("marketplace_contract.id"),
            primary_key=True,
        ),
        sa.Column("der_id", sa.String(128), primary_key=True),
    )
    op.create_index("ix_marketplace_contract_der_der_id", "marketplace_contract_der", ["der_id"])
    op.create_table(
        "marketplace_terms",
        sa.Column(
            "contract_id",
            sa.String(36),
            sa.ForeignKey("marketplace_contract.id"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("proposed_by", sa.String(16), nullable=False),
        sa.Column("proposed_at", UtcDateTime(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
    )
    op.create_table(
        "marketplace_contract_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "contract_id", sa.String(36), sa.ForeignKey("marketplace_contract.id"), nullable=False
        ),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.create_index(
        "ix_marketplace_contract_event_contract_id_id",
        "marketplace_contract_event",
        ["contract_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("marketplace_contract_event")
    op.drop_table("marketplace_terms")
    op.drop_table("marketplace_contract_der")
    op.drop_table("marketplace_contract")
