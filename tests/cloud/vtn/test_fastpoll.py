"""The oadrPoll fast path accepts exactly the canonical polls and nothing the decoder would not."""

from __future__ import annotations

import pytest
from openleadr.messaging import create_message

from flexcoop.cloud.vtn.fastpoll import empty_reply, poll_ven_id
from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import decode, encode
from flexcoop.openadr.schema import validate

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"


def poll(ven: str = "ven-1", *, oadr: str = OADR, ei: str = EI, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><o:oadrPayload xmlns:o="{oadr}"{extra}>'
        f'<o:oadrSignedObject><o:oadrPoll xmlns:ei="{ei}" ei:schemaVersion="2.0b">'
        f"<ei:venID>{ven}</ei:venID></o:oadrPoll></o:oadrSignedObject></o:oadrPayload>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        encode(m.OadrPoll(ven_id="AB:CD:EF:01:23:45:67:89:AB:CD")),
        create_message("oadrPoll", ven_id="AB:CD:EF:01:23:45:67:89:AB:CD").encode(),
        poll("AB:CD:EF:01:23:45:67:89:AB:CD"),
    ],
    ids=["flexcoop", "openleadr", "minimal"],
)
def test_canonical_polls_agree_with_the_decoder(body: bytes) -> None:
    assert poll_ven_id(body) == "AB:CD:EF:01:23:45:67:89:AB:CD"
    assert decode(body) == m.OadrPoll(ven_id="AB:CD:EF:01:23:45:67:89:AB:CD")


def test_same_template_other_ven_id() -> None:
    assert poll_ven_id(poll("first")) == "first"
    assert poll_ven_id(poll("second")) == "second"  # cached surroundings, fresh venID


@pytest.mark.parametrize(
    "body",
    [
        poll(oadr="http://example.com/fake"),
        poll(ei="http://example.com/fake"),
        poll("a&amp;b"),
        poll("with space"),
        poll("x" * 129),
        poll() + b"<trailing/>",
        poll(extra=' xmlns:o="http://example.com/dup"'),
        poll(extra=' xmlns="http://example.com/default"'),
        poll().replace(b"</o:oadrPoll>", b"</o:oadrPollX>"),
        poll().replace(b"oadrPoll", b"oadrRequestEvent"),
        poll(extra=' a="venID>decoy"'),
        b"<!DOCTYPE x>" + poll(),
        b"",
    ],
    ids=[
        "wrong-oadr-ns",
        "wrong-ei-ns",
        "entity",
        "space",
        "too-long",
        "trailing",
        "duplicate-attr",
        "default-ns",
        "mismatched-tag",
        "not-a-poll",
        "decoy-in-attribute",
        "doctype",
        "empty",
    ],
)
def test_anything_else_goes_to_the_full_decoder(body: bytes) -> None:
    assert poll_ven_id(body) is None


def test_empty_reply_is_the_codec_output_and_schema_valid() -> None:
    reply = empty_reply("AB:CD:EF:01:23:45:67:89:AB:CD")
    assert reply == encode(m.OadrResponse(ven_id="AB:CD:EF:01:23:45:67:89:AB:CD"))
    validate(reply)
    assert decode(reply).response.response_code == 200
