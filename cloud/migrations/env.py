"""Alembic env: runs on the connection handed over by ``flexcoop.cloud.db.migrate_engine``.

Run from the ``alembic`` command line instead, it opens its own engine from ``sqlalchemy.url``.
"""

from __future__ import annotations

import asyncio
import importlib

from alembic import context
from sqlalchemy.engine import Connection

from flexcoop.cloud.db import CLOUD_DIR, Base, make_engine

# Every component's tables, so autogenerate sees the whole schema.
for tables in sorted(CLOUD_DIR.glob("*/tables.py")):
    importlib.import_module(f"flexcoop.cloud.{tables.parent.name}.tables")

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_own_engine(context.config.get_main_option("sqlalchemy.url") or ""))
