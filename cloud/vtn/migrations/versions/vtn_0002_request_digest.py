"""vtn: content digest per claimed requestID (identical resends are acknowledged, not refused)

Revision ID: vtn_0002
Revises: vtn_0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "vtn_0002"
down_revision: str | Sequence[str] | None = "vtn_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vtn_request_ids") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vtn_request_ids") as batch:
        batch.drop_column("digest")
