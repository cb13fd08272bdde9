"""registry: partial index of online DERs by last keep-alive for the time-out sweep

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0002"
down_revision: str | Sequence[str] | None = "registry_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONLINE = sa.text("status = 'online'")


def upgrade() -> None:
    op.drop_index("ix_registry_der_status_last_seen", table_name="registry_der")
    op.create_index(
        "ix_registry_der_online_last_seen",
        "registry_der",
        ["last_seen"],
        sqlite_where=ONLINE,
        postgresql_where=ONLINE,
    )


def downgrade() -> None:
    op.drop_index("ix_registry_der_online_last_seen", table_name="registry_der")
    op.create_index("ix_registry_der_status_last_seen", "registry_der", ["status", "last_seen"])
