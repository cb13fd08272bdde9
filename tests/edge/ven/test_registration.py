"""Registration: handshake, persistence across restarts, re-registration paths."""

from __future__ import annotations

from flexcoop.edge.ven.state import REGISTRATION_KEY
from flexcoop.openadr import messages as m

from .conftest import RecordingVtn, StaticTelemetry, make_ven


async def test_registers_and_persists_ids(vtn: RecordingVtn, store, telemetry: StaticTelemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        reg = await ven.wait_registered()
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) >= 1)
        status = ven.status()
    assert status.registered and status.ven_id == reg.ven_id
    assert status.registration_id == reg.registration_id and status.vtn_id == vtn.vtn_id
    assert vtn.registrations == {reg.registration_id: reg.ven_id}
    created = vtn.of_type(m.OadrCreatePartyRegistration)
    assert len(created) == 1
    assert created[0].ven_name == "osb-test" and created[0].http_pull_model is True
    assert created[0].registration_id is None
    # the handshake order a certification test expects
    kinds = [type(msg) for _, msg in vtn.received]
    assert kinds[:4] == [
        m.OadrQueryRegistration,
        m.OadrCreatePartyRegistration,
        m.OadrRegisterReport,
        m.OadrRequestEvent,
    ]
    assert all(p.ven_id == reg.ven_id for p in vtn.of_type(m.OadrPoll))
    saved = await store.get_state(REGISTRATION_KEY)
    assert saved["ven_id"] == reg.ven_id and saved["registration_id"] == reg.registration_id
    assert vtn.invalid == []


async def test_restart_reuses_registration(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        first = await ven.wait_registered()
    polls_before = len(vtn.of_type(m.OadrPoll))
    async with make_ven(vtn.url, store, telemetry) as ven:
        assert ven.status().registered
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) > polls_before)
        assert ven.status().ven_id == first.ven_id
    assert len(vtn.of_type(m.OadrCreatePartyRegistration)) == 1


async def test_reregistration_request_keeps_registration_id(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        first = await ven.wait_registered()
        vtn.queue.append(m.OadrRequestReregistration(ven_id=first.ven_id))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatePartyRegistration)) == 2)
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrRegisterReport)) == 2)
    again = vtn.of_type(m.OadrCreatePartyRegistration)[1]
    assert again.registration_id == first.registration_id and again.ven_id == first.ven_id
    # the VEN acknowledged the request on EiRegisterParty before registering again
    services = [(s, type(msg)) for s, msg in vtn.received]
    ack = services.index(("EiRegisterParty", m.OadrResponse))
    assert ack < [i for i, s in enumerate(services) if s[1] is m.OadrCreatePartyRegistration][1]


async def test_invalid_id_on_poll_registers_afresh(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        first = await ven.wait_registered()
        vtn.registrations.clear()  # the VTN lost its database: our venID is now unknown (452)
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatePartyRegistration)) == 2)
        await vtn.wait_for(lambda: ven.status().registered)
        second = ven.status()
    fresh = vtn.of_type(m.OadrCreatePartyRegistration)[1]
    assert fresh.registration_id is None and fresh.ven_id is None
    assert second.ven_id != first.ven_id
    assert (await store.get_state(REGISTRATION_KEY))["ven_id"] == second.ven_id


async def test_cancel_party_registration_is_answered(vtn: RecordingVtn, store, telemetry):
    async with make_ven(vtn.url, store, telemetry) as ven:
        first = await ven.wait_registered()
        vtn.queue.append(
            m.OadrCancelPartyRegistration(
                registration_id=first.registration_id, ven_id=first.ven_id
            )
        )
        await vtn.wait_for(lambda: bool(vtn.of_type(m.OadrCanceledPartyRegistration)))
    canceled = vtn.of_type(m.OadrCanceledPartyRegistration)[0]
    assert canceled.registration_id == first.registration_id
    assert canceled.response.response_code == 200


async def test_refused_registration_is_reported_not_fatal(vtn: RecordingVtn, store, telemetry):
    from collections import deque

    vtn.response_code["oadrCreatePartyRegistration"] = deque([463, 463])
    async with make_ven(vtn.url, store, telemetry) as ven:
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreatePartyRegistration)) >= 3)
        reg = await ven.wait_registered()
    assert reg.ven_id in vtn.registrations.values()


async def test_invalid_id_on_delivery_reregisters_and_resends(vtn: RecordingVtn, store, telemetry):
    from collections import deque
    from datetime import timedelta

    from flexcoop.units import utcnow

    async with make_ven(vtn.url, store, telemetry) as ven:
        first = await ven.wait_registered()
        vtn.response_code["oadrCreateOpt"] = deque([m.ResponseCode.INVALID_ID])
        opt_id = await ven.set_availability(
            [(utcnow() + timedelta(hours=1), timedelta(hours=1))], m.OptType.OPT_OUT
        )
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrCreateOpt)) == 2)
        second = ven.status()
    refused, accepted = vtn.of_type(m.OadrCreateOpt)
    assert refused.opt_id == accepted.opt_id == opt_id
    assert refused.ven_id == first.ven_id and accepted.ven_id == second.ven_id != first.ven_id
    assert len(vtn.of_type(m.OadrCreatePartyRegistration)) == 2


async def test_handshake_interrupted_after_registration_is_completed(
    vtn: RecordingVtn, store, telemetry
):
    from collections import deque

    vtn.http_status["oadrRegisterReport"] = deque([503])  # the VTN falls over mid-handshake
    async with make_ven(vtn.url, store, telemetry) as ven:
        reg = await ven.wait_registered()
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrRegisterReport)) == 1)
        polls = len(vtn.of_type(m.OadrPoll))
        await vtn.wait_for(lambda: len(vtn.of_type(m.OadrPoll)) > polls)
    assert len(vtn.of_type(m.OadrCreatePartyRegistration)) == 1  # not registered twice
    assert vtn.of_type(m.OadrRegisterReport)[0].ven_id == reg.ven_id
