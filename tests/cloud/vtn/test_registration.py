"""EiRegisterParty: query, register, re-register, cancel (both directions), re-registration."""

from __future__ import annotations

from sqlalchemy import func, select

from flexcoop.cloud.vtn.tables import VenRow
from flexcoop.openadr import messages as m

from .conftest import VtnHarness


async def test_query_then_register_persists_registration(vtn: VtnHarness) -> None:
    ven = vtn.ven("home-1")
    query = await ven.send("EiRegisterParty", m.OadrQueryRegistration())
    assert query.response.response_code == 200
    assert query.vtn_id == vtn.service.settings.vtn_id
    assert query.registration_id is None

    created = await ven.register()
    assert created.vtn_id == vtn.service.settings.vtn_id
    assert created.poll_freq is not None and created.poll_freq.total_seconds() == 1
    row = await vtn.service.registration(created.ven_id)
    assert row.registration_id == created.registration_id
    assert row.ven_name == "home-1"
    assert (row.profile, row.transport, row.http_pull_model) == ("2.0b", "simpleHttp", True)
    assert row.poll_freq_s == 1
    der = await vtn.registry.get(created.ven_id)
    assert der is not None and der.ven_id == created.ven_id


async def test_reregistration_keeps_ven_id_and_renews_registration_id(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    first = await ven.register()
    second = await ven.register()
    assert second.ven_id == first.ven_id
    assert second.registration_id != first.registration_id
    async with vtn.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(VenRow))).scalar_one() == 1


async def test_wrong_registration_id_is_refused(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    await ven.register()
    reply = await ven.send(
        "EiRegisterParty",
        m.OadrCreatePartyRegistration(ven_id=ven.ven_id, registration_id="not-mine"),
    )
    assert reply.response.response_code == m.ResponseCode.INVALID_ID


async def test_push_and_xmpp_are_refused_and_nothing_stored(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    for msg in (
        m.OadrCreatePartyRegistration(ven_name="p", http_pull_model=False),
        m.OadrCreatePartyRegistration(ven_name="x", transport_name=m.TransportName.XMPP),
    ):
        reply = await ven.send("EiRegisterParty", msg)
        assert reply.response.response_code == m.ResponseCode.NOT_ALLOWED
        assert reply.ven_id is None
    async with vtn.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(VenRow))).scalar_one() == 0


async def test_ven_cancels_its_registration(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    await ven.register()
    reply = await ven.send(
        "EiRegisterParty",
        m.OadrCancelPartyRegistration(registration_id=ven.registration_id, ven_id=ven.ven_id),
    )
    assert isinstance(reply, m.OadrCanceledPartyRegistration)
    assert reply.response.response_code == 200
    poll = await ven.poll()
    assert isinstance(poll, m.OadrResponse)
    assert poll.response.response_code == m.ResponseCode.INVALID_ID


async def test_vtn_requests_reregistration_and_cancellation_on_poll(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    await ven.register()
    assert isinstance(await ven.poll(), m.OadrDistributeEvent)  # events after registration
    assert isinstance(await ven.poll(), m.OadrResponse)

    await vtn.service.request_reregistration(ven.ven_id)
    got = await ven.poll()
    assert isinstance(got, m.OadrRequestReregistration) and got.ven_id == ven.ven_id
    assert isinstance(await ven.poll(), m.OadrResponse)

    await vtn.service.cancel_registration(ven.ven_id)
    cancel = await ven.poll()
    assert isinstance(cancel, m.OadrCancelPartyRegistration)
    assert cancel.registration_id == ven.registration_id
    ack = await ven.send(
        "EiRegisterParty",
        m.OadrCanceledPartyRegistration(registration_id=ven.registration_id, ven_id=ven.ven_id),
    )
    assert ack.response.response_code == 200
    assert (await vtn.service.registration(ven.ven_id)).registration_id is None
    assert (await ven.poll()).response.response_code == m.ResponseCode.INVALID_ID


async def test_polls_are_keep_alives_in_the_registry(vtn: VtnHarness) -> None:
    ven = vtn.ven()
    await ven.register()
    before = await vtn.registry.get(ven.ven_id)
    assert before is not None
    await ven.poll()
    await ven.poll()  # the empty one is answered from memory: still a keep-alive
    await vtn.service.directory.flush_keepalives()
    await vtn.registry.flush()
    after = await vtn.registry.get(ven.ven_id)
    assert after is not None and after.last_seen > before.last_seen
