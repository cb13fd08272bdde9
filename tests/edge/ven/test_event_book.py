"""EventBook properties: one decision per new modification, whatever order the VTN sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from flexcoop.edge.ven import EventDecision, EventState
from flexcoop.edge.ven.events import Change, EventBook
from flexcoop.openadr import messages as m

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def event(event_id: str, mod: int, *, start: timedelta, cancelled: bool = False) -> m.Event:
    return m.Event(
        descriptor=m.EventDescriptor(
            event_id=event_id,
            modification_number=mod,
            created_date_time=NOW,
            event_status=m.EventStatus.CANCELLED if cancelled else m.EventStatus.FAR,
        ),
        active_period=m.ActivePeriod(start=NOW + start, duration=timedelta(hours=1)),
        signals=[m.EventSignal(signal_id="s", intervals=[m.Interval(value=1.0)])],
    )


# Each distribute lists a subset of events a–c, each at some modification number.
distributes = st.lists(
    st.dictionaries(st.sampled_from("abc"), st.integers(0, 4), max_size=3), max_size=8
)


@settings(max_examples=150, deadline=None)
@given(distributes)
def test_each_higher_modification_is_decided_exactly_once(sequence):
    book = EventBook({})
    decided: list[tuple[str, int]] = []
    highest: dict[str, int] = {}
    for listing in sequence:
        events = [event(k, mod, start=timedelta(hours=1)) for k, mod in sorted(listing.items())]
        for change in book.reconcile(events, NOW):
            if change.needs_decision:
                if change.event is not None:
                    decided.append((change.event_id, change.event.modification_number))
                book.apply(change, EventDecision(m.OptType.OPT_IN))
            elif change.change is Change.UNCHANGED and change.event is not None:
                book.update_status(change.event)
        for k, mod in listing.items():
            highest[k] = max(highest.get(k, -1), mod)
        # the book follows the highest modification seen and never goes back
        assert {k: book.records[k].modification_number for k in highest} == highest
    assert len(decided) == len(set(decided))  # never twice for the same modification
    assert all((k, top) in decided for k, top in highest.items())
    for k in highest:  # decisions per event come in rising modification order
        mods = [mod for key, mod in decided if key == k]
        assert mods == sorted(set(mods))


def test_finished_events_may_vanish_running_ones_are_cancelled():
    book = EventBook({})
    past = event("past", 0, start=-timedelta(hours=3))
    soon = event("soon", 0, start=timedelta(hours=1))
    for change in book.reconcile([past, soon], NOW):
        book.apply(change, EventDecision(m.OptType.OPT_IN))
    assert book.records["past"].state(NOW) is EventState.COMPLETED
    changes = book.reconcile([], NOW)
    assert [(c.event_id, c.change) for c in changes] == [("soon", Change.CANCELLED)]
    book.apply(changes[0], EventDecision(m.OptType.OPT_IN))
    assert book.records["soon"].state(NOW) is EventState.CANCELLED
    assert book.reconcile([], NOW) == []
    assert book.prune(NOW + timedelta(days=8)) == 2 and book.records == {}
