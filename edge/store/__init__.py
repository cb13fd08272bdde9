"""Edge store: SQLite WAL database of raw readings, 15-minute aggregates, events, the cloud
outbox and small durable state (see ``store.py`` for the behaviour, ``database.py`` for SQL)."""

from flexcoop.edge.store.models import (
    Aggregate,
    EventKind,
    OutboxItem,
    SchemaTooNewError,
    StoredEvent,
    StoreHealth,
    StoreUnavailableError,
)
from flexcoop.edge.store.store import Store

__all__ = [
    "Aggregate",
    "EventKind",
    "OutboxItem",
    "SchemaTooNewError",
    "Store",
    "StoreHealth",
    "StoreUnavailableError",
    "StoredEvent",
]
