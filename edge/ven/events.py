"""Event bookkeeping: which events we know, at which modification, what we decided.

``EventBook.reconcile`` compares an ``oadrDistributeEvent`` with the stored records and says
what changed; the VEN hands new/modified/cancelled events to the event handler and answers
them. 2.0b VTNs always send the complete list, so an event that disappears is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flexcoop.edge.ven.interfaces import (
    DrEvent,
    DrSignal,
    EventDecision,
    EventState,
    SignalInterval,
)
from flexcoop.edge.ven.state import EventRecord
from flexcoop.openadr import messages as m
from flexcoop.units import UnitError

FORGET_AFTER = timedelta(days=7)


class Change(StrEnum):
    NEW = "new"
    MODIFIED = "modified"
    UNCHANGED = "unchanged"
    STALE = "stale"  # a lower modification number than we already saw
    CANCELLED = "cancelled"  # the VTN cancelled it or stopped listing it


@dataclass(frozen=True, slots=True)
class EventChange:
    event_id: str
    change: Change
    event: m.Event | None  # None when the event vanished from the list
    record: EventRecord | None  # what we knew before

    @property
    def needs_decision(self) -> bool:
        return self.change in (Change.NEW, Change.MODIFIED, Change.CANCELLED)


def to_dr_event(event: m.Event, now: datetime) -> DrEvent:
    period = event.active_period
    signals = []
    for signal in event.signals:
        start = period.start
        intervals = []
        for interval in signal.intervals:
            duration = interval.duration if interval.duration is not None else period.duration
            begin = interval.start or start
            intervals.append(SignalInterval(begin, duration, interval.value))
            start = begin + duration
        unit = ""
        base = signal.item_base
        if base is not None:
            try:
                unit = base.to_canonical(0.0)[1].value
                intervals = [
                    SignalInterval(i.start, i.duration, base.to_canonical(i.value)[0])
                    for i in intervals
                ]
            except UnitError:  # a unit we do not model: hand the raw values on, named
                unit = base.units
        signals.append(
            DrSignal(signal.signal_name, signal.signal_type.value, tuple(intervals), unit)
        )
    record = record_for(event, EventDecision(m.OptType.OPT_IN))
    return DrEvent(
        event_id=event.event_id,
        modification_number=event.modification_number,
        status=record.state(now),
        start=period.start,
        duration=period.duration,
        signals=tuple(signals),
        market_context=event.descriptor.market_context,
        priority=event.descriptor.priority or 0,
        test_event=event.descriptor.test_event,
        response_required=event.response_required is m.ResponseRequired.ALWAYS,
        vtn_status=event.descriptor.event_status.value,
        start_after=period.start_after or timedelta(0),
        ramp_up=period.ramp_up or timedelta(0),
        recovery=period.recovery or timedelta(0),
    )


def cancelled_dr_event(record: EventRecord) -> DrEvent:
    """What the handler sees for an event that vanished from the VTN's list."""
    end = record.end or record.start
    return DrEvent(
        event_id=record.event_id,
        modification_number=record.modification_number,
        status=EventState.CANCELLED,
        start=record.start,
        duration=end - record.start,
        signals=(),
        response_required=False,
        vtn_status=record.vtn_status,
    )


def record_for(event: m.Event, decision: EventDecision) -> EventRecord:
    period = event.active_period
    return EventRecord(
        event_id=event.event_id,
        modification_number=event.modification_number,
        vtn_status=event.descriptor.event_status.value,
        start=period.start,
        end=period.end if period.duration > timedelta(0) else None,
        opt=decision.opt,
        reason=decision.reason,
    )


class EventBook:
    def __init__(self, records: dict[str, EventRecord]) -> None:
        self.records = records

    def reconcile(self, events: list[m.Event], now: datetime) -> list[EventChange]:
        changes: list[EventChange] = []
        listed = set()
        for event in events:
            listed.add(event.event_id)
            known = self.records.get(event.event_id)
            if known is None:
                change = Change.NEW
            elif event.modification_number < known.modification_number:
                change = Change.STALE
            elif event.modification_number > known.modification_number:
                change = Change.MODIFIED
            else:
                change = Change.UNCHANGED
            if change in (Change.NEW, Change.MODIFIED) and (
                event.descriptor.event_status is m.EventStatus.CANCELLED
            ):
                change = Change.CANCELLED
            changes.append(EventChange(event.event_id, change, event, known))
        for event_id, record in self.records.items():
            # A finished event may drop off the list; a pending or running one was withdrawn.
            running = record.state(now) in (EventState.PENDING, EventState.ACTIVE)
            if event_id not in listed and running:
                changes.append(EventChange(event_id, Change.CANCELLED, None, record))
        return changes

    def apply(self, change: EventChange, decision: EventDecision) -> None:
        if change.event is not None:
            record = record_for(change.event, decision)
        else:
            assert change.record is not None
            record = change.record.model_copy(update={"cancelled": True})
        self.records[change.event_id] = record

    def update_status(self, event: m.Event) -> None:
        """Unchanged event: keep the decision, follow the VTN's status (far → near → active)."""
        known = self.records.get(event.event_id)
        if known is not None:
            self.records[event.event_id] = known.model_copy(
                update={"vtn_status": event.descriptor.event_status.value}
            )

    def prune(self, now: datetime) -> int:
        old = [
            k
            for k, r in self.records.items()
            if r.state(now) in (EventState.COMPLETED, EventState.CANCELLED)
            and (r.end or r.start) + FORGET_AFTER < now
        ]
        for k in old:
            del self.records[k]
        return len(old)

    def counts(self, now: datetime) -> dict[str, int]:
        out = {s.value: 0 for s in EventState}
        for r in self.records.values():
            out[r.state(now).value] += 1
        return out
