"""EiOpt: availability schedules and event opt-outs persisted; cancellation."""

from __future__ import annotations

from datetime import timedelta

from flexcoop.openadr import messages as m
from flexcoop.units import utcnow

from .conftest import VtnHarness
from .test_events import registered, spec


async def test_availability_schedule_is_persisted_and_cancelled(vtn: VtnHarness) -> None:
    ven = await registered(vtn, "a")
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    opt = m.OadrCreateOpt(
        opt_type=m.OptType.OPT_OUT,
        opt_reason=m.OptReason.NOT_PARTICIPATING,
        market_context="http://flexcoop.energy/markets/dr",
        ven_id=ven.ven_id,
        vavailability=[m.Window(start=start, duration=timedelta(hours=3))],
        created_date_time=utcnow(),
    )
    reply = await ven.send("EiOpt", opt)
    assert isinstance(reply, m.OadrCreatedOpt)
    assert (reply.response.response_code, reply.opt_id) == (200, opt.opt_id)
    (row,) = await vtn.service.opts(ven.ven_id)
    assert (row.opt_type, row.opt_reason) == ("optOut", "notParticipating")
    assert row.availability == [{"start": start.isoformat(), "duration_s": 10800.0}]

    again = await ven.send("EiOpt", opt.model_copy(update={"request_id": "other"}))
    assert again.response.response_code == m.ResponseCode.INVALID_ID  # optID taken

    cancel = m.OadrCancelOpt(opt_id=opt.opt_id, ven_id=ven.ven_id)
    done = await ven.send("EiOpt", cancel)
    assert isinstance(done, m.OadrCanceledOpt) and done.response.response_code == 200
    assert await vtn.service.opts(ven.ven_id) == []
    twice = await ven.send("EiOpt", m.OadrCancelOpt(opt_id=opt.opt_id, ven_id=ven.ven_id))
    assert twice.response.response_code == m.ResponseCode.INVALID_ID


async def test_event_opt_out_checks_modification_number(vtn: VtnHarness) -> None:
    ven = await registered(vtn, "a")
    ev = await vtn.service.create_event(spec(targets={"ven_ids": [ven.ven_id]}))
    await vtn.service.modify_event(ev.event_id, spec(targets={"ven_ids": [ven.ven_id]}))

    def opt_out(mod: int) -> m.OadrCreateOpt:
        return m.OadrCreateOpt(
            opt_type=m.OptType.OPT_OUT,
            opt_reason=m.OptReason.OVERRIDE_STATUS,
            ven_id=ven.ven_id,
            created_date_time=utcnow(),
            event_id=ev.event_id,
            modification_number=mod,
        )

    stale = await ven.send("EiOpt", opt_out(0))
    assert stale.response.response_code == m.ResponseCode.OUT_OF_SEQUENCE
    assert await vtn.service.opts(ven.ven_id) == []
    ok = await ven.send("EiOpt", opt_out(1))
    assert ok.response.response_code == 200
    (row,) = await vtn.service.opts(ven.ven_id)
    assert (row.event_id, row.modification_number) == (ev.event_id, 1)
    kinds = [e.kind for e in await vtn.registry.events(ven.ven_id)]
    assert "event_opt_out" in kinds


async def test_opt_without_event_or_windows_is_refused(vtn: VtnHarness) -> None:
    ven = await registered(vtn, "a")
    reply = await ven.send(
        "EiOpt",
        m.OadrCreateOpt(
            opt_type=m.OptType.OPT_IN,
            opt_reason=m.OptReason.PARTICIPATING,
            ven_id=ven.ven_id,
            created_date_time=utcnow(),
        ),
    )
    assert reply.response.response_code == m.ResponseCode.INVALID_DATA
    assert await vtn.service.opts(ven.ven_id, include_cancelled=True) == []
