"""The OpenADR 2.0b VEN inside the OSB daemon (docs/openadr-profile.md describes the wire)."""

from __future__ import annotations

from typing import Any

from flexcoop.edge.ven.interfaces import (
    DrEvent,
    DrSignal,
    EventDecision,
    EventHandler,
    EventState,
    FlexibilityProvider,
    FlexInterval,
    OptInHandler,
    OptType,
    PointLimitFlexibility,
    SignalInterval,
    TelemetrySource,
)
from flexcoop.edge.ven.ven import Ven, VenStatus

__all__ = [
    "DrEvent",
    "DrSignal",
    "EventDecision",
    "EventHandler",
    "EventState",
    "FlexInterval",
    "FlexibilityProvider",
    "OptInHandler",
    "OptType",
    "PointLimitFlexibility",
    "SignalInterval",
    "TelemetrySource",
    "Ven",
    "VenStatus",
    "create_ven",
]


def create_ven(daemon: Any) -> Ven:
    """The VEN as the daemon runs it: its registry is the telemetry, default handler and offer."""
    if daemon.config.openadr is None:
        raise ValueError("the configuration has no [openadr] section")
    return Ven(
        daemon.config.openadr,
        daemon.store,
        daemon.registry,
        OptInHandler(),
        PointLimitFlexibility(daemon.registry),
    )
