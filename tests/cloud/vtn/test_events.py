"""EiEvent: targets, signals, modification numbers, cancellation, poll queues, responses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from flexcoop.cloud.vtn.errors import ConflictError
from flexcoop.cloud.vtn.events import EventSpec
from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import Ven, VtnHarness


def spec(**kw: object) -> EventSpec:
    base: dict[str, object] = {
        "start": utcnow() + timedelta(hours=1),
        "duration_s": 3600,
        "signals": [
            {"name": "SIMPLE", "type": "level", "intervals": [{"duration_s": 3600, "value": 2}]}
        ],
        "targets": {"ven_ids": ["placeholder"]},
    }
    return EventSpec.model_validate(base | kw)


async def registered(vtn: VtnHarness, name: str) -> Ven:
    ven = vtn.ven(name)
    await ven.register()
    first = await ven.poll()  # a fresh registration gets its (empty) event list
    assert isinstance(first, m.OadrDistributeEvent) and first.events == []
    return ven


async def test_event_reaches_targeted_ven_once_with_its_signals(vtn: VtnHarness) -> None:
    a, b = await registered(vtn, "a"), await registered(vtn, "b")
    ev = await vtn.service.create_event(
        spec(
            targets={"ven_ids": [a.ven_id]},
            ramp_up_s=600,
            start_after_s=300,
            signals=[
                {
                    "name": "LOAD_DISPATCH",
                    "type": "setpoint",
                    "intervals": [
                        {"duration_s": 1800, "value": 2500},
                        {"duration_s": 1800, "value": 1500},
                    ],
                },
                {
                    "name": "ELECTRICITY_PRICE",
                    "type": "price",
                    "intervals": [{"duration_s": 3600, "value": 0.31}],
                },
            ],
        )
    )
    got = await a.poll()
    assert isinstance(got, m.OadrDistributeEvent)
    assert [e.event_id for e in got.events] == [ev.event_id]
    wire = got.events[0]
    assert wire.descriptor.modification_number == 0
    assert wire.descriptor.event_status == m.EventStatus.FAR
    assert wire.active_period.ramp_up == timedelta(seconds=600)
    assert wire.active_period.start_after == timedelta(seconds=300)
    assert wire.targets.ven_ids == [a.ven_id]
    dispatch, price = wire.signals
    assert dispatch.signal_name == "LOAD_DISPATCH" and dispatch.signal_type == m.SignalType.SETPOINT
    assert [iv.value for iv in dispatch.intervals] == [2500, 1500]
    assert dispatch.item_base is not None and dispatch.item_base.kind == m.ItemKind.POWER_REAL
    assert price.item_base is not None and price.item_base.kind == m.ItemKind.CURRENCY_PER_KWH
    assert isinstance(await a.poll(), m.OadrResponse)  # delivered once
    assert isinstance(await b.poll(), m.OadrResponse)  # not targeted
    delivered = [e.data for e in await vtn.registry.events(a.ven_id, kind="events_delivered")]
    assert delivered[-1] == {"events": [[ev.event_id, 0]]}


async def test_group_and_resource_targets(vtn: VtnHarness) -> None:
    a = await registered(vtn, "a")
    b = await registered(vtn, "b")
    c = await registered(vtn, "c")
    await vtn.service.set_groups(a.ven_id, ["north"])
    await vtn.service.set_groups(b.ven_id, ["south"])
    for ven in (a, b):
        assert isinstance(await ven.poll(), m.OadrDistributeEvent)  # membership changed
    await vtn.service.create_event(spec(targets={"group_ids": ["north", "east"]}))
    got = await a.poll()
    assert isinstance(got, m.OadrDistributeEvent) and len(got.events) == 1
    assert got.events[0].targets.group_ids == ["north"]  # only what concerns this VEN
    assert isinstance(await b.poll(), m.OadrResponse)
    assert isinstance(await c.poll(), m.OadrResponse)


async def test_all_current_events_are_sent_on_any_change(vtn: VtnHarness) -> None:
    a = await registered(vtn, "a")
    first = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    await a.poll()
    second = await vtn.service.create_event(
        spec(targets={"ven_ids": [a.ven_id]}, start=utcnow() + timedelta(hours=3))
    )
    got = await a.poll()
    assert [e.event_id for e in got.events] == [first.event_id, second.event_id]


async def test_modify_and_cancel_bump_modification_number(vtn: VtnHarness) -> None:
    a = await registered(vtn, "a")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    await a.poll()
    changed = spec(
        targets={"ven_ids": [a.ven_id]},
        signals=[
            {"name": "SIMPLE", "type": "level", "intervals": [{"duration_s": 3600, "value": 3}]}
        ],
    )
    modified = await vtn.service.modify_event(ev.event_id, changed, if_modification_number=0)
    assert modified.modification_number == 1
    got = await a.poll()
    assert got.events[0].descriptor.modification_number == 1
    assert got.events[0].signals[0].intervals[0].value == 3

    with pytest.raises(ConflictError):  # lost update prevented
        await vtn.service.modify_event(ev.event_id, changed, if_modification_number=0)

    cancelled = await vtn.service.cancel_event(ev.event_id)
    assert cancelled.modification_number == 2
    got = await a.poll()
    assert got.events[0].descriptor.event_status == m.EventStatus.CANCELLED
    assert got.events[0].descriptor.modification_number == 2
    with pytest.raises(ConflictError):
        await vtn.service.cancel_event(ev.event_id)


async def test_retargeting_tells_the_dropped_ven(vtn: VtnHarness) -> None:
    a, b = await registered(vtn, "a"), await registered(vtn, "b")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    await a.poll()
    await vtn.service.modify_event(ev.event_id, spec(targets={"ven_ids": [b.ven_id]}))
    dropped = await a.poll()
    assert isinstance(dropped, m.OadrDistributeEvent) and dropped.events == []
    assert [e.event_id for e in (await b.poll()).events] == [ev.event_id]


async def test_request_event_returns_current_events(vtn: VtnHarness) -> None:
    a = await registered(vtn, "a")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    got = await a.send("EiEvent", m.OadrRequestEvent(ven_id=a.ven_id))
    assert got.response.response_code == 200
    assert [e.event_id for e in got.events] == [ev.event_id]
    assert isinstance(await a.poll(), m.OadrResponse)  # already up to date


async def test_created_event_records_opt_per_modification(vtn: VtnHarness) -> None:
    a = await registered(vtn, "a")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    dist = await a.poll()

    def created(opt: m.OptType, mod: int, request_id: str) -> m.OadrCreatedEvent:
        return m.OadrCreatedEvent(
            response=m.EiResponse(request_id=request_id),
            event_responses=[
                m.EventResponse(
                    request_id=request_id,
                    event_id=ev.event_id,
                    modification_number=mod,
                    opt_type=opt,
                )
            ],
            ven_id=a.ven_id,
        )

    ok = await a.send("EiEvent", created(m.OptType.OPT_IN, 0, dist.request_id))
    assert ok.response.response_code == 200
    await vtn.service.modify_event(ev.event_id, spec(targets={"ven_ids": [a.ven_id]}))
    dist2 = await a.poll()
    stale = await a.send("EiEvent", created(m.OptType.OPT_OUT, 0, dist2.request_id))
    assert stale.response.response_code == m.ResponseCode.OUT_OF_SEQUENCE
    ok2 = await a.send("EiEvent", created(m.OptType.OPT_OUT, 1, dist2.request_id))
    assert ok2.response.response_code == 200
    # An identical resend (at-least-once delivery) is acknowledged and applied once; the same
    # requestID carrying a different answer is refused.
    dup = await a.send("EiEvent", created(m.OptType.OPT_OUT, 1, dist2.request_id))
    assert dup.response.response_code == 200
    changed = await a.send("EiEvent", created(m.OptType.OPT_IN, 1, dist2.request_id))
    assert changed.response.response_code == m.ResponseCode.INVALID_DATA

    responses = await vtn.service.events.responses(ev.event_id)
    assert [(r["modification_number"], r["opt_type"]) for r in responses] == [
        (0, "optIn"),
        (1, "optOut"),
    ]
    log = await vtn.registry.events(a.ven_id)
    kinds = [e.kind for e in log]
    assert "event_opt_in" in kinds and "event_opt_out" in kinds


async def test_created_event_for_unknown_or_foreign_event_is_refused(vtn: VtnHarness) -> None:
    a, b = await registered(vtn, "a"), await registered(vtn, "b")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [a.ven_id]}))
    for event_id, code in (("nope", 452), (ev.event_id, 462)):
        reply = await b.send(
            "EiEvent",
            m.OadrCreatedEvent(
                response=m.EiResponse(request_id=f"r-{event_id}"),
                event_responses=[
                    m.EventResponse(
                        event_id=event_id, modification_number=0, opt_type=m.OptType.OPT_IN
                    )
                ],
                ven_id=b.ven_id,
            ),
        )
        assert reply.response.response_code == code
    assert await vtn.service.events.responses(ev.event_id) == []


def test_event_spec_validation() -> None:
    with pytest.raises(ValidationError, match=r"0\.\.3"):
        spec(
            signals=[
                {"name": "SIMPLE", "type": "level", "intervals": [{"duration_s": 3600, "value": 7}]}
            ]
        )
    with pytest.raises(ValidationError, match="intervals last"):
        spec(
            signals=[
                {"name": "SIMPLE", "type": "level", "intervals": [{"duration_s": 60, "value": 1}]}
            ]
        )
    with pytest.raises(ValidationError, match="needs type"):
        spec(
            signals=[
                {
                    "name": "LOAD_DISPATCH",
                    "type": "price",
                    "intervals": [{"duration_s": 3600, "value": 1}],
                }
            ]
        )
    with pytest.raises(ValidationError, match="at least one target"):
        EventSpec.model_validate(
            {
                "start": utcnow(),
                "duration_s": 60,
                "signals": [
                    {
                        "name": "SIMPLE",
                        "type": "level",
                        "intervals": [{"duration_s": 60, "value": 1}],
                    }
                ],
                "targets": {},
            }
        )
    with pytest.raises(ValidationError, match="naive"):
        spec(start=utcnow().replace(tzinfo=None))


def test_event_status_follows_time() -> None:
    now = utcnow()
    ev = spec(start=now + timedelta(hours=1), ramp_up_s=600, targets={"ven_ids": ["x"]})
    assert ev.status_at(now, False) == "far"
    assert ev.status_at(now + timedelta(minutes=40), False) == "near"
    assert ev.status_at(now + timedelta(minutes=61), False) == "active"
    assert ev.status_at(now + timedelta(hours=2, seconds=1), False) == "completed"
    assert ev.status_at(now, True) == "cancelled"
