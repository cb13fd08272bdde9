"""Alembic environment shared by every cloud component (see ``flexcoop.cloud.db``)."""
