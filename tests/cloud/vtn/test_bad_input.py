"""Hostile and broken input: refused with HTTP 4xx or an eiResponse code, nothing stored, the
server keeps serving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flexcoop.cloud.vtn import tables
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.units import utcnow

from .conftest import Ven, VtnHarness
from .reportdata import capabilities

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"

COUNTED = (
    tables.VenRow,
    tables.EventResponseRow,
    tables.ReportCapabilityRow,
    tables.OptRow,
    tables.RequestIdRow,
    tables.QueueRow,
)


async def counts(vtn: VtnHarness) -> list[int]:
    async with vtn.engine.connect() as conn:
        return [
            (await conn.execute(select(func.count()).select_from(t))).scalar_one() for t in COUNTED
        ]


def poll_xml(ven_id: str, ns: str = OADR) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><oadr:oadrPayload xmlns:oadr="{ns}">'
        f'<oadr:oadrSignedObject><oadr:oadrPoll xmlns:ei="{EI}" ei:schemaVersion="2.0b">'
        f"<ei:venID>{ven_id}</ei:venID></oadr:oadrPoll></oadr:oadrSignedObject></oadr:oadrPayload>"
    ).encode()


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + poll_xml("&x;").split(b"?>", 1)[1]
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    + poll_xml("&d;").split(b"?>", 1)[1]
)


@pytest.fixture
async def ven(vtn: VtnHarness) -> Ven:
    ven = vtn.ven()
    await ven.register()
    return ven


@pytest.mark.parametrize(
    ("service", "body"),
    [
        ("OadrPoll", b"<oadr:oadrPayload xmlns:oadr='" + OADR.encode() + b"'><unclosed>"),
        ("OadrPoll", b"not xml at all"),
        ("OadrPoll", b""),
        ("EiEvent", XXE),
        ("EiRegisterParty", LAUGHS),
        ("OadrPoll", poll_xml("x", ns="http://example.com/not-openadr")),
        ("EiReport", b"<?xml version='1.0'?><html><body>hi</body></html>"),
    ],
    ids=["malformed", "not-xml", "empty", "xxe", "billion-laughs", "wrong-namespace", "wrong-root"],
)
async def test_unreadable_documents_get_http_400(
    vtn: VtnHarness, ven: Ven, service: str, body: bytes
) -> None:
    before = await counts(vtn)
    status, reply = await ven.raw(service, body)
    assert status == 400, reply
    assert b"root:" not in reply  # no file content leaked back
    assert await counts(vtn) == before
    assert isinstance(await ven.poll(), m.OadrDistributeEvent | m.OadrResponse)  # still serving


async def test_oversize_bodies_are_refused_before_reading(vtn: VtnHarness, ven: Ven) -> None:
    limit = vtn.service.settings.max_body_bytes
    before = await counts(vtn)
    status, _ = await ven.raw("EiReport", b"<" + b"a" * (limit + 10))
    assert status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 1000 + 10):
            yield b"x" * 1000

    status, _ = await ven.raw("EiReport", chunks())
    assert status == 413
    assert await counts(vtn) == before
    assert isinstance(await ven.poll(), m.OadrDistributeEvent | m.OadrResponse)


async def test_unknown_ven_id_gets_452_everywhere(vtn: VtnHarness, ven: Ven) -> None:
    before = await counts(vtn)
    stranger = vtn.ven("stranger", ven_id="not-registered")
    poll = await stranger.poll()
    assert poll.response.response_code == m.ResponseCode.INVALID_ID
    dist = await stranger.send("EiEvent", m.OadrRequestEvent(ven_id="not-registered"))
    assert dist.response.response_code == m.ResponseCode.INVALID_ID and dist.events == []
    rep = await stranger.send("EiReport", m.OadrRegisterReport(ven_id="not-registered"))
    assert rep.response.response_code == m.ResponseCode.INVALID_ID
    assert await counts(vtn) == before


async def test_message_on_the_wrong_service_or_unknown_payload(vtn: VtnHarness, ven: Ven) -> None:
    reply = await ven.send("EiOpt", m.OadrPoll(ven_id=ven.ven_id or ""))
    assert reply.response.response_code == m.ResponseCode.NOT_RECOGNIZED
    unknown = poll_xml(ven.ven_id or "").replace(b"oadrPoll", b"oadrTeleport")
    status, body = await ven.raw("OadrPoll", unknown)
    assert status == 200
    assert decode(body).response.response_code == m.ResponseCode.NOT_RECOGNIZED


async def test_invalid_payload_data_gets_454(vtn: VtnHarness, ven: Ven) -> None:
    before = await counts(vtn)
    no_ven = encode(m.OadrPoll(ven_id="x")).replace(b"<ei:venID>x</ei:venID>", b"")
    status, body = await ven.raw("OadrPoll", no_ven)
    assert status == 200
    assert decode(body).response.response_code == m.ResponseCode.INVALID_DATA
    assert await counts(vtn) == before


async def test_overlong_or_duplicate_identifiers_get_454(vtn: VtnHarness, ven: Ven) -> None:
    before = await counts(vtn)
    long_id = "x" * 129
    opt = m.OadrCreateOpt(
        opt_type=m.OptType.OPT_OUT,
        opt_reason=m.OptReason.NOT_PARTICIPATING,
        ven_id=ven.ven_id or "",
        vavailability=[m.Window(start=utcnow(), duration=timedelta(hours=1))],
        created_date_time=utcnow(),
    )
    for msg in (
        opt.model_copy(update={"opt_id": long_id}),
        opt.model_copy(update={"request_id": long_id}),
        m.OadrCreatePartyRegistration(ven_name=long_id),
        m.OadrRegisterReport(reports=capabilities(utcnow()) * 2, ven_id=ven.ven_id),
    ):
        service = "EiOpt" if isinstance(msg, m.OadrCreateOpt) else "EiReport"
        if isinstance(msg, m.OadrCreatePartyRegistration):
            service = "EiRegisterParty"
        reply = await ven.send(service, msg)
        assert reply.response.response_code == m.ResponseCode.INVALID_DATA, msg
    assert await counts(vtn) == before
