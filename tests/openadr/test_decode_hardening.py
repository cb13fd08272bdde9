"""Untrusted input: size limit, DOCTYPE/XXE/billion laughs, wrong roots, bad data → CodecError
with the eiResponse code a VTN should answer with; nothing unsafe is ever parsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode
from flexcoop.openadr.schema import validate

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"


def payload(body: str, ns: str = OADR) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><oadr:oadrPayload xmlns:oadr="{ns}" xmlns:ei="{EI}" '
        f'xmlns:pyld="{PYLD}"><oadr:oadrSignedObject>{body}</oadr:oadrSignedObject></oadr:oadrPayload>'
    ).encode()


POLL = payload("<oadr:oadrPoll><ei:venID>ven-1</ei:venID></oadr:oadrPoll>")


def test_a_plain_poll_decodes() -> None:
    assert decode(POLL) == m.OadrPoll(ven_id="ven-1")


def test_size_limit_applies_before_parsing() -> None:
    with pytest.raises(CodecError) as err:
        decode(POLL, max_bytes=len(POLL) - 1)
    assert err.value.code == 400
    assert "exceeds the limit" in str(err.value)
    assert decode(POLL, max_bytes=len(POLL)) == m.OadrPoll(ven_id="ven-1")


def test_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + POLL.split(b"?>", 1)[1].replace(b"ven-1", b"&x;")
    )
    with pytest.raises(CodecError) as err:
        decode(xxe)
    assert err.value.code == 400
    assert "DOCTYPE" in str(err.value)


def test_billion_laughs_is_refused() -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = f"<!DOCTYPE p [{entities}]>".encode() + POLL.split(b"?>", 1)[1].replace(
        b"ven-1", b"&a9;"
    )
    with pytest.raises(CodecError) as err:
        decode(bomb)
    assert err.value.code == 400


def test_utf16_input_is_refused_rather_than_scanned_blind() -> None:
    with pytest.raises(CodecError) as err:
        decode(POLL.replace(b"UTF-8", b"UTF-16").decode().encode("utf-16"))
    assert err.value.code == 400


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (b"not xml at all", "must start with '<'"),
        (b"<oadr:oadrPayload", "malformed XML"),
        (b"<html><body/></html>", "root element must be oadr:oadrPayload"),
        (
            payload("<oadr:oadrPoll/>", ns="http://openadr.org/oadr-2.0a/2012/07"),
            "root element must be oadr:oadrPayload",
        ),
        (f'<oadr:oadrPayload xmlns:oadr="{OADR}"/>'.encode(), "no oadr:oadrSignedObject"),
        (payload("<oadr:oadrPoll/><oadr:oadrPoll/>"), "exactly one payload"),
    ],
)
def test_non_openadr_documents_get_400(doc: bytes, fragment: str) -> None:
    with pytest.raises(CodecError) as err:
        decode(doc)
    assert err.value.code == 400
    assert fragment in str(err.value)


def test_unknown_payload_gets_453() -> None:
    with pytest.raises(CodecError) as err:
        decode(payload("<oadr:oadrFlyToTheMoon/>"))
    assert err.value.code == m.ResponseCode.NOT_RECOGNIZED
    assert "oadr:oadrFlyToTheMoon" in str(err.value)


def test_missing_element_gets_454_naming_it() -> None:
    with pytest.raises(CodecError) as err:
        decode(payload("<oadr:oadrPoll/>"))
    assert err.value.code == m.ResponseCode.INVALID_DATA
    assert err.value.message_type == "oadrPoll"
    assert "ei:venID" in str(err.value)


def test_invalid_values_get_454_with_the_request_id_for_the_answer() -> None:
    body = (
        "<oadr:oadrRequestEvent><pyld:eiRequestEvent><pyld:requestID>req-77</pyld:requestID>"
        "<ei:venID>ven-1</ei:venID><pyld:replyLimit>many</pyld:replyLimit></pyld:eiRequestEvent></oadr:oadrRequestEvent>"
    )
    with pytest.raises(CodecError) as err:
        decode(payload(body))
    assert err.value.code == 454
    assert err.value.request_id == "req-77"
    assert "reply_limit" in str(err.value)


def test_bad_timestamp_and_calendar_durations_are_invalid_data() -> None:
    good = encode(m.OadrCreatedOpt(opt_id="o"))
    assert decode(good) == m.OadrCreatedOpt(opt_id="o")
    opt = encode(
        m.OadrCreateOpt(
            opt_type=m.OptType.OPT_OUT,
            opt_reason=m.OptReason.ECONOMIC,
            ven_id="v",
            created_date_time=datetime(2026, 1, 1, tzinfo=UTC),
            vavailability=[
                m.Window(start=datetime(2026, 1, 1, tzinfo=UTC), duration=timedelta(hours=1))
            ],
        )
    )
    with pytest.raises(CodecError) as err:
        decode(
            opt.replace(
                b"2026-01-01T00:00:00Z</ei:createdDateTime>", b"yesterday</ei:createdDateTime>"
            )
        )
    assert err.value.code == 454 and "yesterday" in str(err.value)
    with pytest.raises(CodecError) as err:
        decode(opt.replace(b">PT1H<", b">P1M<"))
    assert err.value.code == 454 and "months" in str(err.value)


def test_schema_validation_is_opt_in_and_lists_errors() -> None:
    lenient = payload(
        "<oadr:oadrPoll><ei:venID>ven-1</ei:venID><ei:vtnID>x</ei:vtnID></oadr:oadrPoll>"
    )
    assert decode(lenient) == m.OadrPoll(ven_id="ven-1")
    with pytest.raises(CodecError) as err:
        decode(lenient, validate=True)
    assert err.value.code == 454
    assert "line 1" in str(err.value) and "vtnID" in str(err.value)
    with pytest.raises(CodecError):
        validate(lenient)


def test_a_signature_element_is_ignored() -> None:
    signed = POLL.replace(
        b"<oadr:oadrSignedObject>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>'
        b"<oadr:oadrSignedObject>",
    )
    assert decode(signed) == m.OadrPoll(ven_id="ven-1")


def test_absurdly_deep_nesting_is_refused() -> None:
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(CodecError) as err:
        decode(deep, max_bytes=10_000_000)
    assert err.value.code == 400


def test_str_input_and_whitespace_are_accepted() -> None:
    pretty = etree.tostring(etree.fromstring(POLL), pretty_print=True).decode()
    assert decode(pretty) == m.OadrPoll(ven_id="ven-1")


def test_text_that_xml_cannot_carry_is_refused_on_encode_and_markup_is_escaped() -> None:
    with pytest.raises(CodecError) as err:
        encode(m.OadrCancelOpt(opt_id="o\x00", ven_id="v"))
    assert err.value.code == 454 and err.value.message_type == "oadrCancelOpt"
    tricky = m.OadrCancelOpt(opt_id="<a>&amp;]]>\r\n\t", ven_id="v")
    assert decode(encode(tricky)) == tricky


def test_codec_errors_turn_into_an_oadr_response_echoing_the_request_id() -> None:
    body = (
        "<oadr:oadrRequestEvent><pyld:eiRequestEvent><pyld:requestID>req-9</pyld:requestID>"
        "</pyld:eiRequestEvent></oadr:oadrRequestEvent>"
    )
    with pytest.raises(CodecError) as err:
        decode(payload(body))
    answer = err.value.as_response(ven_id="ven-1")
    assert answer.response.response_code == 454
    assert answer.response.request_id == "req-9"
    assert "ei:venID" in (answer.response.response_description or "")
    assert decode(encode(answer)) == answer
