"""Events: handed to the handler once per modification, answered, state kept, opt-outs."""

from __future__ import annotations

from datetime import timedelta

from flexcoop.edge.ven import EventDecision, EventState
from flexcoop.edge.ven.state import EVENTS_KEY
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import RecordingHandler, RecordingVtn, make_ven


def make_event(
    event_id: str,
    *,
    mod: int = 0,
    start_in: timedelta = timedelta(minutes=10),
    duration: timedelta = timedelta(hours=1),
    status: m.EventStatus = m.EventStatus.FAR,
    response_required: m.ResponseRequired = m.ResponseRequired.ALWAYS,
    values: tuple[float, ...] = (2.0,),
) -> m.Event:
    now = utcnow().replace(microsecond=0)
    each = duration / len(values)
    return m.Event(
        descriptor=m.EventDescriptor(
            event_id=event_id,
            modification_number=mod,
            created_date_time=now,
            event_status=status,
        ),
        active_period=m.ActivePeriod(
            start=now + start_in,
            duration=duration,
            start_after=timedelta(minutes=2),
            ramp_up=timedelta(minutes=1),
        ),
        signals=[
            m.EventSignal(
                signal_id="sig-1",
                signal_name=m.SignalName.LOAD_DISPATCH,
                signal_type=m.SignalType.DELTA,
                item_base=m.ItemBase.power_real(m.SiScaleCode.KILO),
                intervals=[
                    m.Interval(uid=str(i), duration=each, value=v) for i, v in enumerate(values)
                ],
            )
        ],
        response_required=response_required,
    )


def distribute(*events: m.Event) -> m.OadrDistributeEvent:
    return m.OadrDistributeEvent(vtn_id="vtn-test", events=list(events))


async def test_event_opt_in_and_state(vtn: RecordingVtn, store, telemetry):
    handler = RecordingHandler()
    async with make_ven(vtn.url, store, telemetry, handler) as ven:
        await ven.wait_registered()
        ev = make_event("ev-1", values=(1.5, 2.5))
        msg = distribute(ev)
        vtn.queue.append(msg)
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCreatedEvent)))
        assert ven.status().events["pending"] == 1
    created = vtn.of_type(m.OadrCreatedEvent)[0]
    [resp] = created.event_responses
    assert (resp.event_id, resp.modification_number, resp.opt_type) == ("ev-1", 0, "optIn")
    assert resp.request_id == msg.request_id and created.ven_id in vtn.registrations.values()
    [seen] = handler.seen
    assert seen.status is EventState.PENDING and seen.start == ev.active_period.start
    assert (seen.start_after, seen.ramp_up) == (timedelta(minutes=2), timedelta(minutes=1))
    signal = seen.signals[0]
    # kW on the wire, W for the demand manager; intervals follow each other
    assert signal.unit == "W" and [i.value for i in signal.intervals] == [1500.0, 2500.0]
    assert signal.intervals[1].start == ev.active_period.start + timedelta(minutes=30)
    saved = await store.get_state(EVENTS_KEY)
    assert saved["ev-1"]["opt"] == "optIn" and saved["ev-1"]["modification_number"] == 0


async def test_unchanged_modified_cancelled_and_vanished(vtn: RecordingVtn, store, telemetry):
    handler = RecordingHandler()
    async with make_ven(vtn.url, store, telemetry, handler) as ven:
        await ven.wait_registered()
        a, b = make_event("ev-a"), make_event("ev-b")
        vtn.queue.append(distribute(a, b))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatedEvent)) == 1)
        # openleadr re-sends everything on any change: unchanged events get no second call
        a1 = make_event("ev-a", mod=1, values=(3.0,))
        vtn.queue.append(distribute(a1, b))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatedEvent)) == 2)
        assert [r.event_id for r in vtn.of_type(m.OadrCreatedEvent)[1].event_responses] == ["ev-a"]
        # a stale modification number is ignored; b cancelled; then a disappears
        vtn.queue.append(
            distribute(
                make_event("ev-a", mod=0), make_event("ev-b", mod=1, status=m.EventStatus.CANCELLED)
            )
        )
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatedEvent)) == 3)
        vtn.queue.append(distribute())
        await vtn.wait_for(lambda: len(handler.seen) == 5)
        counts = ven.status().events
    assert [(e.event_id, e.modification_number, e.status) for e in handler.seen] == [
        ("ev-a", 0, EventState.PENDING),
        ("ev-b", 0, EventState.PENDING),
        ("ev-a", 1, EventState.PENDING),
        ("ev-b", 1, EventState.CANCELLED),
        ("ev-a", 1, EventState.CANCELLED),
    ]
    third = vtn.of_type(m.OadrCreatedEvent)[2].event_responses
    assert [(r.event_id, r.modification_number) for r in third] == [("ev-b", 1)]
    assert counts["cancelled"] == 2 and counts["pending"] == 0
    assert len(vtn.of_type(m.OadrCreatedEvent)) == 3  # vanished events are not answered


async def test_active_event_and_no_response_when_not_required(vtn, store, telemetry):
    handler = RecordingHandler()
    async with make_ven(vtn.url, store, telemetry, handler) as ven:
        await ven.wait_registered()
        running = make_event(
            "ev-now",
            start_in=-timedelta(minutes=5),
            response_required=m.ResponseRequired.NEVER,
        )
        vtn.queue.append(distribute(running))
        await vtn.wait_for(lambda: len(handler.seen) == 1)
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) >= 3)
        assert ven.status().events["active"] == 1
    assert handler.seen[0].status is EventState.ACTIVE
    assert vtn.of_type(m.OadrCreatedEvent) == []


async def test_opt_out_decision_and_failing_handler(vtn: RecordingVtn, store, telemetry):
    class Failing:
        async def on_event(self, event):
            raise RuntimeError("boom")

    async with make_ven(vtn.url, store, telemetry, Failing()) as ven:
        await ven.wait_registered()
        vtn.queue.append(distribute(make_event("ev-x")))
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCreatedEvent)))
        # Delivery is at least once: stopping before the acknowledgement is recorded would
        # legitimately resend this answer from the next VEN.
        await vtn.wait_for(lambda: ven.status().outbox_backlog == 0)
    [resp] = vtn.of_type(m.OadrCreatedEvent)[0].event_responses
    assert resp.opt_type == "optOut" and "RuntimeError" in (resp.response_description or "")

    handler = RecordingHandler(EventDecision(m.OptType.OPT_OUT, "comfort"))
    async with make_ven(vtn.url, store, telemetry, handler) as ven:
        vtn.queue.append(distribute(make_event("ev-x"), make_event("ev-y")))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatedEvent)) == 2)
    [resp] = vtn.of_type(m.OadrCreatedEvent)[1].event_responses
    assert (resp.event_id, resp.opt_type) == ("ev-y", "optOut")  # ev-x known from the store


async def test_later_opt_out_sends_create_opt(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        await ven.wait_registered()
        vtn.queue.append(distribute(make_event("ev-o", mod=2)))
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCreatedEvent)))
        opt_id = await ven.opt_out_event("ev-o", m.OptReason.OVERRIDE_STATUS)
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCreateOpt)))
        try:
            await ven.opt_out_event("no-such-event")
            raise AssertionError("unknown event accepted")
        except KeyError as exc:
            assert "no-such-event" in str(exc)
    [opt] = vtn.of_type(m.OadrCreateOpt)
    assert (opt.opt_id, opt.event_id, opt.modification_number) == (opt_id, "ev-o", 2)
    assert opt.opt_type == "optOut" and opt.opt_reason == "overrideStatus"
    assert (await store.get_state(EVENTS_KEY))["ev-o"]["opt"] == "optOut"
